"""Runtime logging as runc does it: --log FILE in text or JSON lines, errors also on stderr.

conmon, podman and containerd's shim read the last error from the log file to tell
the user why a container failed, so every fatal error goes there in runc's shape
(logrus' text `time="..." level=error msg="..."` or its JSON). The file is opened
(and so created) as soon as the command line is read, like runc's, and the fd is
kept: the container's setup processes write their --debug lines through it after
pivot_root, when the path is out of their sight. With --debug and no --log the
debug lines go to stderr, in the same text shape.
"""

from __future__ import annotations

import os
import sys
import time

_fd = -1  # where log lines go: the --log file, or (with --debug alone) a dup of stderr
_path: str | None = None
_json = False
_debug = False


def configure(path: str | None, fmt: str = "text", debug: bool = False) -> None:
    global _path, _json, _debug, _fd
    _path, _json, _debug = path or None, fmt == "json", debug
    if _path:
        try:
            _fd = os.open(_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as e:
            sys.stderr.write(f"teu-runtime: --log {_path}: {e.strerror}\n")
            _path = None
    elif debug:
        import fcntl

        try:
            _fd = fcntl.fcntl(2, fcntl.F_DUPFD_CLOEXEC, 100)  # out of --preserve-fds' way
        except OSError:
            _fd = -1


def line(level: str, msg: str) -> str:
    """One log line as logrus writes it (text or JSON)."""
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    if _json:
        from teu import fastjson

        return fastjson.dumps({"level": level, "msg": msg, "time": now})
    escaped = msg.replace("\\", "\\\\").replace('"', '\\"')
    return f'time="{now}" level={level} msg="{escaped}"'


def _write(level: str, msg: str) -> None:
    if _fd < 0 or (not _path and level != "debug"):
        return
    try:
        os.write(_fd, line(level, msg).encode() + b"\n")
    except OSError:
        pass


def error(msg: str) -> None:
    """A fatal error: to the log file, and to stderr for people.

    With --log the caller is a program (conmon, containerd) that names the runtime
    itself when it shows the message ("Error: /usr/bin/teu-runtime: ..."), so the
    message goes out bare, as runc's does."""
    _write("error", msg)
    try:
        sys.stderr.write(f"{msg}\n" if _path else f"teu-runtime: {msg}\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


def warning(msg: str) -> None:
    """A problem that does not stop the command: to the log file, or to stderr when
    there is none (as runc logs), and to both with --debug."""
    _write("warning", msg)
    if _debug or not _path:
        try:
            sys.stderr.write(f"teu-runtime: warning: {msg}\n")
            sys.stderr.flush()
        except (OSError, ValueError):
            pass


def debug(msg: str) -> None:
    """A --debug line: to the --log file, or to stderr without one."""
    if _debug:
        _write("debug", msg)
