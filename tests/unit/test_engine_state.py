"""Pure parts of the engine's state handling: logs, listing, restart policy, init layer,
images' reference normaliser, the k8s-file log writer and reader."""

from __future__ import annotations

import os
import time

from teu import fastjson
from teu.engine.config import images
from teu.engine.db import COLUMNS, Row
from teu.engine.monitor import logs
from teu.engine.monitor.cleanup import backoff, should_restart
from teu.engine.storage import initlayer
from teu.engine.views.listing import status_text


def row(**kw) -> Row:
    r = Row(dict.fromkeys(COLUMNS))
    r.update(id="a" * 64, name="n", image="busybox", image_id="sha256:" + "b" * 64,
             created=time.time(), pid=0, oom_killed=0, restart_count=0, stopped_by_user=0,
             settings=fastjson.dumps({"Config": {"Cmd": ["sh"]},
                                      "HostConfig": {"RestartPolicy": kw.pop("policy", {})}}))
    r.update(kw)
    return r


def test_status_text() -> None:
    now = time.time()
    assert status_text(row(status="running", started_at=now - 5), now) == "Up 5 seconds"
    assert status_text(row(status="paused", started_at=now - 120), now) == \
        "Up 2 minutes (Paused)"
    assert status_text(row(status="exited", exit_code=3, finished_at=now - 3600), now) == \
        "Exited (3) About an hour ago"
    assert status_text(row(status="created"), now) == "Created"
    assert status_text(row(status="creating"), now) == "Created"
    health = fastjson.dumps({"Status": "healthy"})
    assert status_text(row(status="running", started_at=now, health=health), now) == \
        "Up Less than a second (healthy)"


def test_restart_policy_rules() -> None:
    on_failure = {"Name": "on-failure", "MaximumRetryCount": 2}
    assert should_restart(row(policy=on_failure, exit_code=1, restart_count=1))
    assert not should_restart(row(policy=on_failure, exit_code=1, restart_count=2))
    assert not should_restart(row(policy=on_failure, exit_code=0))
    assert should_restart(row(policy={"Name": "always"}, exit_code=0))
    assert not should_restart(row(policy={"Name": "always"}, exit_code=0, stopped_by_user=1))
    assert should_restart(row(policy={"Name": "unless-stopped"}, exit_code=9))
    assert not should_restart(row(policy={"Name": "no"}, exit_code=1))
    assert backoff(row(restart_count=0, started_at=0, finished_at=1)) == 0.1
    assert backoff(row(restart_count=3, started_at=0, finished_at=1)) == 0.8
    assert backoff(row(restart_count=3, started_at=0, finished_at=100)) == 0.1
    assert backoff(row(restart_count=30, started_at=0, finished_at=1)) == 60.0


def test_log_round_trip(tmp_path) -> None:
    path = str(tmp_path / "ctr.log")
    w = logs.LogWriter(path)
    w.write("stdout", b"one\ntwo\npart")
    w.write("stdout", b"ial\n")
    w.write("stderr", b"err\n")
    w.close()
    lines = open(path, "rb").read().splitlines()
    assert lines[0].split(b" ", 3)[1:] == [b"stdout", b"F", b"one"]
    assert lines[2].split(b" ", 3)[2:] == [b"P", b"part"]
    records, end = logs.read(path)
    assert [(r.stream, r.data) for r in records] == [
        ("stdout", b"one\n"), ("stdout", b"two\n"), ("stdout", b"partial\n"),
        ("stderr", b"err\n")]
    assert end == os.path.getsize(path)
    assert [r.data for r in logs.read(path, tail=1)[0]] == [b"err\n"]
    assert logs.read(path, since=time.time() + 10)[0] == []
    stamped = logs.format_record(records[0], True)
    assert stamped.endswith(b"Z one\n")
    # conmon's own lines (local time with an offset) parse too
    line = b"2026-11-27T10:00:00.000000001+01:00 stdout F hi"
    r = logs.parse_line(line)
    import calendar

    expected = calendar.timegm((2026, 11, 27, 9, 0, 0, 0, 0, 0))
    assert r.data == b"hi\n" and abs(r.time - expected) < 1e-6


def test_stamp_time_agrees_with_the_rfc3339_parser() -> None:
    from teu.engine.timefmt import parse_rfc3339

    for stamp in (b"2026-11-27T10:00:00.000000001+01:00", b"2026-11-27T10:00:00.5+01:00",
                  b"2026-11-27T10:00:00.999999999Z", b"2026-11-27T10:00:00Z",
                  b"2026-11-27T10:00:00.25-05:30", b"2026-11-27T10:00:00.25-05:30",
                  b"2026-11-27T23:59:59.75+00:00"):
        assert logs.stamp_time(stamp) == parse_rfc3339(stamp.decode()), stamp
    for bad in (b"2026-11-27T10:00:00.x+01:00", b"yesterday", b"2026-11-27T10:00:00.5+01"):
        try:
            got = logs.stamp_time(bad)
        except (ValueError, IndexError):
            continue
        assert got == parse_rfc3339(bad.decode()), bad


def test_normalize_references() -> None:
    assert images.normalize("busybox") == "docker.io/library/busybox:latest"
    assert images.normalize("user/app:1") == "docker.io/user/app:1"
    assert images.normalize("localhost:5000/x") == "localhost:5000/x:latest"
    assert images.normalize("quay.io/a/b:c") == "quay.io/a/b:c"
    assert images.normalize("index.docker.io/library/alpine") == \
        "docker.io/library/alpine:latest"
    assert images.normalize("busybox@sha256:" + "a" * 64) is None
    assert images.normalize("Busybox") is None


def test_init_layer_never_covers_an_image_symlink(tmp_path) -> None:
    base = tmp_path / "layer"
    (base / "etc").mkdir(parents=True)
    (base / "var").mkdir()
    os.symlink("/tmp", base / "var" / "run")
    init = tmp_path / "init"
    initlayer.make(str(init), [str(base)], [("/etc/hosts", False), ("/var/run/x", True),
                                            ("/new/dir", True)])
    assert (init / "etc" / "hosts").is_file()
    assert not (init / "var" / "run").exists()  # would hide the image's symlink
    assert (init / "new" / "dir").is_dir()
