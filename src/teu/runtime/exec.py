"""`exec`: run another process in a running container.

Stage 1 joins the init's namespaces (/proc/<init>/ns/*) but its cgroup namespace and
forks stage 2 so the pid namespace applies, into the container's cgroup, which stage 2
finishes joining itself (with no wait for the kernel's cgroup attach: see cgroup_join;
with --cgroup, the runtime moves stage 1 into the sub-cgroups instead), then joins the
cgroup namespace; stage 2 sets up terminal, limits, identity, capabilities and seccomp
as the container's own process had them (or as --process says) and execs. The sync channel closes
on that exec: EOF means the program is running, a message means it failed.
"""

from __future__ import annotations

import os

from teu.errors import TeuError
from teu.oci.runtime_config import ConfigError, validate_process
from teu.runtime import linux as L
from teu.runtime.cgroup_join import SelfJoin
from teu.runtime.create import kill_quietly, reap
from teu.runtime.lifecycle import cgroup_of, load, saved_config, status
from teu.runtime.state import StateError
from teu.runtime.sync import Channel, channel_pair

PROC_NS_NAMES = {"pid": "pid", "network": "net", "mount": "mnt", "ipc": "ipc", "uts": "uts",
                 "user": "user", "cgroup": "cgroup", "time": "time"}


class ExecOptions:
    def __init__(self, detach: bool = False, pid_file: str | None = None,
                 console_socket: str | None = None, preserve_fds: int = 0,
                 ignore_paused: bool = False, sub_cgroups: dict[str, str] | None = None,
                 ) -> None:
        self.detach = detach
        self.sub_cgroups = sub_cgroups or {}  # --cgroup: {controller or "": sub path}
        self.pid_file = pid_file
        self.console_socket = console_socket
        self.preserve_fds = preserve_fds
        self.ignore_paused = ignore_paused


def process_from_container(config: dict, args: list[str], env: list[str] | None = None,
                           cwd: str | None = None, user: str | None = None,
                           tty: bool = False, additional_gids: list[int] | None = None,
                           caps: list[str] | None = None, no_new_privs: bool = False) -> dict:
    """An exec process like runc's: the container's process with the flags' changes."""
    import copy

    process = copy.deepcopy(config.get("process") or {})
    process.pop("consoleSize", None)
    process["args"] = args
    process["terminal"] = tty
    if env:
        merged = dict(e.split("=", 1) for e in process.get("env") or [] if "=" in e)
        merged.update(e.split("=", 1) if "=" in e else (e, "") for e in env)
        process["env"] = [f"{k}={v}" for k, v in merged.items()]
    if cwd:
        process["cwd"] = cwd
    if user:
        uid, _, gid = user.partition(":")
        try:
            process["user"] = {"uid": int(uid), "gid": int(gid or 0)}
        except ValueError:
            raise TeuError(f"--user {user!r}: use UID[:GID] as numbers") from None
    if additional_gids:
        process.setdefault("user", {})["additionalGids"] = additional_gids
    if caps:
        c = process.setdefault("capabilities", {})
        for key in ("bounding", "effective", "permitted", "ambient"):
            c[key] = sorted(set(c.get(key) or []) | set(caps))
    if no_new_privs:
        process["noNewPrivileges"] = True
    return process


def exec_process(root: str, container_id: str, process: dict, opts: ExecOptions) -> int:
    """Run `process` in the container; returns its exit code (0 when detached)."""
    try:
        validate_process(process)
    except ConfigError as e:
        raise ConfigError(f"process: {e}") from None
    if process.get("apparmorProfile"):
        from teu.runtime.apparmor import check

        check(process)
    state = load(root, container_id)
    st = status(state)
    if st == "paused" and not opts.ignore_paused:
        raise StateError(f"cannot exec in a paused container {container_id!r} "
                         "(use --ignore-paused)")
    if st not in ("running", "created", "paused"):
        raise StateError(f"cannot exec in container {container_id!r}: it is {st}")
    config = saved_config(state)
    linux = config.get("linux") or {}
    namespaces = [(n["type"], f"/proc/{state.pid}/ns/{PROC_NS_NAMES[n['type']]}")
                  for n in linux.get("namespaces") or []]
    # Without a mount namespace the init was only chrooted: follow it into its root.
    chroot = None if any(k == "mount" for k, _ in namespaces) else f"/proc/{state.pid}/root"
    if not opts.detach:
        L.syscalls().prctl(L.PR_SET_CHILD_SUBREAPER, 1)
    console = _console(process, opts)
    cg = cgroup_of(state)
    own = cg is not None and cg.exists()
    join = SelfJoin(cg.self_join_files(), cg.clone_target()) \
        if own and not opts.sub_cgroups else None
    parent, child = channel_pair()
    stage1_pid = os.fork()
    if stage1_pid == 0:
        parent.close()
        _stage1(child, namespaces, process, linux, console[1], opts.preserve_fds, chroot,
                os.path.join(root, ".cache", "seccomp"), join)
    child.close()
    if console[1] is not None:
        console[1].close()
    pid = 0
    try:
        if own and join is None:  # (with join, stages 1 and 2 join it themselves)
            if opts.sub_cgroups:
                from teu.runtime.cgroups.subcgroups import add

                add(cg.all_dirs, stage1_pid, opts.sub_cgroups)
            else:
                cg.add(stage1_pid)
        elif opts.sub_cgroups:
            raise TeuError("--cgroup: the container has no cgroup of its own")
        parent.send("go")
        pid = _await(parent, lambda pid, fd: _hand_over(state, linux, pid, fd, parent))
        master = _receive_master(console[0])
    except BaseException:
        if pid:
            kill_quietly(pid)
        raise
    finally:
        parent.close()
        reap(stage1_pid)
    if opts.pid_file:
        from teu.runtime.create import write_pid_file

        try:
            write_pid_file(opts.pid_file, pid)
        except TeuError:
            kill_quietly(pid)  # nobody could find it to wait for it
            raise
    if opts.detach:
        return 0
    from teu.runtime.run import _wait

    return _wait(pid, master)


def _console(process: dict, opts: ExecOptions):  # noqa: ANN202
    """(our end or None, the end stage 2 sends the pty master on)."""
    if not process.get("terminal"):
        return None, None
    if opts.console_socket:
        from teu.runtime.create import _connect

        return None, _connect(opts.console_socket)
    if opts.detach:
        raise TeuError("cannot allocate a tty for a detached exec without --console-socket")
    import socket

    return socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)


def _receive_master(sock) -> int | None:  # noqa: ANN001
    if sock is None:
        return None
    from teu.runtime.console import receive_console

    try:
        return receive_console(sock)
    finally:
        sock.close()


def _hand_over(state, linux: dict, pid: int, fd: int, ch: Channel) -> None:  # noqa: ANN001
    """Send the exec'd process's seccomp notify fd to the agent, as for the init."""
    from teu.runtime.seccomp.notify import hand_over

    spec_state = state.spec_state("running")
    spec_state["pid"] = pid
    hand_over(linux["seccomp"], pid, fd, spec_state)
    ch.send("seccomp-done")


def _await(ch: Channel, on_seccomp=None) -> int:  # noqa: ANN001
    pid = 0
    pending: list[int] = []  # notify fds announced before stage 1 told us the pid
    while True:
        msg = ch.recv()
        kind = msg["kind"]
        if kind == "seccomp":
            pending.append(msg["fd"])
        elif kind == "pid":
            pid = msg["pid"]
        elif kind == "error":
            if pid:
                reap(pid)
            raise TeuError(msg["message"], msg.get("exit_code") or 1)
        elif kind == "eof":
            if not pid:
                raise TeuError("exec setup died before starting the process")
            return pid
        if pending and pid and on_seccomp is not None:
            on_seccomp(pid, pending.pop())


def _stage1(ch: Channel, namespaces: list, process: dict, linux: dict, console_sock,
            preserve_fds: int, chroot: str | None = None,
            seccomp_cache: str | None = None,
            join: SelfJoin | None = None) -> None:  # noqa: ANN001
    from teu.runtime.init import _fail_channel, compile_seccomp, join_namespaces, open_namespaces

    try:
        from teu.runtime import log

        log.debug("=> nsexec container setup (exec stage 1: joining namespaces)")
        sys = L.syscalls()
        # Non-dumpable before joining anything, until stage 2's exec (see init.stage1):
        # stage 2 lives in the container's pid namespace, in sight of its processes.
        sys.prctl(L.PR_SET_DUMPABLE, 0)
        # Everything stage 2 needs is loaded before the mount namespace hides the host.
        seccomp_filter = compile_seccomp(linux.get("seccomp"), seccomp_cache)
        if process.get("terminal"):
            import teu.runtime.console  # noqa: F401
        if process.get("apparmorProfile"):
            import teu.runtime.apparmor  # noqa: F401
        if ch.recv().get("kind") != "go":
            os._exit(1)
        if join is not None:
            join.open(procs_fallback=True)  # before the namespaces hide the host's paths
        opened = open_namespaces(namespaces)
        # The cgroup namespace is stage 2's to join, once in its cgroup: a process inside
        # it may not move into (or be cloned into) a cgroup from one outside it where
        # cgroup2 is mounted nsdelegate (ENOENT), and stage 1 is outside, in ours.
        cgroup_ns = next((fd for kind, fd in opened if kind == "cgroup"), None)
        opened = [(kind, fd) for kind, fd in opened if kind != "cgroup"]
        if chroot:  # before a user namespace takes away the right to chroot
            os.chroot(chroot)
        join_namespaces(sys, opened)
        # Stage 2 is cloned before the switch to the user namespace's root: the clone
        # into the cgroup is checked against our credentials (see cgroup_join).
        pid = os.fork() if join is None else join.clone(sys, 0)[0]
        if pid == 0:
            try:
                if join is not None:
                    join.join_v1()
                if cgroup_ns is not None:
                    join_namespaces(sys, [("cgroup", cgroup_ns)])
                if any(kind == "user" for kind, _ in namespaces):
                    os.setresgid(0, 0, 0)
                    os.setresuid(0, 0, 0)
                _stage2(sys, ch, process, seccomp_filter, console_sock, preserve_fds)
            except BaseException as e:  # noqa: BLE001
                _fail_channel(ch, e)
        if join is not None:
            join.close()
        if cgroup_ns is not None:
            os.close(cgroup_ns)
        try:
            ch.send("pid", pid=pid)
        except BrokenPipeError:
            pass  # stage 2 failed first: the runtime has its error and stopped listening
        os._exit(0)
    except BaseException as e:  # noqa: BLE001
        _fail_channel(ch, e)


def _stage2(sys: L.Syscalls, ch: Channel, process: dict, seccomp_filter, console_sock,
            preserve_fds: int) -> None:  # noqa: ANN001
    from teu.runtime import log
    from teu.runtime.process import (
        close_other_fds,
        enter_cwd,
        env_dict,
        execute,
        find_executable,
        set_no_new_privileges,
        set_rlimits,
        switch_identity,
    )
    from teu.runtime.signals import reset_signals

    log.debug("child process in init(): exec stage 2 in the container's namespaces")
    os.setsid()
    if process.get("terminal"):
        from teu.runtime.console import make_controlling_terminal, open_console, send_console

        master, slave, _ = open_console(process.get("consoleSize"),
                                        (process.get("user") or {}).get("uid", 0))
        send_console(console_sock.fileno(), master)
        os.close(master)
        console_sock.close()
        make_controlling_terminal(slave)
    set_rlimits(process.get("rlimits"))
    if process.get("apparmorProfile"):
        from teu.runtime.apparmor import apply_on_exec

        apply_on_exec(process["apparmorProfile"])
    enter_cwd(process.get("cwd", "/"))
    env = process.get("env") or []
    path = find_executable(process["args"][0], env_dict(env))
    from teu.runtime.init import load_seccomp

    reset_signals(sys)
    nnp = bool(process.get("noNewPrivileges"))
    if seccomp_filter is not None and not nnp:
        load_seccomp(ch, seccomp_filter)
    switch_identity(sys, process)
    set_no_new_privileges(sys, process)
    if seccomp_filter is not None and nnp:
        load_seccomp(ch, seccomp_filter)
    close_other_fds(3 + preserve_fds)
    log.debug(f"setns_init: about to exec {path}")
    execute(path, process["args"], env)
