#!/bin/sh
# cosign 2.5 from Debian trixie, for teu.trust's interop tests and bench/trust_verify.py.
# bookworm has no cosign (and its skopeo/podman have sigstore disabled), so the trixie
# .deb is fetched with apt-get download through a private sources list and private
# state/cache directories: the machine's own apt sources are never touched. The binary
# is static Go (needs only libc), unpacked with dpkg-deb -x into $DEST.
# Idempotent: a working $DEST/cosign is left as it is.
set -eu
DEST=${TEU_PEERS:-/usr/local/lib/teu-peers}/cosign
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

if [ -x "$DEST/cosign" ] && "$DEST/cosign" version >/dev/null 2>&1; then
    exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/pkg"
cat > "$work/sources.list" <<SRC
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR trixie main
SRC
APT="-o Dir::Etc::SourceList=$work/sources.list -o Dir::Etc::SourceParts=/dev/null \
 -o Dir::State::Lists=$work/lists -o Dir::Cache=$work/cache -o Dir::State::Status=/dev/null \
 -o APT::Architecture=amd64 -o Debug::NoLocking=1 -o APT::Sandbox::User=root"
# shellcheck disable=SC2086
apt-get $APT -q update >/dev/null
cd "$work/pkg"
# shellcheck disable=SC2086
apt-get $APT -q download cosign >/dev/null
dpkg-deb -x cosign_*.deb "$work/root"
mkdir -p "$DEST"
install -m 0755 "$work/root/usr/bin/cosign" "$DEST/cosign.new"
mv "$DEST/cosign.new" "$DEST/cosign"
echo "cosign $(ls "$work/pkg") -> $DEST/cosign"
