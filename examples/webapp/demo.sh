#!/bin/sh
# teu's quick start: build the two images of this app from their Dockerfiles, put them
# on a network of their own (the frontend finds the backend by name), publish the
# frontend on port ${PORT:-8080} and ask it. `sh demo.sh down` removes it all again.
set -eu
cd "$(dirname "$0")"
TEU=${TEU:-teu}
PORT=${PORT:-8080}
if [ "${1:-}" = down ]; then
    $TEU rm -f teu-demo-frontend teu-demo-backend >/dev/null 2>&1 || true
    $TEU network rm teu-demo >/dev/null 2>&1 || true
    exit 0
fi
$TEU build -q -t teu-demo/backend:latest backend
$TEU build -q -t teu-demo/frontend:latest frontend
$TEU network inspect teu-demo >/dev/null 2>&1 || $TEU network create teu-demo >/dev/null
$TEU rm -f teu-demo-frontend teu-demo-backend >/dev/null 2>&1 || true
$TEU run -d --name teu-demo-backend --network teu-demo --network-alias backend \
    --memory 32m --pids-limit 32 teu-demo/backend >/dev/null
$TEU run -d --name teu-demo-frontend --network teu-demo -p "$PORT:80" \
    --memory 32m --pids-limit 32 teu-demo/frontend >/dev/null
i=0
until out=$(wget -q -O- "http://127.0.0.1:$PORT/cgi-bin/index.cgi" 2>/dev/null) \
        && echo "$out" | grep -q "hello from the backend"; do
    i=$((i + 1))
    [ $i -lt 50 ] || { echo "the app did not answer on port $PORT" >&2; exit 1; }
    sleep 0.2
done
echo "$out"
$TEU ps --filter name=teu-demo --format 'table {{.Names}}\t{{.Image}}\t{{.Status}}\t{{.Ports}}'
echo "(it keeps running: try http://127.0.0.1:$PORT/cgi-bin/index.cgi; remove it with: sh $(pwd)/demo.sh down)"
