"""Run an engine call in a forked child: starting a container unshares the mount
namespace, becomes a subreaper and installs signal handlers, none of which the
API's caller should inherit. The child's stdio can be pointed anywhere (files to
capture, a pipe to stream); its result or its TeuError comes back over a pipe as JSON.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any


class Child:
    """A forked engine call. result() waits for it: fn()'s value, or its error raised."""

    def __init__(self, fn: Callable[[], Any], stdin: int | None = None,
                 stdout: int | None = None, stderr: int | None = None,
                 close: tuple[int, ...] = ()) -> None:
        """close: fds the child must not hold (the parent's ends of its stdio pipes, or
        their readers never see EOF). Not every fd: SQLite's VFS reuses inherited ones."""
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            os.close(r)
            code = 0
            try:
                if stdin is not None:
                    os.dup2(stdin, 0)
                else:
                    null = os.open("/dev/null", os.O_RDONLY)
                    os.dup2(null, 0)
                    os.close(null)
                if stdout is not None:
                    os.dup2(stdout, 1)
                if stderr is not None:
                    os.dup2(stderr, 2)
                for fd in close:
                    os.close(fd)
                os.write(w, outcome(fn))
            except BaseException:  # noqa: BLE001
                code = 1
            finally:
                os._exit(code)
        os.close(w)
        self.pid = pid
        self._pipe = r
        self.rusage: Any = None

    def result(self) -> Any:
        chunks = []
        while True:
            chunk = os.read(self._pipe, 65536)
            if not chunk:
                break
            chunks.append(chunk)
        os.close(self._pipe)
        _, _, self.rusage = os.wait4(self.pid, 0)
        return decode(b"".join(chunks))


def outcome(fn: Callable[[], Any]) -> bytes:
    """fn()'s value, or the TeuError it raised, as the JSON a child sends its parent."""
    import json

    from teu.errors import TeuError

    try:
        msg = {"ok": fn()}
    except TeuError as e:
        msg = {"error": str(e), "exit_code": e.exit_code,
               "type": type(e).__name__, "module": type(e).__module__}
    except BaseException as e:  # noqa: BLE001 - reported to the parent
        msg = {"error": f"{type(e).__name__}: {e}", "exit_code": 125,
               "type": "EngineError", "module": "teu.engine.errors"}
    try:
        return json.dumps(msg).encode()
    except (TypeError, ValueError) as e:  # a result JSON cannot carry
        return json.dumps({"error": f"the engine call's result: {e}", "exit_code": 125,
                           "type": "EngineError", "module": "teu.engine.errors"}).encode()


def decode(data: bytes) -> Any:
    """What outcome() encoded: the value, or the error raised again (nothing: the child
    died before it could tell)."""
    import json

    msg = json.loads(data) if data else {"error": "the engine's child process died",
                                         "exit_code": 125, "type": "EngineError",
                                         "module": "teu.engine.errors"}
    if "error" in msg:
        raise _error(msg)
    return msg["ok"]


def in_child(fn: Callable[[], Any], stdin: bytes | None = None,
             capture: bool | str = False, child_type: Callable[..., Any] | None = None
             ) -> Any:
    """fn()'s result; with capture, (result, stdout bytes, stderr bytes), or with
    capture="combined", (result, both streams in the order written). child_type: what
    runs fn (Child here; teu.api's runs it in a fork server's worker)."""
    import tempfile

    files = []
    try:
        inp = out = err = None
        if stdin is not None:
            inp = tempfile.TemporaryFile()
            files.append(inp)
            inp.write(stdin)
            inp.flush()
            inp.seek(0)
        if capture:
            out = tempfile.TemporaryFile()
            files.append(out)
            err = out if capture == "combined" else tempfile.TemporaryFile()
            if err is not out:
                files.append(err)
        child = (child_type or Child)(fn, stdin=inp.fileno() if inp else None,
                      stdout=out.fileno() if out else None,
                      stderr=err.fileno() if err else None)
        result = child.result()
        if not capture:
            return result
        assert out is not None and err is not None
        out.seek(0)
        stdout = out.read()
        if capture == "combined":
            return result, stdout
        err.seek(0)
        return result, stdout, err.read()
    finally:
        for f in files:
            f.close()


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
