"""`teu import`: a root filesystem tarball becomes a one-layer image.

The tarball (plain, gzip or zstd; a file or a stream) is read once: its
uncompressed bytes are hashed into the diff ID while they are recompressed
(gzip) into the store as the layer blob. Then a config and manifest are
made, and the image goes through the same writer as a pull (unpack, diff ID
check, one transaction). `changes` take Dockerfile instructions like
`docker import --change`: CMD, ENTRYPOINT, ENV, WORKDIR, USER, EXPOSE,
VOLUME, LABEL, STOPSIGNAL.
"""

from __future__ import annotations

import json
import shlex
import time
from typing import IO, Any

from teu.image import reference as R
from teu.image.compression import HashingReader, decompressed
from teu.image.errors import ImageError
from teu.image.store import Store
from teu.image.types import SourceImage
from teu.image.writer import WriteResult, write_image
from teu.oci import media_types as MT
from teu.oci.descriptor import Descriptor
from teu.oci.platform import Platform
from teu.oci.platform import host as host_platform


class _GzipEncoder:
    """A reader of the gzip compression of another reader (pull-style, for put_stream)."""

    def __init__(self, src: IO[bytes], level: int) -> None:
        import zlib

        self._src = src
        self._c = zlib.compressobj(level, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        self._done = False

    def read(self, n: int = -1) -> bytes:
        while not self._done:
            block = self._src.read(1 << 20)
            if not block:
                self._done = True
                return self._c.flush()
            out = self._c.compress(block)
            if out:
                return out
        return b""


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _exec_form(value: str) -> list[str]:
    value = value.strip()
    if value.startswith("["):
        try:
            v = json.loads(value)
        except ValueError:
            v = None
        if isinstance(v, list) and all(isinstance(x, str) for x in v):
            return v
    return ["/bin/sh", "-c", value]


def apply_changes(config: dict[str, Any], changes: list[str]) -> None:
    """Apply Dockerfile instructions to an image config's `config` object."""
    for change in changes:
        word, _, rest = change.strip().partition(" ")
        word = word.upper()
        rest = rest.strip()
        if word == "CMD":
            config["Cmd"] = _exec_form(rest)
        elif word == "ENTRYPOINT":
            config["Entrypoint"] = _exec_form(rest)
        elif word == "ENV":
            env = config.setdefault("Env", [])
            pairs = shlex.split(rest)
            if pairs and "=" not in pairs[0]:
                pairs = [f"{pairs[0]}={' '.join(pairs[1:])}"]
            for pair in pairs:
                key = pair.split("=", 1)[0]
                env[:] = [e for e in env if e.split("=", 1)[0] != key] + [pair]
        elif word == "WORKDIR":
            config["WorkingDir"] = rest
        elif word == "USER":
            config["User"] = rest
        elif word == "EXPOSE":
            for port in rest.split():
                config.setdefault("ExposedPorts", {})[port if "/" in port else f"{port}/tcp"] = {}
        elif word == "VOLUME":
            paths = _exec_form(rest) if rest.startswith("[") else rest.split()
            for path in paths:
                config.setdefault("Volumes", {})[path] = {}
        elif word == "LABEL":
            for pair in shlex.split(rest):
                k, _, v = pair.partition("=")
                config.setdefault("Labels", {})[k] = v
        elif word == "STOPSIGNAL":
            config["StopSignal"] = rest
        else:
            raise ImageError(f"--change: {word} is not supported (CMD, ENTRYPOINT, ENV, "
                             "WORKDIR, USER, EXPOSE, VOLUME, LABEL, STOPSIGNAL)")


def import_tarball(store: Store, stream: IO[bytes], name: str | None = None, *,
                   changes: list[str] = (), message: str = "",  # type: ignore[assignment]
                   platform: Platform | None = None, level: int = 6) -> WriteResult:
    ref = R.parse(name) if name else None
    plat = platform or host_platform()
    # Held shared until the image is registered: GC must not take the blob meanwhile.
    with store.lock():
        result = _import(store, stream, name, ref, changes, message, plat, level)
    from teu.image.events import by_id

    if ref is not None:
        by_id(store, "tag", result.row.id, ref.familiar())
    by_id(store, "import", result.row.id)
    return result


def _import(store: Store, stream: IO[bytes], name: str | None, ref: R.Reference | None,
            changes: list[str], message: str, plat: Platform, level: int) -> WriteResult:
    tar = HashingReader(decompressed(stream))
    layer_digest = store.blobs.put_stream(_GzipEncoder(tar, level))  # type: ignore[arg-type]
    diff_id = tar.digest()
    layer_size = store.blobs.size(layer_digest) or 0
    if tar.size == 0:
        raise ImageError("import: the tarball is empty")
    cc: dict[str, Any] = {}
    apply_changes(cc, list(changes))
    created = _now()
    config: dict[str, Any] = {"architecture": plat.architecture, "os": plat.os}
    if plat.variant:
        config["variant"] = plat.variant
    config.update({"created": created, "config": cc,
                   "rootfs": {"type": "layers", "diff_ids": [diff_id]},
                   "history": [{"created": created, "created_by": "teu import",
                                **({"comment": message} if message else {})}]})
    raw_config = json.dumps(config, separators=(",", ":")).encode()
    manifest = {"schemaVersion": 2, "mediaType": MT.OCI_MANIFEST,
                "config": Descriptor.for_bytes(MT.OCI_CONFIG, raw_config).to_dict(),
                "layers": [{"mediaType": MT.OCI_LAYER_GZIP, "digest": layer_digest,
                            "size": layer_size}]}
    raw_manifest = json.dumps(manifest, separators=(",", ":")).encode()
    store.blobs.put_bytes(raw_config)

    def open_blob(desc: Descriptor, offset: int = 0):
        return store.open_blob(desc, offset)

    image = SourceImage(raw_manifest, open_blob, MT.OCI_MANIFEST, name=name or "import")
    return write_image(store, image, name=name or "import", tags=[str(ref)] if ref else [])
