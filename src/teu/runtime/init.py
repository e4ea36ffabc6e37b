"""What runs on the container side, from fork to the exec of the user's program.

Two stages, because a new pid namespace only applies to children:

- stage 1 (forked by the runtime, still in the runtime's namespaces and cgroup)
  opens the container's cgroup files (cgroup_join), joins namespaces given by
  path (a cgroup one is the child's to join, once in its cgroup), makes a user
  namespace (the runtime writes its id maps), unshares the rest, clones stage 2
  into the cgroup (the v1 hierarchies the child joins itself), reports its pid and
  exits.
- stage 2 is the container's init: pid 1 of a new pid namespace. It builds the
  root filesystem, lets the runtime run its hooks, pivots, sets hostname,
  sysctls, console, limits, identity and capabilities, says "ready", then
  blocks on exec.fifo until `start`, and execs the user's program. No Python
  stays in the container after that exec.

Both report failures over the sync channel and exit; they never return.

Stage 1 exists for what must happen in a process of its own before the init is
made: joining namespaces by path, a time namespace (its offsets are written before
its first process enters it). A container that needs neither (create.needs_stage1) is
cloned by the runtime itself straight into its new namespaces (`clone_init`), a new
user namespace among them: one Python fork fewer, with its copied pages and its exit
(~6 ms of CPU a start with a user namespace). Its bind mounts' sources are then
opened as the host's root by the runtime itself, in the init's mount namespace
(bind_sources; stage 1 has a helper do it).
"""

from __future__ import annotations

import os

from teu.runtime import linux as L
from teu.runtime import log
from teu.runtime.process import (
    ExecError,
    close_other_fds,
    enter_cwd,
    env_dict,
    execute,
    find_executable,
    set_no_new_privileges,
    set_oom_score_adj,
    set_rlimits,
    switch_identity,
)
from teu.runtime.signals import reset_signals
from teu.runtime.sync import Channel

NS_FLAGS = {
    "pid": L.CLONE_NEWPID, "network": L.CLONE_NEWNET, "mount": L.CLONE_NEWNS,
    "ipc": L.CLONE_NEWIPC, "uts": L.CLONE_NEWUTS, "user": L.CLONE_NEWUSER,
    "cgroup": L.CLONE_NEWCGROUP, "time": L.CLONE_NEWTIME,
}
# setns into the user namespace first: it grants the rights to join the others.
JOIN_ORDER = ("user", "ipc", "uts", "network", "pid", "mount", "cgroup", "time")


def open_namespaces(paths: list[tuple[str, str]]) -> list[tuple[str, int]]:
    """Open every namespace file first: joining a mount namespace hides the host's paths."""
    opened = []
    for kind, path in paths:
        try:
            opened.append((kind, os.open(path, os.O_RDONLY | os.O_CLOEXEC)))
        except OSError as e:
            raise OSError(e.errno, f"{kind} namespace {path}: {e.strerror}") from None
    return opened


def join_namespaces(sys: L.Syscalls, opened: list[tuple[str, int]]) -> None:
    for kind, fd in sorted(opened, key=lambda j: JOIN_ORDER.index(j[0])):
        try:
            sys.setns(fd, NS_FLAGS[kind])
        except OSError as e:
            raise OSError(e.errno, f"joining {kind} namespace: {e.strerror}") from None
        os.close(fd)


class InitContext:
    """Everything the container side needs, fixed before the first fork."""

    def __init__(self, config: dict, rootfs: str, fifo: str, channel: Channel,
                 console_fd: int | None, preserve_fds: int, no_pivot: bool,
                 no_new_keyring: bool, container_id: str) -> None:
        self.config = config
        self.rootfs = rootfs
        self.fifo = fifo
        self.fifo_fd = -1
        self.seccomp_filter = None
        self.in_cgroup = False
        # Set where the init moves itself into its cgroup (clone_init) instead of the
        # runtime doing it: the v1 `tasks` files it writes "0" to.
        self.cgroup_join_files: list[str] | None = None
        # Stage 1's: the files through which the init it clones joins its cgroup at
        # birth (cgroup_join; None: the runtime moves it).
        self.self_join = None
        self.seccomp_cache: str | None = None
        self.bind_fds: dict[int, int] = {}  # mounts[i] -> fd, see bind_sources
        # Where the runtime clones the init into a new user and mount namespace: the
        # opener through which the runtime sends the init its bind sources (bind_sources).
        self.bind_opener = None
        self.ch = channel
        self.console_fd = console_fd
        self.preserve_fds = preserve_fds
        self.no_pivot = no_pivot
        self.no_new_keyring = no_new_keyring
        self.id = container_id
        self.process = config["process"]
        self.linux = config.get("linux") or {}
        self.namespaces = self.linux.get("namespaces") or []

    def new(self, kind: str) -> bool:
        return any(n["type"] == kind and not n.get("path") for n in self.namespaces)

    def has(self, kind: str) -> bool:
        """A namespace of this kind, new or joined by path (not the runtime's own)."""
        return any(n["type"] == kind for n in self.namespaces)


def _fail_channel(ch: Channel, e: BaseException) -> None:
    """Report a setup failure to the runtime (or, if it is gone, the log) and exit."""
    code = getattr(e, "exit_code", 1)
    message = str(e) if isinstance(e, OSError) or hasattr(e, "exit_code") \
        else f"{type(e).__name__}: {e}"
    try:
        ch.send("error", message=message, exit_code=code)
    except OSError:
        log.error(message)
    os._exit(code if code else 1)


def stage1_from_channel(ch: Channel) -> None:
    """Stage 1 as the runtime forks it: load what every container needs, then wait
    for the one "setup" message that says what to build."""
    import teu.runtime.bind_sources  # noqa: F401
    import teu.runtime.mount_options  # noqa: F401
    import teu.runtime.rootfs  # noqa: F401

    try:
        L.syscalls().resolve()  # off the critical path: the runtime is still busy
        msg = ch.recv()
        if msg.get("kind") != "setup":
            os._exit(1)
        ctx = InitContext(msg["config"], msg["rootfs"], msg["fifo"], ch, msg["console_fd"],
                          msg["preserve_fds"], msg["no_pivot"], msg["no_new_keyring"],
                          msg["id"])
        ctx.seccomp_cache = msg.get("seccomp_cache")
        if msg.get("cgroup_join") is not None:
            from teu.runtime.cgroup_join import SelfJoin

            ctx.self_join = SelfJoin(msg["cgroup_join"], msg.get("cgroup_target"))
        stage1(ctx)
    except BaseException as e:  # noqa: BLE001 - everything must reach the runtime
        _fail_channel(ch, e)


def stage1(ctx: InitContext) -> None:
    try:
        log.debug("=> nsexec container setup (stage 1: namespaces)")
        sys = L.syscalls()
        # Non-dumpable from here to the exec (which makes the program dumpable again), as
        # runc's nsexec: a process of the container that can see us (a joined pid
        # namespace, the exec of a setuid-less root) may then neither ptrace us nor open
        # our /proc/PID/exe (the host's Python: CVE-2019-5736), environ, mem or fds.
        sys.prctl(L.PR_SET_DUMPABLE, 0)
        # Opened and loaded as the host's root: inside a user namespace (and after
        # pivot_root) the fifo and the host's Python library may be out of reach.
        ctx.fifo_fd = os.open(ctx.fifo, os.O_RDWR | os.O_CLOEXEC)
        preload(ctx)
        # Set here, inherited by the init: a non-dumpable process's /proc/self files
        # belong to the host's root, which a user namespace cannot write as.
        set_oom_score_adj(ctx.process.get("oomScoreAdj"))
        opener = None
        if ctx.new("user") and ctx.new("mount"):
            from teu.runtime.bind_sources import BindSourceOpener, bind_source_paths

            paths = bind_source_paths(ctx.config.get("mounts"))
            if paths:
                opener = BindSourceOpener(paths)
                opener.fork_helper()
        if ctx.self_join is not None:
            ctx.self_join.open()  # before any namespace hides the host's cgroupfs
        opened = open_namespaces([(n["type"], n["path"]) for n in ctx.namespaces
                                  if n.get("path")])
        # A cgroup namespace joined by path is the init's to join, once in its cgroup
        # (as exec's stage 2): from inside it, a clone into a cgroup from outside it is
        # refused where cgroup2 is mounted nsdelegate.
        cgroup_ns = next((fd for kind, fd in opened if kind == "cgroup"), None)
        join_namespaces(sys, [(kind, fd) for kind, fd in opened if kind != "cgroup"])
        if ctx.new("user"):
            sys.unshare(L.CLONE_NEWUSER)
            ctx.ch.send("userns")
            if ctx.ch.recv().get("kind") != "mapped":
                os._exit(1)
            # The switch to the namespace's root is the init's, after the clone, which
            # is checked against our credentials (see cgroup_join): the host's uid 0 may
            # clone into the cgroup, its mapped root (another host uid) may not.
        flags = 0
        for n in ctx.namespaces:
            # The cgroup namespace is made by the init itself once it is in its cgroup.
            if not n.get("path") and n["type"] not in ("user", "cgroup"):
                flags |= NS_FLAGS[n["type"]]
        if flags:
            sys.unshare(flags)
        if opener is not None:
            ctx.bind_fds = opener.receive()
        if ctx.new("time"):
            # Dumpable for this one write (see oomScoreAdj above); harmless: stage 1
            # is in the runtime's pid namespace, out of the container's sight.
            sys.prctl(L.PR_SET_DUMPABLE, 1)
            _write_time_offsets(ctx.linux.get("timeOffsets") or {})
            sys.prctl(L.PR_SET_DUMPABLE, 0)
        # The runtime, not us, is the init's parent (CLONE_PARENT).
        if ctx.self_join is None:
            pid, joined = sys.clone_parent(), False
        else:
            pid, joined = ctx.self_join.clone(sys, L.CLONE_PARENT)
        if pid == 0:
            try:
                if ctx.self_join is not None:
                    ctx.self_join.join_v1()
                if cgroup_ns is not None:
                    join_namespaces(sys, [("cgroup", cgroup_ns)])
                if ctx.new("user"):
                    os.setresgid(0, 0, 0)
                    os.setresuid(0, 0, 0)
            except BaseException as e:  # noqa: BLE001 - everything must reach the runtime
                _fail_channel(ctx.ch, e)
            stage2(ctx)
        if ctx.self_join is not None:
            ctx.self_join.close()
        if cgroup_ns is not None:
            os.close(cgroup_ns)
        ctx.ch.send("pid", pid=pid, joined=joined)
        os._exit(0)
    except BaseException as e:  # noqa: BLE001 - everything must reach the runtime
        _fail_channel(ctx.ch, e)


def clone_init(ctx: InitContext, runtime_end: Channel,
               cgroup_dir: str | None = None) -> tuple[int, bool]:
    """Called by the runtime, for a container that needs no stage 1: fork the init
    into its new namespaces (all but the cgroup one, which it makes itself once in its
    cgroup); returns its pid, and whether it joins its cgroup itself. What stage 1
    would have done first is done here: the fifo is opened before the fork (the
    runtime closes its copy after), the child is non-dumpable from its first
    instruction (the runtime is, for the length of the clone), and the child loads the
    rest of the container side itself.

    The cgroup (made, not yet limited: the runtime limits it while the init loads
    and mounts): where ctx.cgroup_join_files is set, the init is born in `cgroup_dir`
    (its cgroup2 directory, if it has one: clone3's CLONE_INTO_CGROUP) and, told the
    limits are set, writes "0" to those v1 `tasks` files itself; none of it waits for
    the RCU grace period a cgroup.procs write does (~10 ms, the longest wait of a
    start). Where clone3 cannot do it (an older kernel, a seccomp filter that refuses
    clone3), the init is cloned as before and the runtime moves it (False).

    A new user namespace is made by the clone too (the kernel makes it first, so it owns
    the other new ones, as after stage 1's unshares); the child stays the host's uid 0
    until the runtime has written its id maps and limited the cgroup ("cgroup-ready"),
    and joins the cgroup before it becomes the namespace's root. Where the new mount
    namespace has bind mounts, ctx.bind_opener's pair was made before the clone: the
    child receives the sources' fds, which the runtime opens in its mount namespace
    once it has the child's pid (bind_sources), before it mounts anything."""
    log.debug("=> nsexec container setup (the runtime clones the init: no stage 1)")
    sys = L.syscalls()
    flags = 0
    for n in ctx.namespaces:
        if n["type"] != "cgroup":
            flags |= NS_FLAGS[n["type"]]
    joins = ctx.cgroup_join_files is not None
    cgroup_fd = None
    if joins and cgroup_dir is not None:
        try:
            cgroup_fd = os.open(cgroup_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError:
            joins = False  # the runtime's move says what is wrong
    ctx.fifo_fd = os.open(ctx.fifo, os.O_RDWR | os.O_CLOEXEC)
    # What to put back after: PR_SET_DUMPABLE takes 0 or 1 only, so a 2 (suid_dumpable's
    # "root only" mode) goes back as the stricter 0.
    dumpable = 1 if sys.prctl(L.PR_GET_DUMPABLE) == 1 else 0
    pid = -1
    try:
        sys.prctl(L.PR_SET_DUMPABLE, 0)
        if cgroup_fd is not None:
            try:
                pid = sys.clone(flags, cgroup_fd)
            except OSError:
                joins = False
        if pid < 0:
            pid = sys.clone(flags)
    except BaseException:
        sys.prctl(L.PR_SET_DUMPABLE, dumpable)
        os.close(ctx.fifo_fd)
        raise
    finally:
        if cgroup_fd is not None:
            os.close(cgroup_fd)  # in both: the child holds no fd of the host's it need not
    if pid == 0:
        try:
            try:
                runtime_end.close()
                if ctx.bind_opener is not None:
                    ctx.bind_opener.in_receiver()
                if not joins:
                    ctx.cgroup_join_files = None  # the runtime moves us
                # Here, not before the clone: on the other core, while the runtime
                # limits the cgroup.
                preload(ctx)
                if ctx.bind_opener is not None:
                    # Opened by the runtime, as the host's root, in our mount
                    # namespace (bind_sources), before anything in it changes.
                    ctx.bind_fds = ctx.bind_opener.receive()
                if ctx.new("user"):
                    # Still the host's uid 0 (unmapped here), as stage 1 would be: the
                    # runtime writes the id maps and our oomScoreAdj, and limits the
                    # cgroup, which we join (its files are the host root's) before
                    # becoming the namespace's root, before anything of the container's.
                    _await_cgroup(ctx, sys)
                    os.setresgid(0, 0, 0)
                    os.setresuid(0, 0, 0)
                else:
                    set_oom_score_adj(ctx.process.get("oomScoreAdj"))
            except BaseException as e:  # noqa: BLE001 - everything must reach the runtime
                _fail_channel(ctx.ch, e)
            stage2(ctx)
        finally:
            os._exit(1)  # stage2 never returns; nothing may fall back into the runtime
    sys.prctl(L.PR_SET_DUMPABLE, dumpable)
    os.close(ctx.fifo_fd)
    return pid, joins


def join_cgroup(ctx: InitContext) -> None:
    """Move this process (one thread: a clone of the single-threaded runtime) into the
    v1 hierarchies of its cgroup, once the runtime has limited it."""
    from teu.runtime.cgroups import fs

    fs.join_self(ctx.cgroup_join_files or [])


def preload(ctx: InitContext) -> None:
    """Import (and dlopen) now everything the container side will use later."""
    process = ctx.process
    ctx.seccomp_filter = compile_seccomp(ctx.linux.get("seccomp"), ctx.seccomp_cache)
    if process.get("apparmorProfile"):
        import teu.runtime.apparmor  # noqa: F401
    if process.get("terminal"):
        import socket  # noqa: F401

        import teu.runtime.console  # noqa: F401
    if ctx.config.get("hooks"):
        import teu.runtime.hooks  # noqa: F401
    import teu.runtime.rootfs  # noqa: F401

    mounts = ctx.config.get("mounts") or []
    if any(m.get("type") in ("cgroup", "cgroup2") for m in mounts):
        import teu.runtime.cgroup_mounts  # noqa: F401
    if any("tmpcopyup" in (m.get("options") or []) for m in mounts):
        import shutil  # noqa: F401
        import tempfile  # noqa: F401


def _write_time_offsets(offsets: dict) -> None:
    lines = []
    for clock in ("monotonic", "boottime"):
        if clock in offsets:
            o = offsets[clock]
            lines.append(f"{clock} {o.get('secs', 0)} {o.get('nanosecs', 0)}")
    if lines:
        with open("/proc/self/timens_offsets", "w") as f:
            f.write("\n".join(lines))


def stage2(ctx: InitContext) -> None:
    try:
        _stage2(ctx)
    except BaseException as e:  # noqa: BLE001
        _fail_channel(ctx.ch, e)


def _stage2(ctx: InitContext) -> None:
    from teu.runtime.rootfs import RootfsBuilder

    log.debug("child process in init(): pid 1 of the container builds its root")
    sys = L.syscalls()
    os.setsid()
    fifo_fd = ctx.fifo_fd
    process = ctx.process
    terminal = bool(process.get("terminal"))
    seccomp_filter = ctx.seccomp_filter
    hooks = ctx.config.get("hooks") or {}
    builder = RootfsBuilder(sys, ctx.config, ctx.rootfs, in_userns=_in_userns(ctx))
    builder.bind_fds = ctx.bind_fds
    builder.before_cgroup_mount = lambda: _await_cgroup(ctx, sys)
    # The root filesystem is built in the container's mount namespace, made or joined
    # (runc does the same in a joined one). Without one, mounting would change the
    # runtime's own namespace: the init is only chrooted (create warns).
    own_mounts = ctx.has("mount")
    if own_mounts:
        builder.prepare()
        builder.mount_all()
        # Device nodes are made under the container's own device rules, not those of
        # whatever cgroup started the runtime (a containerd shim's may refuse mknod).
        _await_cgroup(ctx, sys)
        builder.setup_dev(terminal)
        _make_cwd(ctx.rootfs, process.get("cwd", "/"))
    _await_cgroup(ctx, sys)
    if hooks.get("prestart") or hooks.get("createRuntime") or hooks.get("createContainer"):
        ctx.ch.send("hooks")
        reply = ctx.ch.recv()
        if reply.get("kind") != "hooks-done":
            os._exit(1)
        from teu.runtime.hooks import run_hooks

        if hooks.get("createContainer"):
            os.chdir(ctx.rootfs)  # as runc: relative paths in the hook are the rootfs'
        run_hooks("createContainer", hooks.get("createContainer"), reply["state"])
    if own_mounts:
        builder.pivot(ctx.no_pivot)
    else:
        try:
            os.chroot(ctx.rootfs)
        except OSError as e:
            raise OSError(e.errno, f"chroot {ctx.rootfs} (no mount namespace): "
                                   f"{e.strerror}") from None
        os.chdir("/")
    if ctx.config.get("hostname") is not None and ctx.new("uts"):
        sys.sethostname(ctx.config["hostname"])
    if ctx.config.get("domainname") is not None and ctx.new("uts"):
        sys.setdomainname(ctx.config["domainname"])
    _write_sysctls(ctx.linux.get("sysctl") or {})
    if own_mounts:
        builder.finalize()
    if process.get("apparmorProfile"):
        from teu.runtime.apparmor import apply_on_exec

        apply_on_exec(process["apparmorProfile"])
    if terminal:
        _setup_terminal(ctx, builder)
    if not ctx.no_new_keyring:
        _new_session_keyring(sys, ctx.id)
    set_rlimits(process.get("rlimits"))
    if "personality" in ctx.linux:
        _set_personality(sys, ctx.linux["personality"])
    enter_cwd(process.get("cwd", "/"))
    env = process.get("env") or []
    path = find_executable(process["args"][0], env_dict(env))
    reset_signals(sys)
    nnp = bool(process.get("noNewPrivileges"))
    if seccomp_filter is not None and not nnp:
        # Needs CAP_SYS_ADMIN, which the identity switch may drop.
        load_seccomp(ctx.ch, seccomp_filter)
    switch_identity(sys, process)
    # As runc: no_new_privs and its filter before `start`, while the channel is still
    # open to hand a notify fd over; startContainer hooks then run under the filter.
    set_no_new_privileges(sys, process)
    if seccomp_filter is not None and nnp:
        load_seccomp(ctx.ch, seccomp_filter)
    log.debug("init: closing the pipe to signal completion")
    ctx.ch.send("ready")
    ctx.ch.close()
    os.read(fifo_fd, 1)  # blocks until `start`
    os.close(fifo_fd)
    # Nothing inherited goes on to the hooks or the program (the channel and the fifo
    # are closed by now: without /proc this closes every fd above the preserved ones).
    close_other_fds(3 + ctx.preserve_fds)
    if hooks.get("startContainer"):
        from teu.runtime.hooks import run_hooks

        run_hooks("startContainer", hooks["startContainer"],
                  {"ociVersion": "1.2.0", "id": ctx.id, "status": "created", "pid": os.getpid(),
                   "bundle": "", "annotations": ctx.config.get("annotations") or {}})
    execute(path, process["args"], env)


def load_seccomp(ch: Channel, seccomp_filter) -> None:  # noqa: ANN001
    """Load the filter; with SCMP_ACT_NOTIFY rules, let the runtime copy the listener fd
    (to send it to listenerPath), then close ours: the agent must hold the only one."""
    seccomp_filter.load()
    if not seccomp_filter.uses_notify:
        return
    fd = seccomp_filter.notify_fd()
    ch.send("seccomp", fd=fd)
    reply = ch.recv()
    os.close(fd)
    if reply.get("kind") != "seccomp-done":
        os._exit(1)  # the runtime failed (its error is the one the user sees)


def _make_cwd(rootfs: str, cwd: str) -> None:
    """process.cwd is made if missing, as runc does (resolved inside the root)."""
    from teu.runtime.rootfs import resolve_in_root

    try:
        os.makedirs(resolve_in_root(rootfs, cwd), exist_ok=True)
    except OSError as e:
        raise ExecError(f'mkdir cwd ("{cwd}") set in config.json failed: '
                        f"{(e.strerror or str(e)).lower()}", 126) from None


def _await_cgroup(ctx: InitContext, sys: L.Syscalls) -> None:
    """Wait (once) until the runtime has made and limited our cgroup and put us in it, or
    left that to us (join_cgroup); then make the cgroup namespace, whose root is the
    cgroup we are in when we make it."""
    if ctx.in_cgroup:
        return
    if ctx.ch.recv().get("kind") != "cgroup-ready":
        os._exit(1)
    if ctx.cgroup_join_files:
        join_cgroup(ctx)
    ctx.in_cgroup = True
    if ctx.new("cgroup"):
        sys.unshare(L.CLONE_NEWCGROUP)


def _in_userns(ctx: InitContext) -> bool:
    return any(n["type"] == "user" for n in ctx.namespaces)


def _write_sysctls(sysctls: dict) -> None:
    for key, value in sysctls.items():
        path = "/proc/sys/" + key.replace(".", "/")
        try:
            with open(path, "w") as f:
                f.write(str(value))
        except OSError as e:
            raise OSError(e.errno, f"sysctl {key}={value}: {e.strerror}") from None


def _setup_terminal(ctx: InitContext, builder) -> None:
    from teu.runtime.console import make_controlling_terminal, open_console, send_console

    if ctx.console_fd is None:
        raise OSError(22, "process.terminal needs a console socket (--console-socket)")
    master, slave, name = open_console(ctx.process.get("consoleSize"),
                                       (ctx.process.get("user") or {}).get("uid", 0))
    send_console(ctx.console_fd, master)
    os.close(master)
    os.close(ctx.console_fd)
    if ctx.has("mount"):
        builder.bind_console(name)
    make_controlling_terminal(slave)


def _new_session_keyring(sys: L.Syscalls, container_id: str) -> None:
    try:
        sys.join_session_keyring(f"_ses.{container_id}")
    except OSError as e:
        # Kernels without keyrings, or a user namespace over its key quota: not fatal.
        if e.errno not in (38, 13, 122, 1):  # ENOSYS, EACCES, EDQUOT, EPERM
            raise


def _set_personality(sys: L.Syscalls, personality: dict) -> None:
    domains = {"LINUX": 0x0000, "LINUX32": 0x0008}
    domain = personality.get("domain", "LINUX")
    if domain not in domains:
        raise OSError(22, f"linux.personality.domain {domain!r} is not supported")
    sys.personality(domains[domain])


def compile_seccomp(seccomp: dict | None, cache_dir: str | None = None):  # noqa: ANN201
    """The container's seccomp filter, built (not loaded), or None when there is none;
    from the runtime's cache of compiled programs when it has this profile."""
    if not seccomp:
        return None
    from teu.runtime.seccomp.cache import compile_cached
    from teu.runtime.seccomp.profile import enabled

    if not enabled(seccomp):
        return None
    return compile_cached(seccomp, cache_dir)
