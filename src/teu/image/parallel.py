"""Run one job per item on a few threads; the first failure stops the rest (pull and push)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any


def run_all(fn: Callable[[Any], object], items: Sequence[Any], jobs: int, thread_name: str,
            on_error: Callable[[], object] | None = None) -> None:
    """fn(item) for every item on up to `jobs` threads. At the first exception the jobs not
    yet started are cancelled, the running ones finish, on_error() runs and it is raised."""
    # Imported here: concurrent.futures brings logging, ~5 ms of every start.
    from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait

    with ThreadPoolExecutor(max_workers=max(1, min(jobs, len(items))),
                            thread_name_prefix=thread_name) as pool:
        futures = [pool.submit(fn, x) for x in items]
        _, pending = wait(futures, return_when=FIRST_EXCEPTION)
        for f in pending:
            f.cancel()
        for f in futures:
            if f.done() and not f.cancelled() and f.exception() is not None:
                if on_error is not None:
                    on_error()
                raise f.exception()  # type: ignore[misc]
