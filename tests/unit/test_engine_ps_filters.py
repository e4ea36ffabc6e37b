"""`ps --filter` semantics (teu.engine.views.ps_filters), docker 20.10's daemon/list.go:
OR within a key, AND across keys (label: every filter must hold), regexps for id and
name, and docker's errors for bad filters."""

from __future__ import annotations

import json

import pytest

from teu.engine.errors import InvalidArgument
from teu.engine.views.ps_filters import PsFilter, ports


class FakeRow(dict):
    """A container row as the engine's db gives it (pure data for a pure filter)."""

    def __init__(self, name: str, cid: str, created: float, labels: dict | None = None,
                 exit_code: int | None = None, started: float | None = 1.0,
                 mounts: list | None = None, health: str | None = None,
                 bindings: dict | None = None, exposed: dict | None = None) -> None:
        super().__init__(id=cid, name=name, created=created, exit_code=exit_code,
                         started_at=started,
                         health=json.dumps({"Status": health}) if health else None)
        self.settings = {"Config": {"Labels": labels or {}, "ExposedPorts": exposed or {}},
                         "HostConfig": {"NetworkMode": "none",
                                        "PortBindings": bindings or {}},
                         "Mounts": mounts or []}


WEB = FakeRow("web", "aa11" + "0" * 60, 1, {"app": "web", "tier": "front"}, health="healthy",
              bindings={"80/tcp": [{}]}, exposed={"80/tcp": {}, "443/tcp": {}})
DB = FakeRow("db", "bb22" + "0" * 60, 2, {"app": "db"}, exit_code=3,
             mounts=[{"Name": "vol1", "Destination": "/data", "Type": "volume"}])
NEW = FakeRow("web-new", "cc33" + "0" * 60, 3, started=None, exit_code=0)
STATES = {"web": "running", "db": "exited", "web-new": "created"}


def names(*filters: str, bounds: dict | None = None) -> list[str]:
    f = PsFilter(list(filters))
    return [r["name"] for r in (WEB, DB, NEW)
            if f.matches(r, bounds or {}, lambda row, ref: ref == "busybox",
                         STATES[r["name"]])]


def test_name_and_id_are_unanchored_regexps() -> None:
    assert names("name=web") == ["web", "web-new"]
    assert names("name=^/web$") == ["web"]
    assert names("name=^db$") == ["db"]
    assert names("name=[") == []  # a pattern that does not compile matches nothing
    assert names("id=^bb") == ["db"] and names("id=33") == ["web-new"]


def test_or_within_a_key_and_across_keys() -> None:
    assert names("name=^db$", "name=^web$") == ["web", "db"]
    assert names("status=running", "status=exited") == ["web", "db"]
    assert names("name=web", "status=created") == ["web-new"]


def test_label_filters_all_hold() -> None:
    assert names("label=app") == ["web", "db"]
    assert names("label=app=web") == ["web"]
    assert names("label=app", "label=tier") == ["web"]
    assert names("label=app=db", "label=tier") == []


def test_exited_needs_a_container_that_ran() -> None:
    assert names("exited=3") == ["db"]
    assert names("exited=0") == []  # web-new never started
    with pytest.raises(InvalidArgument, match='strconv.Atoi: parsing "x"'):
        PsFilter(["exited=x"])


def test_volume_network_ports_health_isolation_task_before_since() -> None:
    assert names("volume=vol1") == ["db"] and names("volume=/data") == ["db"]
    assert names("network=none") == ["web", "db", "web-new"]
    assert names("publish=80") == ["web"] and names("publish=80/udp") == []
    assert names("expose=400-450/tcp") == ["web"] and names("expose=8080") == []
    assert names("health=healthy") == ["web"] and names("health=none") == ["db", "web-new"]
    assert names("isolation=default") == [] and names("isolation=") == ["web", "db", "web-new"]
    assert names("is-task=true") == [] and names("is-task=false") == ["web", "db", "web-new"]
    assert names("ancestor=busybox") == ["web", "db", "web-new"]
    assert names(bounds={"before": 3}) == ["web", "db"]
    assert names(bounds={"since": 1}) == ["db", "web-new"]
    f = PsFilter(["before=a", "before=b"])
    assert f.reference("before") == "b" and f.lists_stopped  # docker: the last one counts
    assert not PsFilter(["label=x"]).lists_stopped and PsFilter(["status=exited"]).lists_stopped


@pytest.mark.parametrize("bad,message", [
    ("nokey", "bad format of filter"), ("bogus=1", "invalid filter 'bogus'"),
    ("status=sleeping", "invalid filter 'status=sleeping'"),
    ("health=sick", "Unrecognised filter value for health: sick"),
    ("isolation=hyperv", "invalid filter 'isolation=hyperv'"),
    ("is-task=maybe", "invalid filter 'is-task=maybe'"),
    ("publish=http", "invalid port range"),
])
def test_bad_filters_are_refused(bad: str, message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        PsFilter([bad])


def test_port_ranges() -> None:
    assert ports("80") == {"80/tcp"}
    assert ports("53/udp") == {"53/udp"}
    assert ports("8000-8002/tcp") == {"8000/tcp", "8001/tcp", "8002/tcp"}
