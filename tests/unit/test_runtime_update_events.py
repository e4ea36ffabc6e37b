"""`teu-runtime update` and `events`: flag and input parsing (the cgroup side is tested elsewhere)."""

from __future__ import annotations

import pytest

from teu.runtime.cli.events import parse_duration
from teu.runtime.cli.main import UsageError
from teu.runtime.cli.update import merge, parse_size, resources_from


@pytest.mark.parametrize("text,value", [
    ("1024", 1024), ("64m", 64 << 20), ("64MB", 64 << 20), ("64MiB", 64 << 20),
    ("1.5g", 3 << 29), ("512k", 512 << 10), ("10b", 10), ("-1", -1),
])
def test_sizes_as_runc_reads_them(text: str, value: int) -> None:
    assert parse_size(text, "memory") == value


@pytest.mark.parametrize("text", ["", "abc", "m", "-5", "12x"])
def test_bad_sizes_name_the_flag(text: str) -> None:
    with pytest.raises(UsageError, match="--memory"):
        parse_size(text, "memory")


def test_flags_and_json_make_resources(tmp_path) -> None:  # noqa: ANN001
    f = tmp_path / "r.json"
    f.write_text('{"memory": {"limit": 1}, "devices": [{"allow": false, "access": "rwm"}]}')
    r = resources_from({"resources": str(f), "memory-swap": "-1", "cpu-quota": "5000",
                        "cpuset-cpus": "0", "pids-limit": "7"})
    assert r == {"memory": {"limit": 1, "swap": -1}, "cpu": {"quota": 5000, "cpus": "0"},
                 "pids": {"limit": 7}}  # devices dropped: update never changes them


def test_bad_number_flag() -> None:
    with pytest.raises(UsageError, match="--cpu-quota"):
        resources_from({"cpu-quota": "lots"})


def test_merge_keeps_other_keys() -> None:
    assert merge({"memory": {"limit": 1, "swap": 2}, "pids": {"limit": 3}},
                 {"memory": {"limit": 5}}) == {"memory": {"limit": 5, "swap": 2},
                                               "pids": {"limit": 3}}


@pytest.mark.parametrize("text,seconds", [("5s", 5), ("250ms", 0.25), ("1m30s", 90)])
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "5", "s", "0s", "5x"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(UsageError):
        parse_duration(text)
