#!/bin/sh
# teu's quick start with teu compose: build the shop's three images from their
# Dockerfiles (on the local busybox base, pinned by its digest), bring the project up
# once every service is healthy, and ask the front on port ${PORT:-8080}.
# `sh demo.sh down` removes it all again (volume included).
set -eu
cd "$(dirname "$0")"
TEU=${TEU:-teu}
export SHOP_PORT="${PORT:-8080}"
if [ "${1:-}" = down ]; then
    exec $TEU compose down -v -t 1
fi
# The base, pinned: its manifest digest, so a retagged base cannot slip in.
BASE_IMAGE="teu-demo/busybox@$($TEU image inspect -f '{{.Descriptor.digest}}' teu-demo/busybox)"
export BASE_IMAGE
# The api's secret, made now and given at run time (in no image, no layer, no file here).
SHOP_API_TOKEN=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
export SHOP_API_TOKEN
$TEU compose up --build --wait
out=$(wget -q -O- "http://127.0.0.1:$SHOP_PORT/cgi-bin/index")
echo "$out"
$TEU compose ps
echo "(it keeps running: try http://127.0.0.1:$SHOP_PORT/cgi-bin/index; remove it with: sh $(pwd)/demo.sh down)"
