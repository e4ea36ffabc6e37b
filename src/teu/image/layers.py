"""Unpacked layers: layers/<chain-id-hex>/, one directory per chain ID, shared by all images.

A layer is unpacked into layers/.tmp-<hex>-<pid>-<n>, its diff ID checked
while the tar streams through, and only then renamed into place: a layer
directory under its final name is always whole and always the right content.
Removal renames first too, so a half-deleted layer never looks whole.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from typing import IO

from teu.image.errors import LayerError
from teu.oci import digest as D

_counter = itertools.count()


class LayerStore:
    def __init__(self, root: str) -> None:
        self.dir = os.path.join(root, "layers")

    def path(self, chain_id: str) -> str:
        return os.path.join(self.dir, D.parse(chain_id, registered_only=True).encoded)

    def exists(self, chain_id: str) -> bool:
        return os.path.isdir(self.path(chain_id))

    def unpack(self, chain_id: str, diff_id: str, open_compressed: Callable[[], IO[bytes]],
               what: str = "layer") -> int:
        """Unpack a (compressed) layer blob; returns its uncompressed tar size.

        Raises LayerError if the uncompressed bytes do not hash to `diff_id`."""
        from teu.image.apply import apply_layer
        from teu.image.compression import HashingReader, decompressed

        final = self.path(chain_id)
        os.makedirs(self.dir, exist_ok=True)
        tmp = os.path.join(self.dir, f".tmp-{D.Digest(chain_id).encoded[:16]}-{os.getpid()}"
                                     f"-{next(_counter)}")
        os.mkdir(tmp, 0o755)
        try:
            raw = open_compressed()
            try:
                reader = HashingReader(decompressed(raw))
                apply_layer(reader, tmp, overlay=True)  # type: ignore[arg-type]
                reader.drain()  # the end-of-archive padding is part of the diff ID
            finally:
                raw.close()
            actual = reader.digest()
            if actual != diff_id:
                raise LayerError(f"{what}: diff ID mismatch: the config says {diff_id}, "
                                 f"the layer's content is {actual}")
            try:
                os.rename(tmp, final)
            except OSError:
                if not os.path.isdir(final):
                    raise
                # Another teu unpacked the same layer meanwhile: theirs is as good.
                _rmtree(tmp)
            return reader.size
        except BaseException:
            _rmtree(tmp)
            raise

    def remove(self, chain_id: str) -> bool:
        final = self.path(chain_id)
        doomed = os.path.join(self.dir, f".tmp-del-{os.path.basename(final)[:16]}-"
                                        f"{os.getpid()}-{next(_counter)}")
        try:
            os.rename(final, doomed)
        except FileNotFoundError:
            return False
        _rmtree(doomed)
        return True

    def list(self) -> list[D.Digest]:
        try:
            return [D.Digest("sha256:" + n) for n in os.listdir(self.dir) if len(n) == 64]
        except FileNotFoundError:
            return []

    def clean_stale(self) -> int:
        """Remove .tmp-* directories whose process is gone (a killed pull or rmi)."""
        n = 0
        try:
            names = os.listdir(self.dir)
        except FileNotFoundError:
            return 0
        for name in names:
            if not name.startswith(".tmp-"):
                continue
            parts = name.split("-")
            pid = parts[-2] if len(parts) >= 3 else ""
            if pid.isdigit() and int(pid) != os.getpid() and os.path.exists(f"/proc/{pid}"):
                continue
            if pid.isdigit() and int(pid) == os.getpid():
                continue
            _rmtree(os.path.join(self.dir, name))
            n += 1
        return n


def _rmtree(path: str) -> None:
    import shutil

    def onerror(func, p, exc_info):  # noqa: ARG001
        # An immutable or busy file must not leave the rest behind.
        pass

    shutil.rmtree(path, onerror=onerror)
