"""teu.scan.resultcache's pure parts: the key, the name's resolution record, and entries
on disk (written, read back, damaged)."""

from __future__ import annotations

import os

import pytest

from teu.scan import resultcache as RC

BASE = dict(version="0.1.0", root="/r", name="debian:12", db_path="/r/scan/vuln.db",
            db_gen="gen-1", severities=None, ignore_unfixed=False, ignored=set(),
            fmt="json")


def key(**over) -> str:
    return RC.make_key(**{**BASE, **over})


def test_key_is_stable_and_each_input_changes_it():
    assert key() == key() and key(ignored={"B", "A"}) == key(ignored={"A", "B"})
    others = [key(version="0.2.0"), key(root="/s"), key(name="debian:13"),
              key(db_path="/other.db"), key(db_gen="gen-2"), key(severities=["HIGH"]),
              key(ignore_unfixed=True), key(ignored={"CVE-1"}), key(fmt="table")]
    assert len({key(), *others}) == len(others) + 1


def test_severity_key():
    assert RC.severity_key(None) is None and RC.severity_key("") is None
    assert RC.severity_key(" high, critical ,") == ["HIGH", "CRITICAL"]


@pytest.mark.parametrize("name,want", [
    ("debian:12", {"tag": "docker.io/library/debian:12", "prefix": None}),
    ("localhost/x", {"tag": "localhost/x:latest", "prefix": None}),
    ("abc123", {"tag": "docker.io/library/abc123:latest", "prefix": "abc123"}),
    # the reference grammar reads this as repository "sha256", as Store.resolve_id does
    ("sha256:" + "a" * 64, {"tag": "docker.io/library/sha256:" + "a" * 64,
                            "prefix": "a" * 64}),
])
def test_resolution_follows_the_stores_order(name, want):
    assert RC.resolution(name) == want


def test_digest_references_are_not_cached():
    assert RC.resolution("debian@sha256:" + "b" * 64) is None


def test_entry_round_trip_and_damage(tmp_path):
    c = RC.ResultCache(str(tmp_path))
    assert c.get(key()) is None
    c.put(key(), "sha256:" + "c" * 64, {"tag": "t", "prefix": None}, "out\n", ["w"], 2)
    got = c.get(key())
    assert got["output"] == "out\n" and got["findings"] == 2 and got["warnings"] == ["w"]
    assert c.get(key(fmt="table")) is None
    path = c.path(key())
    data = open(path, "rb").read()
    for bad in (data[:-1], data[:64], b"", os.urandom(len(data)),
                data.replace(b"out\n", b"OUT\n")):
        with open(path, "wb") as f:
            f.write(bad)
        assert c.get(key()) is None
    assert os.listdir(tmp_path / "scan-cache" / "results") == [os.path.basename(path)]


def test_db_generation_of_a_missing_or_damaged_file(tmp_path):
    assert RC.db_generation(str(tmp_path / "none.db")) is None
    (tmp_path / "bad.db").write_bytes(b"not sqlite" * 100)
    assert RC.db_generation(str(tmp_path / "bad.db")) is None
