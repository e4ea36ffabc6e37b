"""One command in a container made from a root filesystem, run to its end: the seam
teu.build uses for RUN (and anything else that needs "run this there and wait").

No row in the containers table, no conmon: teu.runtime is driven in this process
(as a foreground `teu run` does), with docker's default hardening (capabilities,
seccomp, masked paths, private namespaces) from teu.engine.config.spec. The
caller owns the root filesystem (mounted or a plain directory); this owns the
runtime's state, which lives under <runroot>/oneshot and is gone when `run`
returns, whatever happens. A teu killed with -9 leaves its container behind:
`sweep` (called by every run) removes those of dead owners (the owner's pid is
in the container ID), and DELs their network attachments.

Networks: "none" (loopback only), "host", or a network's name: then the container
is attached through teu.network.attach as a `teu run` on it would be (its own
namespace, a veth on the bridge, an address, hosts and resolv.conf); the DEL runs in
a thread after the command ends, and `settle` waits for those.
"""

from __future__ import annotations

import os
import threading

from teu.engine.paths import Paths


class OneShot:
    """What to run, and how (a plain class: `dataclasses` costs ~15 ms of imports, more
    than a fully cached build spends on anything else)."""

    def __init__(self, rootfs: str, args: list[str], env: list[str], cwd: str = "/",
                 user: str = "", network: str = "none", mounts: list[dict] | None = None,
                 hostname: str = "buildkitsandbox", privileged: bool = False,
                 stdout: int = 1, stderr: int = 2) -> None:
        self.rootfs = rootfs        # the container's root, read-write, prepared by the caller
        self.args = args
        self.env = env
        self.cwd = cwd
        self.user = user            # a USER value, resolved in the rootfs's /etc/passwd
        self.network = network      # "none", "host" or a network's name (its own netns on it)
        self.mounts = mounts if mounts is not None else []  # OCI mounts, after the defaults
        self.hostname = hostname
        self.privileged = privileged
        self.stdout = stdout        # file descriptors the command writes to
        self.stderr = stderr


_counter = [0]
_stdio = threading.Lock()  # create puts the command's stdio on our 0/1/2 while it forks
_running: dict[str, int] = {}  # container id -> its init's pid, while `run` waits
_stopping = threading.Event()


def kill_all() -> None:
    """SIGKILL every one-shot container this process is waiting for (an interrupted
    build): each `run` then returns and cleans up after its own; none starts after."""
    _stopping.set()
    for pid in list(_running.values()):
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            pass


def runtime_root(paths: Paths) -> str:
    return os.path.join(paths.runroot, "oneshot")


def run(paths: Paths, job: OneShot, name: str = "oneshot") -> int:
    """Run `job.args` and wait; its exit code (128+N if killed by signal N)."""
    from teu.engine.config import spec as SP
    from teu.engine.config import users
    from teu.runtime import linux as L
    from teu.runtime.create import CreateOptions, create
    from teu.runtime.lifecycle import delete
    from teu.runtime.run import exit_code

    sweep(paths)
    _counter[0] += 1
    cid = f"{name}-{os.getpid()}-{_counter[0]}"
    root = runtime_root(paths)
    bundle = os.path.join(root, "bundles", cid)
    os.makedirs(bundle, mode=0o700, exist_ok=True)
    settings = {
        "Config": {"Cmd": list(job.args), "Env": list(job.env), "WorkingDir": job.cwd,
                   "Hostname": job.hostname, "User": job.user},
        "HostConfig": {"NetworkMode": job.network, "Privileged": job.privileged},
        "Mounts": [], "Teu": {},
    }
    SP.etc_files(bundle, cid, settings)
    user = users.resolve(job.rootfs, job.user)
    spec = SP.build(cid, settings, job.rootfs, bundle, user, runtime_cgroup_parent="/teu-build")
    spec["mounts"].extend(job.mounts)
    L.syscalls().prctl(L.PR_SET_CHILD_SUBREAPER, 1)
    pid = 0
    session = None
    try:
        if job.network not in ("none", "host"):
            session = _attach(paths, cid, settings, bundle, spec)
        from teu import fastjson

        with open(os.path.join(bundle, "config.json"), "w") as f:
            f.write(fastjson.dumps(spec))
        with _stdio:
            saved = [os.dup(fd) for fd in (0, 1, 2)]
            devnull = os.open("/dev/null", os.O_RDONLY | os.O_CLOEXEC)
            try:
                for target, fd in ((0, devnull), (1, job.stdout), (2, job.stderr)):
                    if fd != target:
                        os.dup2(fd, target)
                state = create(root, cid, CreateOptions(bundle=bundle))
            finally:
                for target, fd in enumerate(saved):
                    os.dup2(fd, target)
                    os.close(fd)
                os.close(devnull)
        pid = state.pid
        if session is not None:
            session.finish(pid)  # the veth configured, hosts and resolv.conf written
            session = None
        from teu.runtime.lifecycle import start_loaded

        _running[cid] = pid
        if _stopping.is_set():
            os.kill(pid, 9)
        start_loaded(state)
        # Its own pid (not any child): other threads may be waiting for theirs.
        _, status = os.waitpid(pid, 0)
        pid = 0
        return exit_code(status)
    finally:
        _running.pop(cid, None)
        if session is not None:
            session.abort()  # the create failed: the attachment goes with its records
        if pid:
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass
        deleted = True
        try:
            delete(root, cid, force=True)  # an unknown id is no error (runc's --force)
        except Exception:  # noqa: BLE001 - e.g. its cgroup still busy with dying processes
            deleted = False
        if not deleted or job.network not in ("none", "host"):
            _release_later(paths, cid, bundle, retry_delete=not deleted)
        else:
            _rmtree(bundle)


def _attach(paths: Paths, cid: str, settings: dict, bundle: str, spec: dict):  # noqa: ANN202
    """Start attaching the container to its network (teu.network.attach, as a `teu run`
    on that network): its own namespace, a veth on the network's bridge, an address; the
    spec joins that namespace. The caller finishes the session after the create."""
    from teu.network.attach import begin, validate

    validate(paths.root, settings)
    session = begin(paths.root, cid, cid, settings, bundle)
    if session is not None:
        for ns in spec["linux"]["namespaces"]:
            if ns["type"] == "network":
                ns["path"] = session.path
    return session


_releasing: list[threading.Thread] = []
_releasing_lock = threading.Lock()


def _release_later(paths: Paths, cid: str, bundle: str, retry_delete: bool = False) -> None:
    """The network's DEL (plugins run one after the other: ~20-90 ms) goes on in a thread
    while the caller carries on; settle() waits for it. So does a delete that failed (a
    cgroup whose killed processes take longer to leave than the runtime waits, on a
    loaded machine). The bundle stays until it is done, so a teu killed meanwhile leaves
    what the next sweep needs to finish."""
    t = threading.Thread(target=_release, args=(paths, cid, bundle, retry_delete),
                         name=f"release-{cid}")
    with _releasing_lock:
        _releasing.append(t)
    t.start()


def _release(paths: Paths, cid: str, bundle: str, retry_delete: bool) -> None:
    if retry_delete:
        import time

        from teu.runtime.lifecycle import delete

        for attempt in range(3):
            try:
                delete(runtime_root(paths), cid, force=True)
                break
            except Exception as e:  # noqa: BLE001 - said once, after the last try
                if attempt == 2:
                    from teu.runtime import log

                    log.warning(f"{cid}: {e}")
                    return  # its state stays for the sweep of a later teu
                time.sleep(0.5)
    try:
        _detach(paths, cid)
    except Exception as e:  # noqa: BLE001 - as the engine does: a warning, the records stay
        from teu.runtime import log

        log.warning(f"{cid}: {e}")
    else:
        _rmtree(bundle)


def settle() -> None:
    """Wait until the networks of the finished one-shot containers are released (callers
    call it before they end; Python would wait for those threads at exit anyway)."""
    while True:
        with _releasing_lock:
            if not _releasing:
                return
            t = _releasing.pop()
        t.join()


def _detach(paths: Paths, cid: str, force: bool = False) -> None:
    """DEL the container's attachments (its lease, veth and records), if it has any."""
    if not os.path.isdir(os.path.join(paths.root, "networks", "results", cid)):
        return
    from teu.network.attach import detach

    detach(paths.root, cid, force=force)


def sweep(paths: Paths) -> int:
    """Remove the runtime state of one-shot containers whose teu is dead; how many."""
    root = runtime_root(paths)
    try:
        names = os.listdir(root)
    except FileNotFoundError:
        return 0
    try:
        # A bundle whose teu died before its container was created has no state.
        names += [b for b in os.listdir(os.path.join(root, "bundles")) if b not in names]
    except FileNotFoundError:
        pass
    n = 0
    for cid in names:
        parts = cid.rsplit("-", 2)
        if len(parts) != 3 or not parts[1].isdigit():
            continue
        owner = int(parts[1])
        if owner == os.getpid() or os.path.exists(f"/proc/{owner}"):
            continue
        from teu.runtime.lifecycle import delete

        try:
            delete(root, cid, force=True)
        except Exception:  # noqa: BLE001 - half made: its directory goes anyway
            _rmtree(os.path.join(root, cid))
        try:
            _detach(paths, cid, force=True)  # the container is gone: DEL cannot wait for it
        except Exception as e:  # noqa: BLE001 - the others are swept all the same
            from teu.runtime import log

            log.warning(str(e))
        _rmtree(os.path.join(root, "bundles", cid))
        n += 1
    return n


def _rmtree(path: str) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)
