"""Run an engine call in a forked child: starting a container unshares the mount
namespace, becomes a subreaper and installs signal handlers, none of which the
API's caller should inherit. The child's stdio can be captured; its result or its
TeuError comes back over a pipe as JSON."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any


def in_child(fn: Callable[[], Any], stdin: bytes | None = None,
             capture: bool = False) -> Any:
    """fn()'s result; with capture, (result, stdout bytes, stderr bytes)."""
    import json
    import tempfile

    from teu.errors import TeuError

    out = tempfile.TemporaryFile() if capture else None
    err = tempfile.TemporaryFile() if capture else None
    inp = None
    if stdin is not None:
        inp = tempfile.TemporaryFile()
        inp.write(stdin)
        inp.flush()
        inp.seek(0)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(r)
        code = 0
        try:
            if inp is not None:
                os.dup2(inp.fileno(), 0)
            else:
                null = os.open("/dev/null", os.O_RDONLY)
                os.dup2(null, 0)
                os.close(null)
            if out is not None and err is not None:
                os.dup2(out.fileno(), 1)
                os.dup2(err.fileno(), 2)
            try:
                msg = {"ok": fn()}
            except TeuError as e:
                msg = {"error": str(e), "exit_code": e.exit_code,
                       "type": type(e).__name__, "module": type(e).__module__}
            except BaseException as e:  # noqa: BLE001 - reported to the parent
                msg = {"error": f"{type(e).__name__}: {e}", "exit_code": 125,
                       "type": "EngineError", "module": "teu.engine.errors"}
            os.write(w, json.dumps(msg).encode())
        except BaseException:  # noqa: BLE001
            code = 1
        finally:
            os._exit(code)
    os.close(w)
    chunks = []
    while True:
        chunk = os.read(r, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(r)
    os.waitpid(pid, 0)
    data = b"".join(chunks)
    try:
        msg = json.loads(data) if data else {"error": "the engine's child process died",
                                             "exit_code": 125, "type": "EngineError",
                                             "module": "teu.engine.errors"}
        stdout = stderr = b""
        if out is not None and err is not None:
            out.seek(0)
            err.seek(0)
            stdout, stderr = out.read(), err.read()
    finally:
        for f in (out, err, inp):
            if f is not None:
                f.close()
    if "error" in msg:
        raise _error(msg)
    return (msg["ok"], stdout, stderr) if capture else msg["ok"]


def _error(msg: dict) -> Exception:
    import importlib

    from teu.errors import TeuError

    cls = TeuError
    try:
        found = getattr(importlib.import_module(msg["module"]), msg["type"])
        if isinstance(found, type) and issubclass(found, TeuError):
            cls = found
    except (ImportError, AttributeError, KeyError):
        pass
    try:
        return cls(msg["error"], msg["exit_code"])
    except TypeError:
        return TeuError(msg["error"], msg["exit_code"])
