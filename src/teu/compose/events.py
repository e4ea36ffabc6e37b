"""`compose events`: the project's container events as docker compose prints them,
found by watching the containers' states (teu has no daemon to send events): create,
start, die (with its exit code), pause, unpause, health_status, destroy."""

from __future__ import annotations

import json
import time
from collections.abc import Callable


def _state(row) -> tuple[str, str, int | None]:  # noqa: ANN001
    health = json.loads(row["health"]).get("Status", "") if row["health"] else ""
    return row["status"], health, row["exit_code"]


def events(engine, model: dict, services: list[str], emit: Callable[[dict], None],  # noqa: ANN001
           stop: Callable[[], bool] | None = None, interval: float = 0.2) -> None:
    """emit({"time", "type", "action", "id", "service", "attributes"}) for every change
    seen, until stop() (or Ctrl-C)."""
    from teu.compose import plan
    from teu.compose.containers import find, labels_of

    seen: dict[str, tuple] = {r["id"]: (_state(r), r) for r in find(engine, model, services,
                                                                     oneoff=True)}

    def out(action: str, row, extra: dict | None = None) -> None:  # noqa: ANN001
        emit({"time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) +
              f".{int(time.time() % 1 * 1e6):06d}Z", "type": "container", "action": action,
              "id": row["id"], "service": labels_of(row).get(plan.SERVICE, ""),
              "attributes": {"image": row.settings["Config"].get("Image", ""),
                             "name": row["name"], **(extra or {})}})

    while not (stop and stop()):
        time.sleep(interval)
        now = {r["id"]: r for r in find(engine, model, services, oneoff=True)}
        for cid, row in now.items():
            state = _state(row)
            if cid not in seen:
                out("create", row)
                old = ("created", "", None)
            else:
                old = seen[cid][0]
            status, health, code = state
            if status != old[0]:
                if status == "running" and old[0] == "paused":
                    out("unpause", row)
                elif status == "running":
                    out("start", row)
                elif status == "paused":
                    out("pause", row)
                elif status in ("exited", "dead") and old[0] in ("running", "paused"):
                    out("die", row, {"exitCode": str(code)})
            if health and health != old[1] and health != "starting":
                out(f"health_status: {health}", row)
            seen[cid] = (state, row)
        for cid in [c for c in seen if c not in now]:
            out("destroy", seen.pop(cid)[1])


def text(event: dict) -> str:
    """docker compose's line: `TIME container ACTION ID (k=v, ...)`."""
    attrs = ", ".join(f"{k}={v}" for k, v in sorted(event["attributes"].items()))
    stamp = event["time"].replace("T", " ").rstrip("Z")
    return f"{stamp} container {event['action']} {event['id']} ({attrs})"
