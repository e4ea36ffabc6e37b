"""Runtime logging as runc does it: --log FILE in text or JSON lines, errors also on stderr.

conmon and podman read the last error from the log file to tell the user why a
container failed, so every fatal error goes there in runc's shape.
"""

from __future__ import annotations

import os
import sys
import time

_path: str | None = None
_json = False
_debug = False


def configure(path: str | None, fmt: str = "text", debug: bool = False) -> None:
    global _path, _json, _debug
    _path, _json, _debug = path or None, fmt == "json", debug


def _write(level: str, msg: str) -> None:
    if not _path:
        return
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    if _json:
        from teu import fastjson

        line = fastjson.dumps({"level": level, "msg": msg, "time": now})
    else:
        line = f'time="{now}" level={level} msg="{msg}"'
    try:
        fd = os.open(_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            os.write(fd, line.encode() + b"\n")
        finally:
            os.close(fd)
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
    if _debug:
        _write("debug", msg)
