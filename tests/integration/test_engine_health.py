"""Health checks without a daemon: a shell loop beside the container runs the check."""

from __future__ import annotations

import pytest
from tests.integration.engine_helpers import IMAGE, pids_mentioning, private_teu, wait_until

pytestmark = pytest.mark.root


@pytest.fixture
def teu(tmp_path):  # noqa: ANN001, ANN201
    yield from private_teu(tmp_path)


def status(teu, name: str) -> str:  # noqa: ANN001
    return teu.inspect(name)["State"].get("Health", {}).get("Status", "none")


def test_health_goes_unhealthy_then_healthy(teu) -> None:
    teu.ok("run", "-d", "--name", "hc", "--health-cmd", "test -f /tmp/ok",
           "--health-interval", "200ms", "--health-retries", "2", IMAGE, "sleep", "60")
    assert status(teu, "hc") == "starting"
    wait_until(lambda: status(teu, "hc") == "unhealthy", 15, "unhealthy")
    assert "(unhealthy)" in teu.ok("ps")
    teu.ok("exec", "hc", "touch", "/tmp/ok")
    wait_until(lambda: status(teu, "hc") == "healthy", 15, "healthy")
    health = teu.inspect("hc")["State"]["Health"]
    assert health["FailingStreak"] == 0 and health["Log"][-1]["ExitCode"] == 0
    assert len(health["Log"]) <= 5 and "MonitorPid" not in health
    assert teu("ps", "--filter", "health=healthy", "-q").stdout.strip()
    assert teu.ok("healthcheck", "run", "hc") == "healthy\n"
    teu.ok("stop", "-t", "0", "hc")
    wait_until(lambda: not [p for p in pids_mentioning("healthcheck")
                            if str(teu.top) in open(f"/proc/{p}/cmdline").read()], 5,
               "the loop to end")


def test_timeout_and_no_healthcheck(teu) -> None:
    teu.ok("run", "-d", "--name", "slow", "--health-cmd", "sleep 5", "--health-timeout",
           "300ms", "--health-interval", "200ms", "--health-retries", "1", IMAGE, "sleep", "60")
    wait_until(lambda: status(teu, "slow") == "unhealthy", 15, "timeout to count")
    log = teu.inspect("slow")["State"]["Health"]["Log"][-1]
    assert log["ExitCode"] == -1 and "timeout" in log["Output"]
    teu.ok("run", "-d", "--name", "none", "--no-healthcheck", IMAGE, "sleep", "60")
    assert "Health" not in teu.inspect("none")["State"]
    p = teu("healthcheck", "run", "none")
    assert p.returncode == 1 and "no health check" in p.stderr


def test_start_interval_checks_often_while_starting(teu) -> None:
    # An interval of an hour: only the start interval's checks can make it healthy.
    teu.ok("run", "-d", "--name", "quick", "--health-cmd", "test -f /tmp/ok",
           "--health-interval", "1h", "--health-start-period", "60s",
           "--health-start-interval", "100ms", IMAGE, "sh", "-c",
           "sleep 0.5; touch /tmp/ok; exec sleep 60")
    assert teu.inspect("quick")["Config"]["Healthcheck"]["StartInterval"] == 100_000_000
    wait_until(lambda: status(teu, "quick") == "healthy", 20, "healthy in the start period")
    # Failures inside the start period do not count.
    assert teu.inspect("quick")["State"]["Health"]["FailingStreak"] == 0
    teu.ok("rm", "-f", "quick")
