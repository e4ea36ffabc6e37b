"""`cp`: copy files between a container and the host (docker cp's rules).

    teu cp CONTAINER:SRC DEST     teu cp SRC CONTAINER:DEST     (- for a tar on stdio)

A source directory is copied as a directory (into DEST if that exists, else as
DEST); `SRC/.` copies its contents. A file copied onto an existing directory lands
inside it. The container side is read or written by a child process inside the
container's filesystem (teu.engine.files.fsaccess), with a tar stream between the two.
"""

from __future__ import annotations

import os
import tarfile

from teu.engine import state as S
from teu.engine.context import Engine
from teu.engine.errors import EngineError, InvalidArgument


def split(arg: str) -> tuple[str | None, str]:
    """CONTAINER:PATH -> (container, path); a local path (absolute, ./, or no colon)."""
    if arg.startswith(("/", ".")) or ":" not in arg:
        return None, arg
    ref, _, path = arg.partition(":")
    return ref, path


def copy(engine: Engine, src: str, dest: str, report: bool = True) -> None:
    """docker cp; report: the event (none for the Engine API's HEAD, a stat, as dockerd)."""
    s_ref, s_path = split(src)
    d_ref, d_path = split(dest)
    if (s_ref is None) == (d_ref is None):
        raise InvalidArgument("copying between containers or between local paths is not "
                              "supported: one side must be CONTAINER:PATH")
    if s_ref is not None:
        _from_container(engine, s_ref, s_path, d_path)
    else:
        _to_container(engine, d_ref, s_path, d_path)  # type: ignore[arg-type]
    if not report:
        return
    from teu.engine.events import container as event

    # dockerd's names: cp from a container reads an archive of a path, cp into extracts
    row = engine.find(s_ref if s_ref is not None else d_ref)  # type: ignore[arg-type]
    event(engine, row, "archive-path" if s_ref is not None else "extract-to-dir")


def _row(engine: Engine, ref: str):  # noqa: ANN202
    row = S.refresh(engine, engine.find(ref))
    if row is None:
        raise EngineError(f"No such container: {ref}")
    return row


def _pack(path: str, out, name: str | None = None) -> None:  # noqa: ANN001
    """Tar path (contents only if it ends with /.) into the stream out."""
    with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        if path.endswith("/.") or path.endswith("/./"):
            base = path.rstrip("/")[:-1] or "/"
            for entry in sorted(os.listdir(base)):
                tar.add(os.path.join(base, entry), arcname=entry)
        else:
            tar.add(path, arcname=name or os.path.basename(path.rstrip("/")) or ".")


def _unpack(stream, dest: str, rename_to: str | None) -> None:  # noqa: ANN001
    """Extract into dest; the top entry renamed to rename_to when copying onto a new name."""
    with tarfile.open(fileobj=stream, mode="r|") as tar:
        for member in tar:
            if rename_to is not None:
                head, sep, rest = member.name.partition("/")
                member.name = rename_to + (sep + rest if sep else "")
            tar.extract(member, dest, set_attrs=True, numeric_owner=True,
                        filter="fully_trusted" if os.geteuid() == 0 else "data")


def _target(dest: str, src_is_dir: bool, contents: bool) -> tuple[str, str | None]:
    """(directory to extract into, new name for the top entry or None), by docker cp's
    rules; runs on whichever side holds dest."""
    if os.path.isdir(dest):
        return dest, None
    if src_is_dir and os.path.lexists(dest):
        raise EngineError(f"cannot copy a directory to a file: {dest}")
    if dest.endswith("/") and not src_is_dir:
        raise EngineError(f"{dest}: no such directory")
    parent = os.path.dirname(dest.rstrip("/")) or "/"
    if not os.path.isdir(parent):
        raise EngineError(f"{parent}: no such directory")
    if contents:
        os.mkdir(dest)
        return dest, None
    return parent, os.path.basename(dest.rstrip("/"))


def _spool(engine: Engine):  # noqa: ANN202
    """A temporary file for the tar stream, on the store's filesystem (room for it)."""
    import tempfile

    top = os.path.join(engine.paths.root, "tmp")
    os.makedirs(top, mode=0o700, exist_ok=True)
    return tempfile.TemporaryFile(dir=top)


def _from_container(engine: Engine, ref: str, src: str, dest: str) -> None:
    from teu.engine.files.fsaccess import in_container_fs

    row = _row(engine, ref)
    with _spool(engine) as spool:
        def produce() -> bool:
            path = src if src.startswith("/") else "/" + src
            if not os.path.lexists(path.rstrip(".").rstrip("/") or "/"):
                raise FileNotFoundError(f"Could not find the file {src} in container {ref}")
            with os.fdopen(os.dup(spool.fileno()), "wb") as out:
                _pack(path, out)
            return os.path.isdir(path)

        src_is_dir = in_container_fs(engine, row, produce)
        spool.seek(0)
        if dest == "-":
            _copy_stream(spool, 1)
            return
        contents = src.rstrip("/").endswith("/.")
        into, rename = _target(dest, src_is_dir, contents)
        _unpack(spool, into, rename)


def _to_container(engine: Engine, ref: str, src: str, dest: str) -> None:
    from teu.engine.files.fsaccess import in_container_fs

    row = _row(engine, ref)
    if src != "-" and not os.path.lexists(src.rstrip(".").rstrip("/") or "/"):
        raise EngineError(f"{src}: no such file or directory")
    contents = src.rstrip("/").endswith("/.")
    src_is_dir = src != "-" and os.path.isdir(src)
    with _spool(engine) as spool:
        if src == "-":
            _copy_stream(os.fdopen(os.dup(0), "rb"), spool.fileno())
        else:
            with os.fdopen(os.dup(spool.fileno()), "wb") as out:
                _pack(src, out)
        spool.seek(0)

        def consume() -> None:
            path = dest if dest.startswith("/") else "/" + dest
            if src == "-":
                if not os.path.isdir(path):
                    raise NotADirectoryError(f"{dest}: the destination of a tar must be a "
                                             "directory")
                _unpack(spool, path, None)
                return
            into, rename = _target(path, src_is_dir, contents)
            _unpack(spool, into, rename)

        in_container_fs(engine, row, consume, writable=True)


def _copy_stream(src, fd: int) -> None:  # noqa: ANN001
    while True:
        data = src.read(65536)
        if not data:
            return
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]


def path_stat(member: tarfile.TarInfo) -> dict:
    """docker's stat of a copied path (X-Docker-Container-Path-Stat) from the first tar
    member: Go's FileMode bits (1<<31 a directory, 1<<27 a symlink), RFC 3339 mtime."""
    import datetime

    mode = member.mode & 0o7777
    if member.isdir():
        mode |= 1 << 31
    elif member.issym():
        mode |= 1 << 27
    mtime = datetime.datetime.fromtimestamp(member.mtime, datetime.UTC)
    return {"name": os.path.basename(member.name.rstrip("/")) or "/", "size": member.size,
            "mode": mode, "mtime": mtime.isoformat(), "linkTarget": member.linkname}
