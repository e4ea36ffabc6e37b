"""Named and anonymous volumes: directories under <root>/volumes/<name>/_data.

A named volume is made on first use (or by `teu volume create`); an anonymous
one (`-v /data`) gets a random 64-hex name and goes with its container on
`rm -v` or `--rm`. The first time an empty volume is mounted over a directory
the image has, the image's files are copied in (docker's copy-up), unless the
mount says `nocopy`.
"""

from __future__ import annotations

import os
import time

from teu import fastjson
from teu.engine.db import DB
from teu.engine.errors import Conflict, InvalidArgument, NotFound
from teu.engine.paths import Paths

_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")


def check_volume_name(name: str) -> str:
    if len(name) < 2 or not name[0].isalnum() or not set(name) <= _CHARS:
        raise InvalidArgument(f'"{name}" includes invalid characters for a local volume name, '
                              'only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended '
                              "to pass a host directory, use absolute path")
    return name


def create(paths: Paths, db: DB, name: str | None = None, labels: dict | None = None,
           options: dict | None = None, anonymous: bool = False,
           exist_ok: bool = True) -> str:
    """Make the volume (no-op if it exists and exist_ok); returns its name."""
    if name is None:
        name = os.urandom(32).hex()
        anonymous = True
    check_volume_name(name)
    for key in options or {}:
        raise InvalidArgument(f"volume option {key!r} is not supported by the local driver "
                              "(no mount options yet)")
    with db.tx():
        made = db.insert_volume(name, time.time(), fastjson.dumps(labels or {}),
                                fastjson.dumps(options or {}), anonymous)
    if not made and not exist_ok:
        raise Conflict(f"volume {name} already exists")
    os.makedirs(paths.volume(name, "_data"), mode=0o755, exist_ok=True)
    from teu import journal

    # dockerd reports a create for every use of a named volume by a new container, too
    journal.append(paths.root, "volume", "create", name, {"driver": "local"})
    return name


def inspect(paths: Paths, db: DB, name: str) -> dict:
    v = db.volume(name)
    if v is None:
        raise NotFound(f"get {name}: no such volume")
    from teu.engine.timefmt import rfc3339

    return {"CreatedAt": rfc3339(v["created"], nanos=False), "Driver": v["driver"],
            "Labels": fastjson.loads(v["labels"]) or None,
            "Mountpoint": paths.volume(name, "_data"), "Name": name,
            "Options": fastjson.loads(v["options"]) or None, "Scope": "local"}


def users(db: DB, name: str) -> list[str]:
    """IDs of the containers that mount the volume."""
    found = []
    for row in db.all():
        if name in volume_names(row.settings):
            found.append(row["id"])
    return found


def volume_names(settings: dict) -> list[str]:
    out = []
    for spec in settings["HostConfig"].get("Binds") or []:
        source = spec.split(":")[0]
        if not (source.startswith("/") or source.startswith(".")):
            out.append(source)
    for m in settings["HostConfig"].get("Mounts") or []:
        if m.get("Type") == "volume" and m.get("Name"):
            out.append(m["Name"])
    return out


def remove(paths: Paths, db: DB, name: str, force: bool = False) -> None:
    if db.volume(name) is None:
        if force:
            return
        raise NotFound(f"get {name}: no such volume")
    in_use = users(db, name)
    if in_use:
        raise Conflict(f"remove {name}: volume is in use - [{', '.join(in_use)}]")
    with db.tx():
        db.delete_volume(name)
    _rmtree(paths.volume(name))
    from teu import journal

    journal.append(paths.root, "volume", "destroy", name, {"driver": "local"})


def prune(paths: Paths, db: DB, all_volumes: bool = False,
          filters: dict[str, list[str]] | None = None) -> tuple[list[str], int]:
    """Remove unused volumes (anonymous ones only, like docker 23+, unless all_volumes)
    matching the label filters (teu.labelfilter)."""
    from teu.labelfilter import matches

    used = set()
    for row in db.all():
        used.update(volume_names(row.settings))
    removed, freed = [], 0
    for v in db.volumes():
        if v["name"] in used or not (all_volumes or v["anonymous"]):
            continue
        if filters and not matches(fastjson.loads(v["labels"]) or {}, filters):
            continue
        freed += du(paths.volume(v["name"]))
        remove(paths, db, v["name"])
        removed.append(v["name"])
    from teu import journal

    journal.append(paths.root, "volume", "prune", "", {"reclaimed": str(freed)})  # dockerd's
    return removed, freed


def du(path: str) -> int:
    """The bytes under path as docker counts them (df, SizeRw, prune's reclaimed): the
    files' lengths, each inode once, directories not counted."""
    total, seen = 0, set()
    for top, _dirs, files in os.walk(path):
        for name in files:
            try:
                st = os.lstat(os.path.join(top, name))
            except OSError:
                continue
            if st.st_size and st.st_ino not in seen:
                seen.add(st.st_ino)
                total += st.st_size
    return total


def copy_up(image_dir: str, volume_dir: str) -> None:
    """Fill an empty volume with what the image has at the mount point."""
    import shutil

    if not os.path.isdir(image_dir) or os.listdir(volume_dir):
        return
    for name in os.listdir(image_dir):
        src = os.path.join(image_dir, name)
        dst = os.path.join(volume_dir, name)
        if os.path.isdir(src) and not os.path.islink(src):
            shutil.copytree(src, dst, symlinks=True)
        else:
            shutil.copy2(src, dst, follow_symlinks=False)
    _copy_owners(image_dir, volume_dir)
    st = os.stat(image_dir)
    os.chown(volume_dir, st.st_uid, st.st_gid)
    os.chmod(volume_dir, st.st_mode & 0o7777)


def _copy_owners(src_top: str, dst_top: str) -> None:
    """copy2 keeps modes and times, not owners: give every copied entry its source's
    (a chown clears set-id bits, so the mode goes back on after it)."""
    import stat

    for top, dirs, files in os.walk(src_top):
        for name in dirs + files:
            src = os.path.join(top, name)
            dst = os.path.join(dst_top, os.path.relpath(src, src_top))
            st = os.lstat(src)
            os.lchown(dst, st.st_uid, st.st_gid)
            if not stat.S_ISLNK(st.st_mode):
                os.chmod(dst, stat.S_IMODE(st.st_mode))


def _rmtree(path: str) -> None:
    from teu.engine.storage.fsutil import rmtree

    try:
        rmtree(path)
    except OSError:
        pass
