"""The project's containers for the verbs that act on them (start, stop, restart, kill,
pause, unpause, rm, top, port, logs, exec, cp, wait): found by docker compose's labels,
ordered by the services' dependencies, each verb's progress line as docker compose's."""

from __future__ import annotations

from collections.abc import Callable

from teu.compose import plan
from teu.compose.errors import ComposeError
from teu.compose.normalize import service_order


def labels_of(row) -> dict:  # noqa: ANN001
    return row.settings["Config"].get("Labels") or {}


def find(engine, model: dict, services: list[str] | None = None,  # noqa: ANN001
         oneoff: bool = False, reverse: bool = False) -> list:
    """The project's containers of `services` (all when none), refreshed against the
    kernel, in start order (dependencies first; `reverse` for stop), then by number."""
    from teu.engine import state

    for s in services or []:
        if s not in model["services"]:
            raise ComposeError(f"no such service: {s}")
    rank = {s: i for i, s in enumerate(service_order(model["services"]))}
    rows = []
    for r in state.refresh_all(engine):
        lab = labels_of(r)
        if lab.get(plan.PROJECT) != model["name"]:
            continue
        if not oneoff and lab.get(plan.ONEOFF) == "True":
            continue
        if services and lab.get(plan.SERVICE) not in services:
            continue
        rows.append(r)
    rows.sort(key=lambda r: (rank.get(labels_of(r).get(plan.SERVICE, ""), len(rank)),
                             int(labels_of(r).get(plan.NUMBER, "0") or 0), r["name"]))
    return rows[::-1] if reverse else rows


def one(engine, model: dict, service: str, index: int = 1):  # noqa: ANN001, ANN201
    """Container number `index` of a service (exec, cp, port); docker compose's error
    when there is none."""
    for r in find(engine, model, [service]):
        if int(labels_of(r).get(plan.NUMBER, "0") or 0) == index:
            return r
    if index == 1:
        raise ComposeError(f"service \"{service}\" is not running")
    raise ComposeError(f"service \"{service}\" is not running container #{index}")


def act(engine, model: dict, verb: str, services: list[str],  # noqa: ANN001
        say: Callable[[str], None], timeout: float | None = None,
        signal: str = "SIGKILL") -> int:
    """start/stop/restart/kill/pause/unpause the services' containers; how many."""
    from teu.engine import state
    from teu.engine.lifecycle import control
    from teu.engine.lifecycle.launch import start

    rows = find(engine, model, services, reverse=verb in ("stop", "kill"))
    n = 0
    for r in rows:
        name, status = r["name"], r["status"]
        if verb == "start":
            if status in state.RUNNING:
                continue
            start(engine, r["id"])
            say(f" Container {name}  Started")
        elif verb == "stop":
            if status not in state.RUNNING and status != "paused":
                continue
            control.stop(engine, r["id"], timeout)
            say(f" Container {name}  Stopped")
        elif verb == "restart":
            control.restart(engine, r["id"], timeout)
            say(f" Container {name}  Started")
        elif verb == "kill":
            if status not in state.RUNNING:
                continue
            control.kill(engine, r["id"], signal)
            say(f" Container {name}  Killed")
        elif verb == "pause":
            control.pause(engine, r["id"])
            say(f" Container {name}  Paused")
        elif verb == "unpause":
            control.unpause(engine, r["id"])
            say(f" Container {name}  Unpaused")
        n += 1
    if verb == "kill" and not n:
        raise ComposeError("no container to kill")
    return n


def remove(engine, model: dict, services: list[str], say: Callable[[str], None],  # noqa: ANN001
           stop_first: bool = False, volumes: bool = False,
           confirm: Callable[[list[str]], bool] | None = None) -> int:
    """`compose rm`: the stopped containers (-s: stop the running ones first)."""
    from teu.engine import state
    from teu.engine.lifecycle import control
    from teu.engine.lifecycle.remove import remove as rm

    rows = find(engine, model, services, oneoff=True, reverse=True)
    if stop_first:
        for r in rows:
            if r["status"] in state.RUNNING or r["status"] == "paused":
                control.stop(engine, r["id"])
                say(f" Container {r['name']}  Stopped")
        rows = find(engine, model, services, oneoff=True, reverse=True)
    rows = [r for r in rows if r["status"] not in state.RUNNING and r["status"] != "paused"]
    if not rows:
        say("No stopped containers")
        return 0
    if confirm is not None and not confirm([r["name"] for r in rows]):
        return 0
    for r in rows:
        rm(engine, r["id"], force=True, volumes=volumes)
        say(f" Container {r['name']}  Removed")
    return len(rows)
