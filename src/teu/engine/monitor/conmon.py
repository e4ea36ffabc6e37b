"""One conmon per detached container: it runs `RUNTIME create`, holds the container's
stdio (attach socket, k8s-file log), and when the container exits writes the exit
code to <runroot>/exits/<id> and runs `teu container cleanup <id>` (the exit
command), which records the exit, applies the restart policy and --rm.

conmon talks to its parent over the sync pipe (fd 3, _OCI_SYNCPIPE; a FIFO in the
bundle, so a launch whose teu died can be told from one still under way): one JSON
line, {"data": <container pid>} once `create` succeeded, or {"data": -1,
"message": "..."} with the runtime's error. conmon double-forks: the process we
start exits at once and the monitor lives on (in our mount namespace, so the
container's overlay stays visible to it and to nothing else on the host).
"""

from __future__ import annotations

import os
import sys

from teu import fastjson
from teu.engine.errors import EngineError
from teu.engine.monitor.orphan import CONTAINER_PIDFILE, PIDFILE, SYNC
from teu.engine.paths import Paths
from teu.engine.runtimes import Runtime, find_program

CONMON = "conmon"


class ConmonError(EngineError):
    pass


def conmon_path() -> str:
    path = os.environ.get("TEU_CONMON") or find_program(CONMON) or "/usr/bin/conmon"
    if not os.access(path, os.X_OK):
        raise ConmonError("conmon not found (apt-get install conmon)")
    return path


def teu_command(paths: Paths) -> list[str]:
    """How conmon calls teu back: the fast launcher if installed, else this interpreter."""
    # The teu running now first: another install's launcher next to the same interpreter
    # (pyenv's bin) would clean up with other code.
    me = os.path.abspath(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    teu = me if os.path.basename(me) == "teu" and os.access(me, os.X_OK) \
        else find_program("teu")
    base = [teu] if teu else [os.path.realpath(sys.executable), "-m", "teu.cli.main"]
    return [*base, "--root", paths.root, "--runroot", paths.runroot]


WATCHED_DELAY = 1  # s: conmon's exit command waits this long for a watched container


def launch(paths: Paths, runtime: Runtime, cid: str, name: str, bundle: str, tty: bool,
           stdin: bool, log_config: dict | None = None,
           stdin_once: bool = False, watched: bool = False) -> tuple[int, int]:
    """Start conmon and wait for the runtime's create; returns (container pid, conmon pid).
    With stdin_once (docker's StdinOnce, as `run -i` sets it) the container's stdin ends
    when the first attached client ends its input; otherwise it stays open for the next.
    watched: a process that stays (the Engine API service) records the exit itself the
    moment it happens; conmon's exit command (`teu container cleanup`, a Python start)
    then waits WATCHED_DELAY s and runs only if the exit is still unrecorded (the
    runtime's record of the container is still there), i.e. if that process is gone."""
    exits = os.path.dirname(paths.exit_file(cid))
    sockets = os.path.join(paths.runroot, "socket")
    for d in (exits, sockets, runtime.root):
        os.makedirs(d, mode=0o700, exist_ok=True)
    conmon_pidfile = os.path.join(bundle, PIDFILE)
    args = [conmon_path(), "--api-version", "1", "-c", cid, "-u", cid, "-n", name,
            "-r", runtime.path, "-b", bundle, "-p", os.path.join(bundle, CONTAINER_PIDFILE),
            *log_args(log_config or {}, os.path.join(bundle, "ctr.log")), "--exit-dir", exits,
            "--full-attach", "--socket-dir-path", sockets, "--conmon-pidfile", conmon_pidfile,
            "--log-level", "error", "--runtime-arg", "--root", "--runtime-arg", runtime.root]
    if tty:
        args.append("-t")
    if stdin:
        args += ["-i"] if tty or stdin_once else ["-i", "--leave-stdin-open"]
    command = [*teu_command(paths), "container", "cleanup", cid]
    if watched:
        args += ["--exit-delay", str(WATCHED_DELAY)]
        command = ["/bin/sh", "-c", 'test -e "$0" || exit 0; exec "$@"',
                   os.path.join(runtime.root, cid), *command]
    args[1:1] = ["--exit-command", command[0]]
    for a in command[1:]:
        args += ["--exit-command-arg", a]
    for f in (conmon_pidfile, os.path.join(bundle, CONTAINER_PIDFILE), os.path.join(bundle, "oom")):
        _unlink(f)
    r, w = _sync_fifo(bundle)
    env = dict(os.environ)
    env["_OCI_SYNCPIPE"] = "3"
    env.pop("NOTIFY_SOCKET", None)
    null = os.open("/dev/null", os.O_RDWR | os.O_CLOEXEC)
    # conmon also writes its `oom` file into its working directory: make that the bundle
    # (posix_spawn has no chdir action before Python 3.13), not the user's cwd
    here = os.open(".", os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.chdir(bundle)
        pid = os.posix_spawn(args[0], args, env, file_actions=[
            (os.POSIX_SPAWN_DUP2, null, 0), (os.POSIX_SPAWN_DUP2, null, 1),
            (os.POSIX_SPAWN_DUP2, null, 2), (os.POSIX_SPAWN_DUP2, w, 3)])
    finally:
        os.fchdir(here)
        os.close(here)
        os.close(null)
        os.close(w)
    try:
        os.waitpid(pid, 0)  # the first conmon exits once the monitor is forked
        message = _read_sync(r)
    finally:
        os.close(r)
    if message is None:
        raise ConmonError("conmon exited before the runtime created the container")
    ctr_pid = message.get("data", -1)
    if not isinstance(ctr_pid, int) or ctr_pid <= 0:
        raise runtime_error(message.get("message") or "the runtime failed to create the "
                            "container")
    try:
        with open(conmon_pidfile) as f:
            monitor = int(f.read().strip() or 0)
    except (OSError, ValueError):
        monitor = 0
    return ctr_pid, monitor


def _sync_fifo(bundle: str) -> tuple[int, int]:
    """conmon's sync pipe as a FIFO in the bundle, (read end, write end): if this teu
    dies, whoever undoes the launch can still tell whether a conmon of it lives
    (teu.engine.monitor.orphan)."""
    path = os.path.join(bundle, SYNC)
    _unlink(path)
    os.mkfifo(path, 0o600)
    r = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        w = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    except BaseException:
        os.close(r)
        raise
    os.set_blocking(r, True)
    return r, w


def log_args(log_config: dict, path: str) -> list[str]:
    """--log-driver/--log-opt for conmon: json-file is written as k8s-file (as podman
    does: one format for `teu logs`), none keeps no log; max-size is conmon's
    --log-size-max (past it the log starts over)."""
    from teu.engine.config.units import size

    if log_config.get("Type") == "none":
        return ["-l", "none:"]
    args = ["-l", f"k8s-file:{path}"]
    max_size = (log_config.get("Config") or {}).get("max-size")
    if max_size:
        args += ["--log-size-max", str(size(max_size, "--log-opt max-size"))]
    return args


def _read_sync(fd: int) -> dict | None:
    data = b""
    while b"\n" not in data:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        data += chunk
    line = data.split(b"\n", 1)[0].strip()
    if not line:
        return None
    try:
        msg = fastjson.loads(line)
    except ValueError:
        return {"data": -1, "message": line.decode(errors="replace")}
    return msg if isinstance(msg, dict) else None


def runtime_error(message: str) -> EngineError:
    """The runtime's create error as docker reports it: 127 not found, 126 cannot run."""
    from teu.engine.errors import CommandError

    text = message.strip().splitlines()[-1] if message.strip() else message
    for prefix in ("teu-runtime: ", "level=error msg=", "error: "):
        if text.startswith(prefix):
            text = text[len(prefix):].strip('"')
    lowered = text.lower()
    if "executable file not found" in lowered or "no such file or directory" in lowered \
            and "exec" in lowered:
        return CommandError(text, 127)
    if "permission denied" in lowered and "exec" in lowered:
        return CommandError(text, 126)
    return EngineError(text)


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
