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


class Service:
    def __init__(self, root: str | None = None, runroot: str | None = None) -> None:
        from teu.engine.paths import Paths

        p = Paths(root, runroot)
        self.root = p.root
        self.runroot = p.runroot
        self.pool = ThreadPoolExecutor(MAX_THREADS, thread_name_prefix="teu-api")
        self.execs: dict[str, dict] = {}  # exec instances by ID (teu.dockerapi.execs)
        self.in_flight = 0
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

    async def forked(self, fn: Callable[[Any], Any], stdin: int | None = None,
                     stdout: int | None = None, stderr: int | None = None) -> Any:
        """fn(engine) in a forked child (teu.engine.forked), awaited in a thread."""
        from teu.engine.forked import Child

        def go() -> Any:
            return Child(lambda: _in_child(self, fn), stdin, stdout, stderr).result()

        return await self.thread(go)

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)


def _in_child(service: Service, fn: Callable[[Any], Any]) -> Any:
    """The child forgets the server's signal plumbing first: uvicorn's handlers write
    to a wakeup fd the parent's event loop reads."""
    import signal

    signal.set_wakeup_fd(-1)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)
    e = service.engine()
    try:
        return fn(e)
    finally:
        e.close()
