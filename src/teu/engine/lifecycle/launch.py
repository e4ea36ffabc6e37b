"""Starting a container: its root filesystem and spec (prepare), then either conmon
(start_detached) or, for a foreground `teu run`, teu.runtime in this very process
(teu.engine.monitor.foreground).
"""

from __future__ import annotations

import os
import time

from teu import fastjson
from teu.engine import state as S
from teu.engine.context import Engine
from teu.engine.db import Row
from teu.engine.errors import Conflict, EngineError


def prepare(engine: Engine, row: Row, session=None) -> str:  # noqa: ANN001
    """Mount the rootfs (privately), fill the secrets tmpfs, write config.json; -> bundle.
    `session`: the container's network attachment under way (teu.engine.network.begin)."""
    from teu.engine.config import spec as SP
    from teu.engine.config import users
    from teu.engine.storage import rootfs as R

    cid = row["id"]
    settings = row.settings
    if settings["Teu"].get("Pod"):  # a pod's member: the infra holds its namespaces
        from teu.engine.pods import join

        infra = join.stopped_infra(engine, row)
        if infra is not None:
            start(engine, infra["id"])
            join.infra_started(engine, infra)
        join.share_files(engine, row)
    bundle = engine.paths.container(cid)
    root = os.path.join(bundle, "rootfs")
    R.private_mount_namespace()
    teu = settings["Teu"]
    if teu.get("Storage", "overlay") == "overlay":
        R.clear(root)
        for layer in teu["Layers"]:
            if not os.path.isdir(layer):
                raise EngineError(f"container {cid[:12]}: image layer {os.path.basename(layer)}"
                                  " is gone from the store (was the image removed with -f?)")
        R.mount_overlay(layers_of(bundle, teu), os.path.join(bundle, "upper"),
                        os.path.join(bundle, "work"), root, os.path.join(bundle, "empty"),
                        volatile=bool(settings["HostConfig"].get("AutoRemove")),
                        links=os.path.join(engine.paths.runroot, "l"))
    if teu.get("Secrets"):
        R.mount_secrets(os.path.join(bundle, "secrets"), teu["Secrets"])
    joins = _joins(engine, settings["HostConfig"])
    if "ipc" in joins:
        R.mount_shm_of(joins["ipc"], os.path.join(bundle, "shm"))
    _copy_up_volumes(engine, row, root)
    uid, gid, extra, home = users.resolve(root, settings["Config"].get("User") or "")
    if settings["HostConfig"].get("GroupAdd"):
        extra = extra + [g for g in users.group_ids(root, settings["HostConfig"]["GroupAdd"])
                         if g not in extra]
    spec = SP.build(cid, settings, root, bundle, (uid, gid, extra, home), joins=joins,
                    runtime_cgroup_parent=teu.get("CgroupParent") or "/teu")  # a pod's cgroup
    from teu.engine import network

    network.apply(engine, spec, row, session)
    with open(os.path.join(bundle, "config.json"), "w") as f:
        f.write(fastjson.dumps(spec))
    return bundle


def _joins(engine: Engine, host: dict) -> dict:
    """The pid of the container each --pid/--ipc container:X joins, by namespace kind."""
    out = {}
    for kind, key, what in (("pid", "PidMode", "PID"), ("ipc", "IpcMode", "IPC"),
                            ("uts", "UTSMode", "UTS")):
        mode = host.get(key) or ""
        if not mode.startswith("container:"):
            continue
        ref = mode.partition(":")[2]
        other = S.refresh(engine, engine.find(ref))
        if other is None or other["status"] not in S.RUNNING:
            raise Conflict(f"cannot join {what} of a non running container: {ref}")
        if kind == "ipc" and not _shares_ipc(other):
            # docker's rule (and words): only a donor made to share may be joined
            raise Conflict(f"can't join IPC of container {other['id']}: non-shareable IPC "
                           "(hint: use IpcMode:shareable for the donor container)")
        out[kind] = other["pid"]
    return out


def _shares_ipc(row: Row) -> bool:
    """--ipc shareable or host, as docker asks of a donor; or a pod's infra container
    (teu.engine.pods: its members join its IPC namespace, as podman's do)."""
    settings = row.settings
    return (settings["HostConfig"].get("IpcMode") in ("shareable", "host")
            or bool(settings["Teu"].get("PodInfra")))


def layers_of(bundle: str, teu: dict) -> list[str]:
    """The lower dirs, bottom first: the image's layers, then the container's init layer."""
    init = os.path.join(bundle, "init")
    return [*teu["Layers"], init] if os.path.isdir(init) else list(teu["Layers"])


def _copy_up_volumes(engine: Engine, row: Row, root: str) -> None:
    mounts = row.settings.get("Mounts") or []
    pending = [m for m in mounts if m.get("CopyUp")]
    if not pending:
        return
    from teu.engine.storage.volumes import copy_up
    from teu.runtime.rootfs import resolve_in_root

    for m in pending:
        copy_up(resolve_in_root(root, m["Destination"]), m["Source"])
        m["CopyUp"] = False
    settings = row.settings
    with engine.db.tx() as db:
        db.update(row["id"], settings=fastjson.dumps(settings))
    row["settings"] = fastjson.dumps(settings)


def begin_start(engine: Engine, row: Row) -> Row:
    """Mark the container `starting` (owned by this teu); Conflict if it is running."""
    with engine.lock(row["id"]):
        fresh = engine.reload(row)
        if fresh is None:
            raise EngineError(f"No such container: {row['id']}")
        fresh = S.refresh(engine, fresh) or fresh
        if fresh["status"] in S.RUNNING or fresh["status"] in ("starting", "removing"):
            raise Conflict(f"container {fresh['name']} is {fresh['status']}")
        me = os.getpid()
        with engine.db.tx() as db:
            db.update(row["id"], status="starting", monitor_pid=me,
                      monitor_start=S.start_time(me))
        return engine.reload(fresh)  # type: ignore[return-value]


def abort_start(engine: Engine, row: Row, error: BaseException) -> None:
    """Undo a failed start: the runtime's container goes; the row returns to what it was.
    A `run`'s container stays `created` with the error, as docker leaves it (an --rm
    one goes entirely)."""
    S.release_runtime(engine, row)
    if row["status"] == "creating" and row.settings["HostConfig"].get("AutoRemove"):
        from teu.engine.teardown import remove_files

        with engine.db.tx() as db:
            db.delete(row["id"])
        remove_files(engine, row)
        return
    back = "exited" if row["started_at"] else "created"
    code = getattr(error, "exit_code", None) if back == "created" else row["exit_code"]
    with engine.db.tx() as db:
        db.update(row["id"], status=back, pid=0, pid_start=None, monitor_pid=0,
                  monitor_start=None, error=str(error) or type(error).__name__,
                  exit_code=code if code in (126, 127) or back == "exited" else None)


def start_detached(engine: Engine, row: Row, attach_stdio: bool = False,
                   restart_count: int | None = None,
                   watched: bool = False) -> tuple[Row, object]:
    """conmon + runtime create + start. Returns the running row and, with attach_stdio,
    the attach socket (connected before the start, so no output is missed). watched:
    the caller stays and records the exit (teu.engine.monitor.conmon.launch); only for
    a container without a restart policy, which conmon's exit command applies."""
    from teu.engine import network
    from teu.engine.monitor import conmon, healthloop
    from teu.engine.runtimes import for_row

    cid = row["id"]
    sock = None
    session = None
    health = None
    try:
        # The health loop (and its first check's Python) starts now, beside the runtime's
        # create; it counts from the start it is told of (go), or ends with the start.
        health = healthloop.spawn(engine.paths, row)
        session = network.begin(engine, row)
        bundle = prepare(engine, row, session)
        runtime = for_row(engine.paths, row.settings)
        try:
            os.unlink(engine.paths.exit_file(cid))
        except FileNotFoundError:
            pass
        if runtime.status(cid) is not None:
            # A start killed mid-way left the runtime's create running in its conmon after
            # the row was put back: that container is stale, this start replaces it.
            runtime.delete(cid)
        config = row.settings["Config"]
        policy = (row.settings["HostConfig"].get("RestartPolicy") or {}).get("Name") or "no"
        pid, monitor = conmon.launch(engine.paths, runtime, cid, row["name"], bundle,
                                     tty=bool(config.get("Tty")),
                                     stdin=bool(config.get("OpenStdin")),
                                     stdin_once=bool(config.get("StdinOnce")),
                                     log_config=row.settings["HostConfig"].get("LogConfig"),
                                     watched=watched and policy == "no")
        with engine.db.tx() as db:
            db.update(cid, pid=pid, pid_start=S.start_time(pid))
        if attach_stdio:
            from teu.engine.monitor.attach import connect

            sock = connect(bundle)
        if session is not None:
            session.finish(pid)
        runtime.start(cid)
        began = time.clock_gettime(time.CLOCK_BOOTTIME)
    except BaseException as e:
        if health is not None:
            health.cancel()
        if sock is not None:
            sock.close()
        if session is not None:
            session.abort()
        abort_start(engine, engine.reload(row) or row, e)
        raise
    values = dict(status="running", monitor_pid=monitor, monitor_start=S.start_time(monitor),
                  started_at=time.time(), finished_at=None, exit_code=None, oom_killed=0,
                  error=None)
    if restart_count is not None:
        values["restart_count"] = restart_count  # a policy's restart: a stop meanwhile holds
    else:
        values["stopped_by_user"] = 0
    if health is not None:
        values["health"] = health.record()
    with engine.db.tx() as db:
        db.update(cid, **values)
    if health is not None:
        health.go(pid, began)  # once the row says running: the check finds it so
    fresh = engine.reload(row)
    from teu.engine.events import started

    started(engine, fresh or row)
    return fresh, sock  # type: ignore[return-value]


def start(engine: Engine, ref: str, attach: bool = False, interactive: bool = False,
          watched: bool = False) -> int:
    """docker start [-a] [-i]: 0, or with -a the container's exit code. watched: see
    start_detached."""
    row = engine.find(ref)
    row = S.refresh(engine, row)
    if row is None:
        raise EngineError(f"No such container: {ref}")
    if row["status"] in S.RUNNING:
        if not attach:
            return 0
        return attach_running(engine, row, interactive)
    row = begin_start(engine, row)
    row, sock = start_detached(engine, row, attach_stdio=attach, watched=watched)
    if not attach:
        return 0
    return _attached_wait(engine, row, sock, interactive)


def _attached_wait(engine: Engine, row: Row, sock, interactive: bool,  # noqa: ANN001
                   streams: tuple[bool, bool] = (True, True)) -> int:
    from teu.engine.lifecycle.waiting import wait
    from teu.engine.monitor.attach import pump
    from teu.runtime.run import raw_stdin

    config = row.settings["Config"]
    stdin = interactive and bool(config.get("OpenStdin"))
    restore = raw_stdin() if config.get("Tty") and stdin else (lambda: None)
    _proxy_signals(engine, row)
    try:
        if config.get("Tty"):
            _send_size(engine, row)
        pump(sock, stdin, 1 if streams[0] else -1, 2 if streams[1] else -1)
    finally:
        restore()
        sock.close()
    return wait(engine, row["id"])


def _proxy_signals(engine: Engine, row: Row) -> None:
    """docker's --sig-proxy: what teu receives while attached goes to the container."""
    import _signal as signal

    from teu.engine.runtimes import for_row

    runtime = for_row(engine.paths, row.settings)

    def forward(signum: int, _frame: object) -> None:
        try:
            runtime.kill(row["id"], signum)
        except Exception:  # noqa: BLE001 - it may be gone already
            pass

    for sig in (signal.SIGHUP, signal.SIGINT, signal.SIGQUIT, signal.SIGTERM,
                signal.SIGUSR1, signal.SIGUSR2):
        signal.signal(sig, forward)


def attach_running(engine: Engine, row: Row, interactive: bool = True) -> int:
    from teu.engine.monitor.attach import connect

    sock = connect(engine.paths.container(row["id"]))
    return _attached_wait(engine, row, sock, interactive)


def _send_size(engine: Engine, row: Row) -> None:
    import fcntl
    import struct
    import termios

    try:
        packed = fcntl.ioctl(1, termios.TIOCGWINSZ, b"\0" * 8)
    except OSError:
        return
    rows, cols = struct.unpack("HHHH", packed)[:2]
    from teu.engine.monitor.attach import resize

    resize(engine.paths.container(row["id"]), rows, cols)
