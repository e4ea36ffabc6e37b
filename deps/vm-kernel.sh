#!/bin/sh
# The kernel teu bench --vm boots (and tests/integration/test_bench.py): Debian's
# linux-image-cloud-amd64, fetched with apt-get download and unpacked with dpkg-deb -x
# into $DEST (never installed: /boot and the machine's packages are untouched), with
# the ELF vmlinux taken out of its LZ4 bzImage and the virtio-net modules beside it.
# teu.bench.kernel does the work (standard library only, so it runs before teu is
# installed). Idempotent: a kernel already in $DEST is kept.
set -eu
DEST=${TEU_PEERS:-/usr/local/lib/teu-peers}/vm-kernel
exec python3 "$(dirname "$0")/../src/teu/bench/kernel.py" --dest "$DEST"
