"""Services side by side, as docker compose runs them: one thread per service that
starts once the services it depends on are done; the first failure stops the rest from
starting and is raised when every thread has ended.

What changes the process (starting a container makes the starter's mount namespace
private) runs in a forked child per container (`forked`), like one `teu run -d` each:
the threads here only wait and print, and look at the database under DB_LOCK."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

# SQLite's global mutexes (its allocator's, its unix VFS's) are process-wide: a fork while
# another thread is inside SQLite leaves the child's copy of such a mutex locked, and the
# child's first database call then hangs for ever. So compose's threads use the database
# only under DB_LOCK, and every fork of this process waits for it.
DB_LOCK = threading.RLock()
os.register_at_fork(before=DB_LOCK.acquire, after_in_parent=DB_LOCK.release,
                    after_in_child=DB_LOCK.release)


def run_graph(order: list[str], needs: dict[str, list[str]],
              work: Callable[[str], Any]) -> dict[str, Any]:
    """work(name) for each name in `order`, each after the names it needs (those in
    `order`); {name: result}."""
    done = {n: threading.Event() for n in order}
    results: dict[str, Any] = {}
    errors: list[BaseException] = []
    lock = threading.Lock()

    def one(name: str) -> None:
        try:
            for dep in needs.get(name, []):
                if dep in done:
                    done[dep].wait()
            with lock:
                if errors:
                    return
            value = work(name)
            with lock:
                results[name] = value
        except BaseException as e:  # noqa: BLE001 - raised by the caller's thread
            with lock:
                errors.append(e)
        finally:
            done[name].set()

    threads = [threading.Thread(target=one, args=(n,), name=f"compose-{n}", daemon=True)
               for n in order]
    for t in threads:
        t.start()
    for t in threads:
        while t.is_alive():
            t.join(0.2)  # in slices, so that Ctrl-C reaches the main thread
    if errors:
        raise errors[0]
    return results


def forked(fn: Callable[[], Any]) -> Any:
    """fn() in a forked child (its result through JSON, its TeuError re-raised)."""
    from teu.engine.forked import in_child

    return in_child(fn)


def each(items: list, fn: Callable[[Any], None]) -> None:
    """fn(item) for every item at once (threads); the first error raised after all."""
    errors: list[BaseException] = []

    def one(item: Any) -> None:
        try:
            fn(item)
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in items]
    for t in threads:
        t.start()
    for t in threads:
        while t.is_alive():
            t.join(0.2)
    if errors:
        raise errors[0]
