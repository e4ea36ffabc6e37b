"""Work inside a container's filesystem from a forked child, safely.

A running container: the child joins its mount namespace (setns), so it sees the
container's root with its volumes and tmpfs mounts, and absolute symlinks resolve
inside the container, never on the host. A stopped one: the child makes a private
mount namespace, mounts the overlay (with the container's volumes and binds over
it) and chroots into it. Either way nothing is mounted on the host and the parent
is untouched. Data travels through pipes; the child's result or error comes back
as JSON.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from teu.engine import state as S
from teu.engine.context import Engine
from teu.engine.db import Row
from teu.engine.errors import EngineError


def in_container_fs(engine: Engine, row: Row, fn: Callable[[], Any], writable: bool = False,
                    live: bool = True, mounts: bool = True) -> Any:
    """Run fn() in a child that sees the container's root as "/"; its return value.
    live=False: the image and the container's changes only, even while it runs (no
    /proc, tmpfs or volumes); mounts=False: the volumes and binds are left out."""
    import json

    r, w = os.pipe()
    running = live and row["status"] in S.RUNNING and S.alive(row["pid"], row["pid_start"])
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            if running:
                _join(row["pid"])
            else:
                _mount_and_chroot(engine, row, writable, mounts)
            msg = {"ok": fn()}
        except Exception as e:  # noqa: BLE001 - reported to the parent
            msg = {"error": str(e) or type(e).__name__}
        try:
            os.write(w, json.dumps(msg).encode())
        finally:
            os._exit(0)
    os.close(w)
    data = b""
    while chunk := os.read(r, 65536):
        data += chunk
    os.close(r)
    os.waitpid(pid, 0)
    msg = json.loads(data) if data else {"error": "the helper process died"}
    if "error" in msg:
        raise EngineError(msg["error"])
    return msg["ok"]


def _join(pid: int) -> None:
    from teu.runtime import linux as L

    fd = os.open(f"/proc/{pid}/ns/mnt", os.O_RDONLY | os.O_CLOEXEC)
    root = os.open(f"/proc/{pid}/root", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        L.syscalls().setns(fd, L.CLONE_NEWNS)
        os.fchdir(root)
        os.chroot(".")
        os.chdir("/")
    finally:
        os.close(fd)
        os.close(root)


def _mount_and_chroot(engine: Engine, row: Row, writable: bool, mounts: bool) -> None:
    from teu.engine.storage import rootfs as R
    from teu.runtime import linux as L
    from teu.runtime.rootfs import resolve_in_root

    R.private_mount_namespace()
    bundle = engine.paths.container(row["id"])
    root = os.path.join(bundle, "rootfs")
    teu = row.settings["Teu"]
    if teu.get("Storage", "overlay") == "overlay":
        from teu.engine.lifecycle.launch import layers_of

        R.clear(root)
        upper = os.path.join(bundle, "upper")
        if writable:
            R.mount_overlay(layers_of(bundle, teu), upper, os.path.join(bundle, "work"), root,
                            os.path.join(bundle, "empty"))
        else:  # read-only: the upper dir as the top lower layer; no workdir needed
            lowers = [*layers_of(bundle, teu), upper]
            data = "lowerdir=" + ":".join(R._escape(p) for p in reversed(lowers))
            L.syscalls().mount("overlay", root, "overlay", L.MS_RDONLY, data)
    sys = L.syscalls()
    for m in (row.settings.get("Mounts") or []) if mounts else []:
        target = resolve_in_root(root, m["Destination"])
        if not os.path.exists(target):
            if not writable:
                continue
            os.makedirs(target, exist_ok=True)
        sys.mount(m["Source"], target, None, L.MS_BIND | L.MS_REC, None)
    os.chroot(root)
    os.chdir("/")
