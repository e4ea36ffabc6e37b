"""`export`: a container's filesystem (image layers + its changes, no volumes) as a tar."""

from __future__ import annotations

import os
import tarfile  # here, not in the child: after its chroot the host's library is gone

from teu.engine import state as S
from teu.engine.context import Engine


def export(engine: Engine, ref: str, out_fd: int) -> None:
    """Write the tar to out_fd (read from a read-only overlay in a forked child)."""
    from teu.engine.files.fsaccess import in_container_fs

    row = S.refresh(engine, engine.find(ref)) or engine.find(ref)

    def write() -> None:
        with os.fdopen(os.dup(out_fd), "wb") as f, \
                tarfile.open(fileobj=f, mode="w|", format=tarfile.PAX_FORMAT) as tar:
            for name in sorted(os.listdir("/")):
                tar.add("/" + name, arcname=name, recursive=True)

    # the overlay view even while it runs: no /proc, tmpfs or volumes, as docker exports
    in_container_fs(engine, row, write, live=False, mounts=False)
    from teu.engine.events import container as event

    event(engine, row, "export")
