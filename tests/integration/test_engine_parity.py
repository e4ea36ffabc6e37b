"""Issue 8, the engine's part: behaviour a docker 20.10 user relies on, each pinned
against what docker does (said in each test)."""

from __future__ import annotations

import pytest
from tests.integration.engine_helpers import IMAGE, private_teu

pytestmark = pytest.mark.root

HOG = 'x=$(head -c 60000000 /dev/zero | tr "\\0" a); echo survived'


@pytest.fixture
def teu(tmp_path):  # noqa: ANN001, ANN201
    yield from private_teu(tmp_path)


def test_detached_oom_kill_is_recorded(teu) -> None:
    """docker: State.OOMKilled true, exit 137, for -d as for a foreground run."""
    cid = teu.ok("run", "-d", "--memory", "8m", IMAGE, "sh", "-c", HOG).strip()
    assert teu.ok("wait", cid).strip() == "137"
    state = teu.inspect(cid)["State"]
    assert state["OOMKilled"] is True and state["ExitCode"] == 137
    p = teu("run", "--name", "fg", "--memory", "8m", IMAGE, "sh", "-c", HOG)
    assert p.returncode == 137
    assert teu.inspect("fg")["State"]["OOMKilled"] is True
    teu.ok("run", "--name", "fine", IMAGE, "true")
    assert teu.inspect("fine")["State"]["OOMKilled"] is False
