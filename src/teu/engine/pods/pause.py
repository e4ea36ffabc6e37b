"""The infra container's image: localhost/teu-pause:VERSION, one layer holding the
host's static catatonit as /catatonit, entrypoint `/catatonit -P` (pause mode: it
sleeps, reaps, and exits on SIGTERM/SIGINT), made on first use as podman makes its
own pause image. Nothing is pulled, so pods work offline."""

from __future__ import annotations

import io
import os
import tarfile

from teu import __version__
from teu.engine.errors import EngineError

IMAGE = f"localhost/teu-pause:{__version__}"
CATATONIT = ("/usr/libexec/podman/catatonit", "/usr/bin/catatonit", "/usr/libexec/catatonit")


def catatonit() -> str:
    for path in CATATONIT:
        if os.path.isfile(path):
            return path
    raise EngineError("a pod's infra container needs catatonit (apt-get install catatonit)")


def _layer(binary: str) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for d in ("dev", "etc", "proc", "sys"):
            info = tarfile.TarInfo(d)
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            t.addfile(info)
        binary = os.path.realpath(binary)  # podman's path is a symlink
        info = t.gettarinfo(binary, arcname="catatonit")
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        info.mtime = 0
        with open(binary, "rb") as f:
            t.addfile(info, f)
    return buf.getvalue()


def ensure(root: str) -> str:
    """The pause image's reference, made in the store under `root` if missing."""
    from teu.image.store import Store

    with Store(root) as st:
        if st.resolve_id(IMAGE):
            return IMAGE
        from teu.image.importer import import_tarball

        import_tarball(st, io.BytesIO(_layer(catatonit())), IMAGE,
                       changes=['ENTRYPOINT ["/catatonit", "-P"]',
                                "LABEL io.teu.pause=true"],
                       message="teu pod infra (catatonit)")
    return IMAGE
