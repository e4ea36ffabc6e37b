"""`create`: from a bundle to a container whose init waits for `start`.

The runtime side of the dance described in init.py: claim the state
directory, make the cgroup, fork stage 1, answer its requests (id maps, hooks),
learn the init's pid, record it. Anything that fails undoes what was made
(cgroup, state directory, the init) before the error reaches the user.
"""

from __future__ import annotations

import _signal as signal  # the C module: `signal` imports enum, ~4 ms
import os

from teu.errors import TeuError
from teu.oci import runtime_config
from teu.runtime import log
from teu.runtime.state import ContainerState, process_start_time, rfc3339_now
from teu.runtime.sync import channel_pair


class CreateOptions:
    """The flags of runc's create/run that shape how a container is made."""

    def __init__(self, bundle: str = ".", pid_file: str | None = None,
                 console_socket: str | None = None, no_pivot: bool = False,
                 no_new_keyring: bool = False, preserve_fds: int = 0,
                 systemd_cgroup: bool = False, subreaper: bool = False) -> None:
        self.bundle = os.path.abspath(bundle)
        self.pid_file = pid_file
        self.console_socket = console_socket
        self.no_pivot = no_pivot
        self.no_new_keyring = no_new_keyring
        self.preserve_fds = preserve_fds
        self.systemd_cgroup = systemd_cgroup
        # Become a child subreaper (run): orphans of a container without its own pid
        # namespace come to us to be reaped, as with runc run.
        self.subreaper = subreaper


_loaded: dict[str, tuple[dict, str]] = {}


def load_bundle(bundle: str) -> tuple[dict, str]:
    """The validated config and the absolute rootfs path of a bundle.

    Remembered for the rest of this (short-lived) process: `run` reads the config
    to see whether it needs a terminal before create reads it again."""
    if bundle in _loaded:
        return _loaded[bundle]
    if not os.path.isdir(bundle):
        raise TeuError(f"bundle {bundle}: no such directory")
    config = runtime_config.load(os.path.join(bundle, "config.json"))
    if "process" not in config:
        raise runtime_config.ConfigError("config.json: process: missing (create needs one)")
    rootfs = os.path.join(bundle, config["root"]["path"])
    if not os.path.isdir(rootfs):
        raise TeuError(f"root.path: rootfs {rootfs} does not exist or is not a directory")
    _loaded[bundle] = config, os.path.realpath(rootfs)
    return _loaded[bundle]


def _warn_without_mount_namespace(config: dict) -> None:
    """Without a mount namespace the init is only chrooted: say what is not applied
    (it would change the runtime's own mount namespace, and outlive the container)."""
    linux = config.get("linux") or {}
    if any(ns.get("type") == "mount" for ns in linux.get("namespaces") or []):
        return
    skipped = [key for key, there in (
        ("mounts", config.get("mounts")), ("linux.devices", linux.get("devices")),
        ("linux.maskedPaths", linux.get("maskedPaths")),
        ("linux.readonlyPaths", linux.get("readonlyPaths")),
        ("root.readonly", config["root"].get("readonly"))) if there]
    if skipped:
        log.warning(f"no mount namespace in linux.namespaces: {', '.join(skipped)} not "
                    "applied; the process is only chrooted into root.path")


def cgroup_manager(config: dict, container_id: str, systemd: bool):  # noqa: ANN201
    from teu.runtime import cgroups

    path = (config.get("linux") or {}).get("cgroupsPath", "")
    return cgroups.manager_for(path, container_id, systemd=systemd)


def create(root: str, container_id: str, opts: CreateOptions,
           console_sock=None) -> ContainerState:  # noqa: ANN001
    """Create the container; its init is left blocked on exec.fifo. Returns its state.

    `console_sock`: an already connected socket to send the pty to (used by `run -t`);
    otherwise opts.console_socket is connected here.
    """
    # Before the fork: the runtime needs these next, and the container side's cgroup
    # mount (cgroup_mounts) too; imported once here, stage 1 need not import them again.
    import teu.runtime.cgroups.mounts  # noqa: F401

    config, _ = load_bundle(opts.bundle)
    # The runtime clones the init itself (init.clone_init) only while it has no other
    # thread: a raw clone skips the C library's fork handlers, so a lock another
    # thread held (malloc's) would stay held in the child.
    direct = not needs_stage1(config) and _single_threaded()
    stage = None
    if not direct and console_sock is None and not opts.console_socket:
        stage = Stage1()
    try:
        return _create(root, container_id, opts, console_sock, stage, direct)
    finally:
        if stage is not None:
            stage.finish()


def _single_threaded() -> bool:
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return False


def needs_stage1(config: dict) -> bool:
    """Whether the init is made by stage 1 (see init.py) rather than cloned by the
    runtime itself: for namespaces joined by path, and a time namespace (its offsets
    are written before its first process enters it). A user namespace is made by the
    clone itself (init.clone_init), its bind mounts' sources opened by a helper the
    runtime forks (bind_sources)."""
    namespaces = (config.get("linux") or {}).get("namespaces") or []
    return any(n.get("path") or n["type"] == "time" for n in namespaces)


class Stage1:
    """Stage 1 of the container side (init.py), for a container that needs one (see
    needs_stage1), forked as soon as the bundle is read.

    While the runtime reads the config and makes the state and the cgroup, it
    loads the container side's modules (ctypes among them: ~3 ms) on the other
    core; one "setup" message then tells it what to build. A process that must
    inherit a console socket is forked later, once the socket is connected.
    """

    def __init__(self) -> None:
        self.ch, child = channel_pair()
        self.pid = os.fork()
        if self.pid == 0:
            try:
                self.ch.close()
                from teu.runtime.init import stage1_from_channel

                stage1_from_channel(child)
            finally:
                os._exit(1)  # it never returns; nothing may fall back into the runtime's code
        child.close()
        self.done = False

    def finish(self, kill: bool = False) -> None:
        """Close our end and reap it (killing it first if asked); idempotent."""
        if self.done:
            return
        self.done = True
        if kill:
            kill_quietly(self.pid)
        self.ch.close()
        reap(self.pid)


def _create(root: str, container_id: str, opts: CreateOptions, console_sock,
            stage: Stage1 | None, direct: bool) -> ContainerState:  # noqa: ANN001
    config, rootfs = load_bundle(opts.bundle)
    _warn_without_mount_namespace(config)
    if opts.console_socket and not config["process"].get("terminal"):  # runc refuses it too
        raise TeuError("cannot use console socket if teu-runtime will not allocate tty")
    if config["process"].get("apparmorProfile"):
        from teu.runtime.apparmor import check

        check(config["process"])
    state = ContainerState(root, container_id)
    # First: a bad or taken id is the error to give, before any cgroup check. The claim
    # holds the container's lock until create is done (a delete waits for it).
    state.claim()
    try:
        return _create_claimed(state, config, rootfs, opts, console_sock, stage, direct)
    finally:
        state.unlock()


def _create_claimed(state: ContainerState, config: dict, rootfs: str, opts: CreateOptions,
                    console_sock, stage: Stage1 | None,  # noqa: ANN001
                    direct: bool) -> ContainerState:
    container_id = state.id
    linux = config.get("linux") or {}
    try:
        cgroup = cgroup_manager(config, container_id, opts.systemd_cgroup)
        shared = check_existing_cgroup(cgroup)
    except BaseException:
        state.remove()  # nothing else was made yet; the cgroup is not ours to touch
        raise
    init_pid = 0
    try:
        state.data = {"id": container_id, "pid": 0, "bundle": opts.bundle, "rootfs": rootfs,
                      "created": rfc3339_now(), "annotations": config.get("annotations") or {},
                      "cgroupsPath": linux.get("cgroupsPath", ""),
                      "systemd": opts.systemd_cgroup, "cgroup": cgroup.all_dirs}
        # Saved before the cgroup exists: a crash from here on leaves what
        # `delete --force` needs to remove it.
        state.save()
        # The directory the init can be cloned into first; the rest made and all limited
        # (_limit) before the init is in it or runs anything of the container's: before
        # stage 1 starts, or, where the runtime clones the init itself, while the init
        # loads and mounts.
        cgroup.create_clone_target()
        os.mkfifo(state.fifo, 0o600)
        init_pid = _start_init(state, config, rootfs, opts, cgroup, console_sock, stage,
                               direct, lambda: _limit(config, cgroup))
        state.data["ready"] = True
        state.save()
        state.config, state.cgroup = config, cgroup
        if opts.pid_file:
            write_pid_file(opts.pid_file, init_pid)
        return state
    except BaseException:
        _undo(state, None if shared else cgroup, init_pid)
        raise


def check_existing_cgroup(cgroup) -> bool:  # noqa: ANN001
    """A cgroup that is already there (a pod's, a test's) is used, but not blindly:
    a frozen one would hang the init at its first step (refused, as runc does, before
    anything is made), and other processes in it share the container's limits (a
    warning). Costs one failed open and one stat when the cgroup is new. Returns
    whether others' processes are in it (then a failed create must not kill them)."""
    if cgroup.frozen():
        raise TeuError("container's cgroup unexpectedly frozen: thaw it, or use another "
                       "linux.cgroupsPath")
    if cgroup.exists():
        found = len(cgroup.pids())
        if found:
            log.warning(f"container's cgroup is not empty: {found} process(es) found")
            return True
    return False


def _limit(config: dict, cgroup) -> None:  # noqa: ANN001
    """The rest of the cgroup made, and all of it limited."""
    cgroup.create()
    cgroup.set(with_default_devices(config.get("linux") or {}))


def _save_config(state: ContainerState, config: dict) -> None:
    from teu import fastjson

    with open(os.path.join(state.dir, "config.json"), "w") as f:
        f.write(fastjson.dumps(config))


def _start_init(state: ContainerState, config: dict, rootfs: str, opts: CreateOptions,
                cgroup, console_sock, stage: Stage1 | None,  # noqa: ANN001
                direct: bool, limit) -> int:  # noqa: ANN001
    console_fd = None
    own_sock = None
    if config["process"].get("terminal"):
        if console_sock is None:
            if not opts.console_socket:
                raise TeuError("cannot allocate a tty without --console-socket")
            own_sock = console_sock = _connect(opts.console_socket)
        console_fd = console_sock.fileno()
        if stage is not None:
            stage.finish(kill=True)  # forked before the socket existed: it lacks the fd
        stage = None
    if direct and _single_threaded():  # checked again: an engine may have started one
        return _clone_init(state, config, rootfs, opts, cgroup, console_fd, own_sock, limit)
    if stage is None:
        stage = Stage1()
    if own_sock is not None:
        own_sock.close()
    init_pid = 0
    try:
        limit()
        _save_config(state, config)
        try:
            stage.ch.send("setup", config=config, rootfs=rootfs, fifo=state.fifo,
                          console_fd=console_fd, preserve_fds=opts.preserve_fds,
                          no_pivot=opts.no_pivot, no_new_keyring=opts.no_new_keyring,
                          id=state.id, seccomp_cache=seccomp_cache_dir(state),
                          cgroup_join=cgroup.self_join_files(),
                          cgroup_target=cgroup.clone_target())
        except BrokenPipeError:
            pass  # stage 1 failed early; its error message is waiting in the channel
        _become_subreaper(opts, config)
        init_pid = _serve(stage.ch, state, config, stage.pid, cgroup)
        return init_pid
    except BaseException:
        kill_quietly(init_pid)
        stage.finish(kill=True)
        raise
    finally:
        stage.finish()


def _clone_init(state: ContainerState, config: dict, rootfs: str, opts: CreateOptions,
                cgroup, console_fd: int | None, own_sock, limit) -> int:  # noqa: ANN001
    """The init of a container that needs no stage 1, cloned by the runtime itself as
    soon as its cgroup exists; the runtime limits the cgroup while the init loads the
    container side and mounts what needs no cgroup (it waits for "cgroup-ready")."""
    from teu.runtime import init

    ch, child = channel_pair()
    ctx = init.InitContext(config, rootfs, state.fifo, child, console_fd, opts.preserve_fds,
                           opts.no_pivot, opts.no_new_keyring, state.id)
    ctx.seccomp_cache = seccomp_cache_dir(state)
    # The init joins its cgroup itself (see init.clone_init): no grace-period wait.
    ctx.cgroup_join_files = cgroup.self_join_files()
    opener = ctx.bind_opener = _bind_source_opener(ctx)
    init_pid = 0
    try:
        try:
            init_pid, joins = init.clone_init(ctx, ch, cgroup.clone_target())
        finally:
            child.close()
            if own_sock is not None:
                own_sock.close()
        if opener is not None:
            # We are still the host's root, single-threaded (the clone's condition): the
            # sources are opened in the init's mount namespace by us; the init receives
            # them before it mounts (bind_sources).
            opener.open_and_send(init_pid)
        _become_subreaper(opts, config)
        if ctx.new("user"):
            _user_namespace_ready(config, init_pid)
        limit()
        _cgroup_ready(ch, None if joins else cgroup, init_pid)
        # Then what the init does not wait for. Until the pid is saved, a runtime that
        # dies leaves an init that exits by itself: its channel ends (EOF, EPIPE).
        _init_started(state, init_pid)
        _save_config(state, config)
        return _serve(ch, state, config, 0, cgroup, init_pid)
    except BaseException:
        if init_pid:
            kill_quietly(init_pid)
            reap(init_pid)  # gone before its cgroup is removed
        raise
    finally:
        ch.close()
        if opener is not None:
            opener.close()


def _bind_source_opener(ctx):  # noqa: ANN001, ANN202 - an init.InitContext; the opener or None
    """For an init cloned into a new user and mount namespace with bind mounts: the
    pair through which we, the host's root, send it their sources."""
    if not (ctx.new("user") and ctx.new("mount")):
        return None
    from teu.runtime.bind_sources import BindSourceOpener, bind_source_paths

    paths = bind_source_paths(ctx.config.get("mounts"))
    return BindSourceOpener(paths) if paths else None


def _user_namespace_ready(config: dict, init_pid: int) -> None:
    """For an init the runtime cloned into a new user namespace: its id maps, and its
    oomScoreAdj (lowering it needs CAP_SYS_RESOURCE in the host's namespace, which the
    init has no longer). It waits for "cgroup-ready" before it becomes the namespace's
    root (init.clone_init)."""
    from teu.runtime.process import set_oom_score_adj  # loaded already: clone_init's

    _write_id_maps(init_pid, config["linux"])
    set_oom_score_adj(config["process"].get("oomScoreAdj"), init_pid)


def _become_subreaper(opts: CreateOptions, config: dict) -> None:
    if opts.subreaper and not _new_pid_namespace(config):
        # The init is our own child; being a subreaper only catches its orphans, which a
        # container with a pid namespace of its own never leaves us (they go to its
        # init, and die with it).
        from teu.runtime import linux as L

        L.syscalls().prctl(L.PR_SET_CHILD_SUBREAPER, 1)


def _new_pid_namespace(config: dict) -> bool:
    return any(n.get("type") == "pid" and not n.get("path")
               for n in (config.get("linux") or {}).get("namespaces") or [])


def seccomp_cache_dir(state: ContainerState) -> str:
    """Compiled seccomp programs live beside the containers, in the runtime's root."""
    return os.path.join(os.path.dirname(state.dir), ".cache", "seccomp")


def with_default_devices(linux: dict) -> dict:
    """linux.resources with the device rules the runtime adds after the config's own:
    runc's defaults and /dev/console. A linux.devices entry is made, not allowed: its
    access is what linux.resources.devices says (runc's rule; engines add the allow)."""
    from teu.runtime.cgroups.devices import DEFAULT_ALLOWED_DEVICES

    resources = dict(linux.get("resources") or {})
    rules = list(resources.get("devices") or [])
    rules += DEFAULT_ALLOWED_DEVICES
    rules.append({"allow": True, "type": "c", "major": 5, "minor": 1, "access": "rwm"})
    resources["devices"] = rules
    return resources


def _serve(ch, state: ContainerState, config: dict, stage1_pid: int,
           cgroup, init_pid: int = 0) -> int:  # noqa: ANN001
    """Answer the container side until it says ready; return the init's pid (known
    already, `init_pid`, when the runtime cloned the init itself).

    Stage 1's init joins its (already limited) cgroup at its birth (cgroup_join);
    only where clone3 was refused does the runtime move it, as soon as its pid is
    known, while it builds its root filesystem (the move waits for an RCU grace
    period, ~10 ms). Every init waits for "cgroup-ready" (_cgroup_ready) before anything that must run inside
    the cgroup (its cgroup namespace and mounts, device nodes, hooks, the exec)."""
    while True:
        msg = ch.recv()
        kind = msg["kind"]
        if kind == "userns":
            _write_id_maps(stage1_pid, config["linux"])
            ch.send("mapped")
        elif kind == "pid":
            init_pid = msg["pid"]
            _init_started(state, init_pid)
            _cgroup_ready(ch, None if msg.get("joined") else cgroup, init_pid)
        elif kind == "hooks":
            from teu.runtime.hooks import run_hooks

            hooks = config.get("hooks") or {}
            spec_state = state.spec_state("creating")
            spec_state["pid"] = init_pid
            if hooks.get("prestart"):
                # prestart is the 1.0 spec's "after start is called" hook, whose state is
                # "created" (crun's choice, and runtime-tools' check); createRuntime and
                # createContainer run mid-create and see "creating".
                run_hooks("prestart", hooks["prestart"], dict(spec_state, status="created"))
            run_hooks("createRuntime", hooks.get("createRuntime"), spec_state)
            ch.send("hooks-done", state=spec_state)
        elif kind == "seccomp":
            from teu.runtime.seccomp.notify import hand_over

            spec_state = state.spec_state("creating")
            spec_state["pid"] = init_pid
            hand_over(config["linux"]["seccomp"], init_pid, msg["fd"], spec_state)
            ch.send("seccomp-done")
        elif kind == "ready":
            return init_pid
        elif kind == "error":
            kill_quietly(init_pid)
            raise TeuError(msg["message"], msg.get("exit_code") or 1)
        else:
            kill_quietly(init_pid)
            raise TeuError("container init exited during setup; see the runtime log")


def _init_started(state: ContainerState, init_pid: int) -> None:
    # Recorded now so that a crash from here on leaves a pid for delete --force.
    state.data["pid"] = init_pid
    state.data["init_start"] = process_start_time(init_pid)
    state.save()


def _cgroup_ready(ch, cgroup, init_pid: int) -> None:  # noqa: ANN001
    """The cgroup is limited: move the init into it (unless `cgroup` is None: the init
    joins it itself, init.clone_init, cgroup_join) and say so."""
    if cgroup is not None:
        cgroup.add(init_pid)
    try:
        ch.send("cgroup-ready")
    except BrokenPipeError:
        pass  # the init died; its error message is waiting in the channel


def _write_id_maps(pid: int, linux: dict) -> None:
    for key, name in (("uidMappings", "uid_map"), ("gidMappings", "gid_map")):
        lines = "".join(f"{m['containerID']} {m['hostID']} {m['size']}\n"
                        for m in linux.get(key) or [])
        try:
            with open(f"/proc/{pid}/{name}", "w") as f:
                f.write(lines)
        except OSError as e:
            raise TeuError(f"linux.{key}: writing {name}: {e.strerror}") from None


def _connect(path: str):  # noqa: ANN202
    import socket

    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(path)
    except OSError as e:
        sock.close()
        raise TeuError(f"--console-socket {path}: {e.strerror}") from None
    return sock


def write_pid_file(path: str, pid: int) -> None:
    """Atomically, as runc does: callers poll for it."""
    path = os.path.abspath(path)
    tmp = os.path.join(os.path.dirname(path), f".{os.path.basename(path)}.tmp")
    try:
        with open(tmp, "w") as f:
            f.write(str(pid))
        os.replace(tmp, path)
    except OSError as e:
        raise TeuError(f"--pid-file {path}: {e.strerror}") from None


def kill_quietly(pid: int) -> None:
    if pid:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def reap(pid: int) -> None:
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def _undo(state: ContainerState, cgroup, init_pid: int) -> None:  # noqa: ANN001
    """Remove all that a failed create made, so the id can be used again."""
    if cgroup is not None:
        try:
            if cgroup.exists():
                cgroup.kill_all(signal.SIGKILL)
            cgroup.destroy()  # every directory made, even where create() stopped half-way
        except Exception as e:  # noqa: BLE001 - keep undoing; say what is left
            log.warning(f"cleaning up cgroup {cgroup.path}: {e}")
    state.remove()
