"""Attached `up`: the containers' logs with prefixes until every container has stopped;
Ctrl-C stops them all (a second Ctrl-C kills them), as docker compose does;
`--abort-on-container-exit` and `--exit-code-from` stop everything once one exits."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable

from teu.compose.logs import Follower, Printer, short_name


def stop_all(engine, cids: list[str], say: Callable[[str], None],  # noqa: ANN001
             timeout: float | None, force: threading.Event) -> None:
    """Stop the containers in parallel (one thread each, like docker compose); once
    `force` is set, kill whatever still runs."""
    from teu.engine.context import Engine
    from teu.engine.lifecycle.control import kill, stop

    paths = engine.paths

    def one(cid: str) -> None:
        e = Engine(paths.root, paths.runroot)
        try:
            name = e.find(cid)["name"]
            say(f" Container {name}  Stopping")
            stop(e, cid, timeout)
            say(f" Container {name}  Stopped")
        except Exception:  # noqa: BLE001 - gone already: nothing left to stop
            pass
        finally:
            e.close()

    threads = [threading.Thread(target=one, args=(c,), daemon=True) for c in cids]
    for t in threads:
        t.start()
    killed = False
    while any(t.is_alive() for t in threads):
        if force.is_set() and not killed:
            killed = True
            for cid in cids:
                try:
                    kill(engine, cid)
                except Exception:  # noqa: BLE001 - not running any more
                    pass
        time.sleep(0.1)


def stop_forceable(engine, cids: list[str], say: Callable[[str], None],  # noqa: ANN001
                   timeout: float | None) -> None:
    """stop_all, with a Ctrl-C while it runs turned into a kill of what still runs."""
    force = threading.Event()
    previous = signal.signal(signal.SIGINT, lambda *_: force.set())
    try:
        stop_all(engine, cids, say, timeout, force)
    finally:
        signal.signal(signal.SIGINT, previous)


def attach(engine, project: str, ids: dict[str, list[str]], attach_to: list[str],  # noqa: ANN001
           say: Callable[[str], None], printer_opts: dict, abort: bool = False,
           exit_code_from: str = "", timeout: float | None = None,
           since: float | None = None) -> int:
    """Follow the logs of `attach_to`'s containers (from `since`: when `up` began, so
    nothing a container said while the others started is lost) until all of them stop,
    or until the first one exits (abort), or Ctrl-C; the exit code docker compose gives."""
    started = time.time() - 1 if since is None else since
    every = [cid for s in ids for cid in ids[s]]
    shown = [(short_name(project, engine.find(cid)["name"]), cid, s)
             for s in attach_to for cid in ids.get(s, [])]
    printer = Printer([n for n, _, _ in shown], **printer_opts)
    say("Attaching to " + ", ".join(n for n, _, _ in shown))
    exits: list[tuple[str, str]] = []  # (service, cid) in the order they stopped
    lock = threading.Lock()
    first_exit = threading.Event()

    def on_exit(name: str, cid: str) -> None:
        from teu.engine.context import Engine

        e = Engine(engine.paths.root, engine.paths.runroot)
        try:
            code = exit_code(e, cid)
        finally:
            e.close()
        printer.line(f"{name} exited with code {code}")
        with lock:
            exits.append((next(s for n, c, s in shown if c == cid), cid))
        first_exit.set()

    followers = [Follower(engine.paths, cid, name, printer, True, since=started,
                          on_exit=on_exit) for name, cid, _ in shown]
    for f in followers:
        f.start()
    force = threading.Event()
    interrupted = False
    try:
        while any(f.is_alive() for f in followers):
            if (abort or exit_code_from) and first_exit.is_set():
                say("Aborting on container exit...")
                break
            time.sleep(0.1)
    except KeyboardInterrupt:
        interrupted = True
        say("Gracefully stopping... (press Ctrl+C again to force)")
    previous = signal.signal(signal.SIGINT, lambda *_: force.set())
    try:
        if interrupted or abort or exit_code_from:
            stop_all(engine, every, say, timeout, force)
        for f in followers:
            f.join(5)
    finally:
        signal.signal(signal.SIGINT, previous)
    if interrupted:
        return 130
    if exit_code_from:
        cids = ids.get(exit_code_from) or [""]
        return exit_code(engine, cids[0]) or 0
    if abort and exits:
        return exit_code(engine, exits[0][1]) or 0
    return 0


def exit_code(engine, cid: str) -> int | None:  # noqa: ANN001
    """A stopped container's exit code (None while it runs or when it is gone)."""
    from teu.engine import state

    row = engine.db.get(cid) if cid else None
    row = state.refresh(engine, row) if row is not None else None
    if row is None or row["status"] in state.RUNNING:
        return None
    return row["exit_code"]
