"""The health monitor's shell loop (engine/monitor/healthloop.monitor_script) run by a real
`sh` against a stand-in for `teu healthcheck run` that logs its arguments and answers a
scripted status: the loop and its first check wait for the go line on stdin (the
container's start); while the container is starting, each check is started ahead with
`--wait` (its process waits, not the loop); once a check says healthy, the loop goes on
with plain `sleep; check` rounds; the loop ends when the container's process does, and
at once if its stdin ends before any go line (the container never started)."""

from __future__ import annotations

import os
import subprocess
import time

from teu.engine.monitor.healthloop import Loop, monitor_script


def _fake_check(tmp_path, statuses: list[str]) -> str:
    """A script answering statuses[n] at its n-th call (the last one after that)."""
    (tmp_path / "answers").write_text("\n".join(statuses) + "\n")
    script = tmp_path / "check"
    script.write_text(f"""#!/bin/sh
echo "$*" >> {tmp_path}/calls
case "$*" in *--after-start*) read pid t0 end || exit 1;; esac  # the first check's go line
n=$(wc -l < {tmp_path}/calls)
s=$(sed -n "${{n}}p" {tmp_path}/answers)
[ -n "$s" ] || s=$(tail -n 1 {tmp_path}/answers)
echo "$s"
[ "$s" = healthy ]
""")
    script.chmod(0o755)
    return str(script)


def _calls(tmp_path, at_least: int, limit: float = 20.0) -> list[str]:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        path = tmp_path / "calls"
        lines = path.read_text().splitlines() if path.exists() else []
        if len(lines) >= at_least:
            return lines
        time.sleep(0.05)
    raise AssertionError(f"only {lines} after {limit} s")


def _spawn_loop(h: dict, check: str) -> tuple[subprocess.Popen, Loop]:
    r, w = os.pipe2(os.O_CLOEXEC)
    loop = subprocess.Popen(["/bin/sh", "-c", monitor_script(h, check)], stdin=r)
    os.close(r)
    return loop, Loop(loop.pid, w, (h.get("StartPeriod") or 0) / 1e9)


def _run_loop(h: dict, check: str):  # noqa: ANN202
    container = subprocess.Popen(["sleep", "60"])
    loop, handle = _spawn_loop(h, check)
    handle.go(container.pid, time.clock_gettime(time.CLOCK_BOOTTIME))
    return container, loop


def _stop(container, loop) -> None:  # noqa: ANN001
    container.kill()
    container.wait()
    loop.wait(timeout=20)  # ends by itself once the container's process is gone


def test_starting_checks_are_started_ahead_then_plain_rounds(tmp_path) -> None:
    check = _fake_check(tmp_path, ["starting", "starting", "healthy"])
    h = {"Test": ["CMD", "true"], "Interval": int(0.05e9), "StartPeriod": int(30e9),
         "StartInterval": int(0.02e9)}
    container, loop = _run_loop(h, check)
    try:
        calls = _calls(tmp_path, 5)
    finally:
        _stop(container, loop)
    # start interval while starting, each check waiting in its own process; after the
    # first healthy answer, the loop sleeps the interval itself
    assert calls[:3] == ["--wait 0.02 --after-start", "--wait 0.02", "--wait 0.02"]
    assert all(c == "" for c in calls[3:])


def test_without_start_period_the_first_checks_wait_one_interval(tmp_path) -> None:
    check = _fake_check(tmp_path, ["unhealthy"])
    h = {"Test": ["CMD", "true"], "Interval": int(0.05e9)}
    container, loop = _run_loop(h, check)
    try:
        calls = _calls(tmp_path, 3)
    finally:
        _stop(container, loop)
    # no longer starting (unhealthy): plain rounds after the first check
    assert calls[0] == "--wait 0.05 --after-start"
    assert all(c == "" for c in calls[1:])


def test_a_long_interval_is_slept_by_the_loop(tmp_path) -> None:
    from teu.engine.monitor.healthloop import PREWARM

    h = {"Test": ["CMD", "true"], "Interval": int((PREWARM + 1) * 1e9)}
    script = monitor_script(h, "CHECK")
    # no process held for a wait longer than PREWARM
    assert "--wait" not in script and f"sleep {PREWARM + 1:g}" in script


def test_the_first_check_counts_from_the_go_line(tmp_path) -> None:
    """The first check's process is started at once but told to wait for the start:
    until go(), it is the only check run, and it has not answered."""
    check = _fake_check(tmp_path, ["healthy"])
    h = {"Test": ["CMD", "true"], "Interval": int(0.05e9)}
    container = subprocess.Popen(["sleep", "60"])
    loop, handle = _spawn_loop(h, check)
    try:
        assert _calls(tmp_path, 1) == ["--wait 0.05 --after-start"]
        time.sleep(0.3)
        assert loop.poll() is None and (tmp_path / "calls").read_text().count("\n") == 1
        handle.go(container.pid, time.clock_gettime(time.CLOCK_BOOTTIME))
        assert _calls(tmp_path, 3)[1:] == ["", ""]  # healthy: plain rounds
    finally:
        _stop(container, loop)


def test_a_loop_never_told_of_a_start_ends_with_its_stdin(tmp_path) -> None:
    """The start failed, or the teu starting it died: the write end closes unwritten,
    and the loop ends by itself, its waiting check with it."""
    check = _fake_check(tmp_path, ["healthy"])
    h = {"Test": ["CMD", "true"], "Interval": int(0.05e9)}
    loop, handle = _spawn_loop(h, check)
    _calls(tmp_path, 1)
    handle._close()  # what a killed teu's exit does to the write end
    assert loop.wait(timeout=20) == 0
    time.sleep(0.2)
    assert (tmp_path / "calls").read_text().splitlines() == ["--wait 0.05 --after-start"]
