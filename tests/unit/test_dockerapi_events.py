"""teu.engine.views.events: the container events between two snapshots of the store."""

from __future__ import annotations

from teu.engine.views.events import Seen, changes, matches


def _s(status: str, started: float | None = None, finished: float | None = None,
       code: int | None = None, name: str = "c") -> Seen:
    return Seen(name, "busybox", status, started, finished, code, {"k": "v"})


def actions(before: dict, after: dict) -> list[str]:
    return [e["Action"] for e in changes(before, after, now=100.0)]


def test_a_whole_life_seen_at_once() -> None:
    assert actions({}, {"a": _s("exited", 1.0, 2.0, 3)}) == ["create", "start", "die"]
    assert actions({"a": _s("exited", 1.0, 2.0, 3)}, {}) == ["destroy"]


def test_step_by_step() -> None:
    created, running = _s("created"), _s("running", 1.0)
    assert actions({}, {"a": created}) == ["create"]
    assert actions({"a": created}, {"a": running}) == ["start"]
    assert actions({"a": running}, {"a": _s("paused", 1.0)}) == ["pause"]
    assert actions({"a": _s("paused", 1.0)}, {"a": running}) == ["unpause"]
    assert actions({"a": running}, {"a": _s("running", 5.0)}) == ["die", "start"]  # restart
    assert actions({"a": running}, {"a": _s("running", 1.0, name="d")}) == ["rename"]
    assert actions({"a": running}, {}) == ["die", "destroy"]  # rm -f
    assert actions({"a": running}, {"a": running}) == []


def test_an_exit_and_a_rename_in_one_step_are_ordered_as_dockerd() -> None:
    # `docker wait c; docker rename c d` within one snapshot: dockerd says die c, rename d.
    evs = changes({"a": _s("running", 1.0)}, {"a": _s("exited", 1.0, 2.0, 3, name="d")},
                  now=100.0)
    assert [(e["Action"], e["Actor"]["Attributes"]["name"]) for e in evs] == \
        [("die", "c"), ("rename", "d")]


def test_die_carries_the_exit_code_and_filters_match() -> None:
    ev = changes({"a": _s("running", 1.0)}, {"a": _s("exited", 1.0, 2.0, 7)})[0]
    assert ev["Actor"]["Attributes"] == {"k": "v", "image": "busybox", "name": "c",
                                         "exitCode": "7"}
    assert matches(ev, {"event": ["start", "die"], "label": ["k=v"], "container": ["c"]})
    assert not matches(ev, {"type": ["image"]})
