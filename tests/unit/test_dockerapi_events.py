"""The store's event journal (teu.journal) and docker's views of it
(teu.engine.views.events): history, following, rotation, filters, shapes."""

from __future__ import annotations

import os
import select
import threading
from pathlib import Path

from teu import journal
from teu.engine.views.events import docker_shape, matches, stream, text


def test_history_in_order_and_within_the_range(tmp_path: Path) -> None:
    root = str(tmp_path)
    journal.append(root, "container", "create", "c1", {"name": "a", "image": "busybox"})
    journal.append(root, "image", "tag", "sha256:1", {"name": "x:1"})
    events = journal.history(root)
    assert [e["Action"] for e in events] == ["create", "tag"]
    first, second = events
    assert first["Actor"] == {"ID": "c1", "Attributes": {"name": "a", "image": "busybox"}}
    assert first["scope"] == "local" and first["time"] == first["timeNano"] // 10**9
    assert journal.history(root, since_ns=second["timeNano"]) == [second]
    assert journal.history(root, until_ns=first["timeNano"]) == [first]


def test_a_cut_line_is_skipped(tmp_path: Path) -> None:
    root = str(tmp_path)
    journal.append(root, "volume", "create", "v", {"driver": "local"})
    with open(journal.path_of(root), "ab") as f:
        f.write(b'{"Type": "vol\n')  # a writer killed mid-line
    journal.append(root, "volume", "destroy", "v", {"driver": "local"})
    assert [e["Action"] for e in journal.history(root)] == ["create", "destroy"]


def test_follower_wakes_and_reads_each_event_once(tmp_path: Path) -> None:
    root = str(tmp_path)
    journal.append(root, "container", "create", "old", {})
    f = journal.Follower(root)
    try:
        journal.append(root, "container", "start", "new", {})
        assert [e["Actor"]["ID"] for e in f.history()] == ["old"]
        assert f.fileno() >= 0
        assert select.select([f.fileno()], [], [], 5)[0]  # inotify: no polling
        assert [e["Actor"]["ID"] for e in f.read()] == ["new"]
        assert f.read() == []
    finally:
        f.close()


def test_follower_follows_a_rotation(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    root = str(tmp_path)
    journal.append(root, "container", "start", "c0", {"k": "v" * 20})
    line = os.path.getsize(journal.path_of(root))
    os.unlink(journal.path_of(root))
    monkeypatch.setattr(journal, "LIMIT", line * 3 + line // 2)  # one rotation in six
    f = journal.Follower(root)
    try:
        for i in range(6):
            journal.append(root, "container", "start", f"c{i}", {"k": "v" * 20})
        assert os.path.exists(journal.path_of(root) + ".1")
        assert [e["Actor"]["ID"] for e in f.read()] == [f"c{i}" for i in range(6)]
        assert [e["Actor"]["ID"] for e in journal.history(root)][-1] == "c5"
    finally:
        f.close()


def test_stream_replays_then_follows_until(tmp_path: Path) -> None:
    import time

    root = str(tmp_path)
    t0 = time.time()
    journal.append(root, "container", "create", "c1", {"name": "a", "l": "1"})
    journal.append(root, "container", "create", "c2", {"name": "b"})
    later = threading.Timer(0.2, journal.append,
                            (root, "container", "destroy", "c1", {"name": "a", "l": "1"}))
    later.start()
    got = list(stream(root, {"label": ["l=1"]}, since=t0, until=time.time() + 0.8))
    later.join()
    assert [(e["Action"], e["id"]) for e in got] == [("create", "c1"), ("destroy", "c1")]


def _ev(kind: str, action: str, actor: str, **attrs: str) -> dict:
    return {"Type": kind, "Action": action, "Actor": {"ID": actor, "Attributes": attrs},
            "scope": "local", "time": 1, "timeNano": 1_000_000_005}


def test_filters_as_docker() -> None:
    c = _ev("container", "die", "abc123", name="web", image="busybox", exitCode="3", k="v")
    assert matches(c, {"type": ["container"], "event": ["die", "start"]})
    assert matches(c, {"container": ["web"]}) and matches(c, {"container": ["abc"]})
    assert matches(c, {"label": ["k"]}) and matches(c, {"label": ["k=v"]})
    assert not matches(c, {"label": ["k=w"]}) and not matches(c, {"type": ["image"]})
    assert matches(c, {"image": ["busybox"]})
    i = _ev("image", "tag", "sha256:ffee", name="x:1")
    assert matches(i, {"image": ["x:1"]}) and matches(i, {"image": ["ffee"]})
    n = _ev("network", "connect", "n1d", container="abc123", name="net1", type="bridge")
    assert matches(n, {"network": ["net1"]}) and not matches(n, {"container": ["abc123"]})
    health = _ev("container", "health_status: healthy", "abc123")
    assert matches(health, {"event": ["health_status"]})


def test_docker_shapes_and_the_cli_line() -> None:
    c = docker_shape(_ev("container", "start", "abc", image="busybox", name="web"))
    assert (c["status"], c["id"], c["from"]) == ("start", "abc", "busybox")
    assert list(c)[:3] == ["status", "id", "from"]
    v = _ev("volume", "create", "v1", driver="local")
    assert docker_shape(v) == v
    assert text(_ev("container", "start", "abc", name="web", image="busybox")) == \
        "1970-01-01T00:00:01.000000005Z container start abc (image=busybox, name=web)"


def test_an_unwritable_journal_loses_the_event_not_the_work(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.write_text("a file where the store's directory should be")
    journal.append(str(root), "container", "create", "c1", {})  # no exception
    assert journal.history(str(root)) == []
