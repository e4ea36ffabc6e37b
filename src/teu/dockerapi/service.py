"""What every handler uses: the store's place, threads for the synchronous engine, and
forked children for the calls that change the calling process (starting a container
unshares the mount namespace, becomes a subreaper, installs signal handlers)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

# Enough threads that slow calls (wait, logs -f, pulls) never hold up a ping: each
# idles on a pipe or a lock, so many cost little.
MAX_THREADS = 512


def _record_exit(e: Any, cid: str) -> None:
    from teu.engine import state

    row = e.db.get(cid)
    if row is not None:
        state.refresh(e, row)


class Service:
    def __init__(self, root: str | None = None, runroot: str | None = None) -> None:
        """Made before any thread: its fork server (teu.dockerapi.forkserver) forks now."""
        from teu.dockerapi.forkserver import ForkServer
        from teu.engine.paths import Paths

        p = Paths(root, runroot)
        self.root = p.root
        self.runroot = p.runroot
        self.forks = ForkServer(root, runroot)
        self.pool = ThreadPoolExecutor(MAX_THREADS, thread_name_prefix="teu-api")
        self.execs: dict[str, dict] = {}  # exec instances by ID (teu.dockerapi.execs)
        self.in_flight = 0
        self._watchers: set = set()  # exits being recorded (watch_exit)
        self.last_active = time.monotonic()

    def engine(self):  # noqa: ANN201 - teu.engine.context.Engine, imported lazily
        from teu.engine.context import Engine

        return Engine(self.root, self.runroot)

    async def thread(self, fn: Callable[..., Any], *args: Any) -> Any:
        """fn(*args) in a thread of the pool."""
        return await asyncio.get_running_loop().run_in_executor(self.pool, lambda: fn(*args))

    async def call(self, fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        """fn(engine, *args, **kw) in a thread, with an engine opened for it alone."""
        def go() -> Any:
            e = self.engine()
            try:
                return fn(e, *args, **kw)
            finally:
                e.close()

        return await self.thread(go)

    async def forked(self, call: str, *args: Any, stdin: int | None = None,
                     stdout: int | None = None, stderr: int | None = None) -> Any:
        """The fork server's `call` (teu.dockerapi.forkserver.CALLS) with args, in a
        worker whose stdio are these fds (stdin /dev/null, the others the service's,
        where not given); its result, awaited in a thread."""
        pending = self.forks.submit(call, list(args), stdin, stdout, stderr)
        return await self.thread(pending.result)

    async def watch_exit(self, ref: str) -> None:
        """Record the container's exit the moment its init is gone (a pidfd in the event
        loop: no thread waits), with --rm's removal: what conmon's exit command would do
        a Python start later (the start told conmon so: teu.engine.monitor.conmon)."""
        import os

        if os.environ.get("TEU_API_WATCH") == "0":  # see teu.dockerapi.forkserver._start
            return
        row = await self.call(lambda e: e.find(ref))
        cid, pid = row["id"], row["pid"]
        try:
            fd = os.pidfd_open(pid) if pid > 0 else -1
        except OSError:  # gone already
            fd = -1
        if fd < 0:
            await self.call(_record_exit, cid)
            return
        loop = asyncio.get_running_loop()

        def gone() -> None:
            loop.remove_reader(fd)
            os.close(fd)
            task = asyncio.ensure_future(self.call(_record_exit, cid))
            self._watchers.add(task)
            task.add_done_callback(self._watchers.discard)

        loop.add_reader(fd, gone)

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.forks.close()
