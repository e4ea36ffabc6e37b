#!/bin/sh
printf 'Content-Type: text/plain\r\n\r\n'
echo "frontend $(hostname) asked $BACKEND and got:"
wget -q -O- "$BACKEND/message.txt" || echo "(the backend did not answer)"
