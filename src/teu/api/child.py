"""teu.api's engine calls that must not run in the caller (a start unshares the mount
namespace, becomes a subreaper, installs signal handlers): each runs in a worker of a
fork server (teu.engine.forkserver) that teu.api spawns as a fresh interpreter on first
use in the calling thread's context (namespaces, cgroup, root, credentials, rlimits: a
caller that setns()es later gets a server there), never in a fork of the caller. The caller may be threaded (a web service, a test
runner): a fork of it could inherit a lock another thread held (SQLite's, the
allocator's) and hang forever.

What runs there must be picklable: a module-level function, or a functools.partial
of one (call() below wraps an engine call so).
"""

from __future__ import annotations

import functools
import os
import select
import signal
import time
from collections.abc import Callable
from typing import Any

from teu.engine.forked import in_child as _in_child


class Child:
    """fn() in a fork server's worker, with these fds as its stdio. result() waits for
    it: fn()'s value, or its error raised; rusage then says what it used."""

    def __init__(self, fn: Callable[[], Any], stdin: int | None = None,
                 stdout: int | None = None, stderr: int | None = None) -> None:
        from teu.engine.forkserver import submit

        self._pending = submit(fn, stdin, stdout, stderr)
        self.pid = self._pending.pid()
        self.rusage: Any = None

    def ready(self, deadline: float) -> bool:
        """Whether the outcome arrived (or the worker died) before deadline."""
        if self._pending.buffered():
            return True
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            ready, _, _ = select.select([self._pending], [], [], left)
            if ready:
                return True

    def result(self) -> Any:
        try:
            return self._pending.result()
        except KeyboardInterrupt:
            # the caller is interrupted: so is its call, as a forked child in the
            # caller's process group would have been by a terminal's ^C
            if self.pid:
                try:
                    os.kill(self.pid, signal.SIGINT)
                except ProcessLookupError:
                    pass
            raise
        finally:
            self.rusage = self._pending.rusage


def in_child(fn: Callable[[], Any], stdin: bytes | None = None,
             capture: bool | str = False) -> Any:
    """teu.engine.forked.in_child, run in a fork server's worker."""
    return _in_child(fn, stdin, capture, child_type=Child)


def call(client: Any, fn: Callable[..., Any], *args: Any, **kw: Any) -> Callable[[], Any]:
    """What a Child runs for client._call(fn, *args, **kw): picklable (the engine is
    opened in the worker, by teu.engine.forkserver.engine_call)."""
    from teu.engine.forkserver import engine_call

    return functools.partial(engine_call, client.root, client.runroot, fn, *args, **kw)


def run_container(e: Any, opts: dict) -> dict:
    """teu.engine.lifecycle.run in the worker: {"id", "code"} (the caller pickles this
    function, so it need not import the engine's run itself)."""
    from teu.engine.lifecycle.run import run

    cid, code = run(e, opts)
    return {"id": cid, "code": code}
