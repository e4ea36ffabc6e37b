"""The health monitor's shell loop (engine/monitor/health.monitor_script) run by a real
`sh` against a stand-in for `teu healthcheck run` that logs its arguments and answers a
scripted status: while the container is starting, each check is started ahead with
`--wait` (its process waits, not the loop); once a check says healthy, the loop goes on
with plain `sleep; check` rounds; the loop ends when the container's process does."""

from __future__ import annotations

import os
import subprocess
import time

from teu.engine.monitor.health import monitor_script


def _fake_check(tmp_path, statuses: list[str]) -> str:
    """A script answering statuses[n] at its n-th call (the last one after that)."""
    (tmp_path / "answers").write_text("\n".join(statuses) + "\n")
    script = tmp_path / "check"
    script.write_text(f"""#!/bin/sh
echo "$*" >> {tmp_path}/calls
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


def _run_loop(h: dict, check: str):  # noqa: ANN202
    container = subprocess.Popen(["sleep", "60"])
    with open("/proc/uptime") as f:
        uptime = float(f.read().split()[0])
    loop = subprocess.Popen(["/bin/sh", "-c", monitor_script(h, container.pid, check, uptime)])
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
    assert calls[:3] == ["--wait 0.02"] * 3
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
    assert calls[0] == "--wait 0.05"
    assert all(c == "" for c in calls[1:])


def test_a_long_interval_is_slept_by_the_loop(tmp_path) -> None:
    from teu.engine.monitor.health import PREWARM

    h = {"Test": ["CMD", "true"], "Interval": int((PREWARM + 1) * 1e9)}
    script = monitor_script(h, os.getpid(), "CHECK", 100.0)
    # no process held for a wait longer than PREWARM
    assert "--wait" not in script and f"sleep {PREWARM + 1:g}" in script
