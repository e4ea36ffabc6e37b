"""The service's fork server (teu.engine.forkserver): forked when the service starts,
before any thread exists, it forks a worker for each engine call that must not run in
the service itself (a container's start unshares the mount namespace, becomes a
subreaper and installs signal handlers; exec and cp too). Calls are named here
(CALLS), each run with an engine opened on the service's store.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from teu.engine.forkserver import PRELOAD, Pending, engine_call
from teu.engine.forkserver import ForkServer as _Server

# The calls a worker runs: name -> fn(engine, *args). Engine modules imported lazily.


def _start(e: Any, ref: str) -> Any:
    import os

    from teu.engine.lifecycle.launch import start

    # the service records the exit (Service.watch_exit); TEU_API_WATCH=0, for the
    # benchmark's comparison, leaves it to conmon's exit command as `teu start` does
    return start(e, ref, watched=os.environ.get("TEU_API_WATCH") != "0")


def _restart(e: Any, ref: str, timeout: float | None) -> Any:
    from teu.engine.lifecycle.control import restart

    return restart(e, ref, timeout)


def _exec(e: Any, cid: str, command: list[str], options: dict) -> Any:
    from teu.engine.lifecycle.execute import exec_in

    return exec_in(e, cid, command, **options)


def _copy(e: Any, source: str, dest: str, report: bool = True) -> Any:
    from teu.engine.files.cp import copy

    return copy(e, source, dest, report)


def _build(e: Any, options: dict) -> Any:
    import sys

    from teu.build.builder import BuildOptions, build

    opts = BuildOptions(**options, root=e.paths.root, runroot=e.paths.runroot)
    r = build(opts, out=sys.stdout)
    return {"image_id": r.image_id, "tags": r.tags}


def _connect(e: Any, network: str, ref: str, ip: str, ip6: str, aliases: list[str]) -> Any:
    from teu.engine.network import connect

    return connect(e, network, ref, ip, ip6, aliases)


def _disconnect(e: Any, network: str, ref: str, force: bool) -> Any:
    from teu.engine.network import disconnect

    return disconnect(e, network, ref, force)


CALLS: dict[str, Callable[..., Any]] = {"start": _start, "restart": _restart,
                                        "exec": _exec, "copy": _copy, "build": _build,
                                        "connect": _connect, "disconnect": _disconnect}


class ForkServer:
    def __init__(self, root: str | None, runroot: str | None) -> None:
        self._server = _Server.fork(PRELOAD)
        self.pid = self._server.pid
        self.root, self.runroot = root, runroot

    def submit(self, call: str, args: list, stdin: int | None = None,
               stdout: int | None = None, stderr: int | None = None) -> Pending:
        fn = functools.partial(engine_call, self.root, self.runroot, CALLS[call], *args)
        return self._server.submit(fn, stdin, stdout, stderr)

    def close(self) -> None:
        self._server.close()
