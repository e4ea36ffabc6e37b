"""`compose events`: the project's container events as docker compose prints them, read
from the engine's event journal (teu.journal, which the operations themselves write):
the history from --since, then new events as they happen, until --until (or Ctrl-C).
As docker compose's: only containers, one-off containers (`compose run`) left out, the
com.docker.compose.* labels dropped from the attributes."""

from __future__ import annotations

import time
from collections.abc import Callable


def events(engine, project: str, services: list[str], emit: Callable[[dict], None],  # noqa: ANN001
           since: float | None = None, until: float | None = None,
           stop: Callable[[], bool] | None = None) -> None:
    """emit({"action", "attributes", "id", "service", "time", "type"}) per event."""
    from teu.compose import plan
    from teu.engine.views.events import stream

    filters = {"type": ["container"], "label": [f"{plan.PROJECT}={project}"]}
    for ev in stream(engine.paths.root, filters, since, until, stop or (lambda: False)):
        attrs = ev["Actor"]["Attributes"]
        service = attrs.get(plan.SERVICE, "")
        if attrs.get(plan.ONEOFF) == "True" or (services and service not in services):
            continue
        emit({"action": ev["Action"],
              "attributes": {k: v for k, v in attrs.items()
                             if not k.startswith("com.docker.compose.")},
              "id": ev["Actor"]["ID"], "service": service, "time": go_time(ev["timeNano"]),
              "type": "container"})


def go_time(nano: int) -> str:
    """A time as Go's encoding/json writes a time.Time (RFC 3339, nanoseconds with their
    trailing zeros cut), in UTC."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(nano // 1_000_000_000))
    frac = f"{nano % 1_000_000_000:09d}".rstrip("0")
    return f"{stamp}{'.' + frac if frac else ''}Z"


def text(event: dict) -> str:
    """docker compose's line: `TIME container ACTION ID (k=v, ...)` (microseconds), and
    the empty line its Println of a line ending in a newline adds."""
    attrs = ", ".join(f"{k}={v}" for k, v in sorted(event["attributes"].items()))
    day, _, rest = event["time"].rstrip("Z").partition("T")
    clock, _, frac = rest.partition(".")
    return f"{day} {clock}.{(frac + '000000')[:6]} container {event['action']} " \
           f"{event['id']} ({attrs})\n"
