"""Taking down what a stopped container leaves: the runtime's record and cgroup, its
health-check loop, its files, its row, its anonymous volumes.

Below both teu.engine.state (which records exits and honours --rm) and the
lifecycle verbs (rm, prune, a failed create or start), so neither imports the other.
"""

from __future__ import annotations

import os
import time

from teu.engine.context import Engine
from teu.engine.db import Row
from teu.engine.procs import alive


def release_runtime(engine: Engine, row: Row, network_wait: bool = True):  # noqa: ANN201
    """Delete the runtime's record of the container (state dir, cgroup, leftovers) and its
    network attachments. network_wait=False returns the network's DEL still under way (or
    None) for the caller to end with teu.engine.network.end_release after more teardown."""
    from teu.engine.network import begin_release, end_release
    from teu.engine.runtimes import for_row

    # the network's DEL (a plugin process) runs while the runtime's record goes
    network = begin_release(engine, row)
    runtime = None
    dirs = None
    try:
        runtime = for_row(engine.paths, row.settings)
        dirs = runtime.cgroup_dirs(row["id"]) if runtime.in_process else None
        runtime.delete(row["id"])
    except Exception as e:  # noqa: BLE001 - the row must still be recorded as stopped
        from teu.runtime import log

        log.warning(f"container {row['id'][:12]}: runtime delete: {e}")
    if dirs:
        _remove_cgroup_dirs(list(dirs.values()) if isinstance(dirs, dict) else list(dirs))
    if network is not None and network_wait:
        end_release(network)
        return None
    return network


def _remove_cgroup_dirs(dirs: list[str], timeout: float = 2.0) -> None:
    """What a runtime delete left (a process of a killed create still exiting when it
    tried): rmdir the container's cgroups once they are empty, for a short while."""
    deadline = time.monotonic() + timeout
    left = [d for d in dirs if os.path.isdir(d)]
    while left:
        for d in list(left):
            try:
                os.rmdir(d)
                left.remove(d)
            except FileNotFoundError:
                left.remove(d)
            except OSError:
                pass
        if not left or time.monotonic() > deadline:
            return
        time.sleep(0.02)


def _health_loop(row: Row) -> tuple[int, int | None] | None:
    """(pid, start time) of the health-check loop the row's health names, if it names
    one (a pod prober's record has none: teu.engine.pods.prober)."""
    if not row["health"]:
        return None
    from teu import fastjson

    h = fastjson.loads(row["health"])
    return (h["MonitorPid"] or 0, h.get("MonitorStart")) if "MonitorPid" in h else None


def health_loop_lost(row: Row) -> bool:
    """Whether the row names a health-check loop that is gone (for a running container:
    killed, or never told of the start: teu.engine.monitor.healthloop). Here, not there,
    so that a reader imports nothing more to ask it."""
    loop = _health_loop(row)
    return loop is not None and not alive(*loop)


def stop_health_loop(row: Row) -> None:
    """Kill the container's health-check loop (teu.engine.monitor.health), if any."""
    loop = _health_loop(row)
    if loop is None:
        return
    pid, started = loop
    if alive(pid, started):
        try:
            # Its group, so that its `sleep` or check goes too: the loop leads its own,
            # or (restarted by a reader: healthloop.restart) is alone in the group of
            # the sh that started it, which has exited.
            os.killpg(os.getpgid(pid), 9)
        except ProcessLookupError:
            pass


def remove_stopped(engine: Engine, row: Row, volumes: bool | None = None) -> None:
    """Delete a container that is not running: runtime leftovers, row, files.
    `volumes` None: as --rm does, its anonymous volumes go too."""
    cid = row["id"]
    with engine.lock(cid) as lock:
        fresh = engine.reload(row)
        if fresh is None:
            return
        with engine.db.tx() as db:
            db.update(cid, status="removing", monitor_pid=os.getpid())
        network = release_runtime(engine, fresh, network_wait=False)
        remove_files(engine, fresh)  # while the network's DEL runs
        with engine.db.tx() as db:
            db.delete(cid)
        from teu.engine.events import container as event

        event(engine, fresh, "destroy")
        if network is not None:
            from teu.engine.network import end_release

            end_release(network)
        if volumes is None or volumes:
            remove_anonymous_volumes(engine, fresh)
        lock.remove()


def remove_files(engine: Engine, row: Row) -> None:
    cid = row["id"]
    if not row.settings["HostConfig"].get("AutoRemove"):
        # An --rm container's exit file stays a little for `wait` and an attached `run`
        # to read the code; sweep_exit_files removes it later.
        try:
            os.unlink(engine.paths.exit_file(cid))
        except FileNotFoundError:
            pass
    bundle = engine.paths.container(cid)
    from teu.engine.storage.rootfs import clear

    # Mounted here only if this very process started the container (its private namespace).
    clear(os.path.join(bundle, "rootfs"))
    clear(os.path.join(bundle, "secrets"))
    clear(os.path.join(bundle, "shm"))  # --ipc container:X: X's tmpfs, never to be emptied
    from teu.engine.storage.fsutil import rmtree

    try:
        rmtree(bundle)
    except OSError:
        pass
    if os.path.exists(bundle):
        # a mount still there would be a bug (they live in private namespaces); say so
        from teu.runtime import log

        log.warning(f"container {cid[:12]}: could not remove all of {bundle}")


def remove_anonymous_volumes(engine: Engine, row: Row) -> None:
    from teu.engine.errors import Conflict
    from teu.engine.storage import volumes as V

    for m in row.settings.get("Mounts") or []:
        if m.get("Type") != "volume":
            continue
        v = engine.db.volume(m["Name"])
        if v is not None and v["anonymous"]:
            try:
                V.remove(engine.paths, engine.db, m["Name"])
            except Conflict:
                pass  # another container mounts it too
