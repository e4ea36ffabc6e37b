"""The README's quick start: examples/webapp/demo.sh builds the two images from their
Dockerfiles, networks them, publishes the frontend and gets an answer through it. Run
here inside a test host (the demo makes a bridge and nftables rules, as docker would)."""

from __future__ import annotations

import subprocess

import pytest
from tests.integration.engine_helpers import busybox_tar, teu_binary
from tests.integration.net_helpers import host_teu

from teu.engine.paths import Paths  # noqa: F401 - teu is importable (installed)

pytestmark = pytest.mark.root

DEMO = "examples/webapp/demo.sh"


@pytest.fixture
def hteu(tmp_path):  # noqa: ANN001, ANN201
    yield from host_teu(tmp_path)


def test_quick_start_demo_answers_on_its_published_port(hteu, tmp_path) -> None:  # noqa: ANN001
    tarball = tmp_path / "demo-base.tar"
    tarball.write_bytes(busybox_tar(tmp_path))
    hteu.ok("import", "-c", 'CMD ["sh"]', str(tarball), "teu-demo/busybox:latest")
    env = {**hteu.env, "TEU": teu_binary() or "teu", "PORT": "18080"}
    p = subprocess.run([*hteu.host.prefix(), "sh", DEMO], env=env, capture_output=True,
                       text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    assert "hello from the backend container" in p.stdout
    assert "teu-demo-frontend" in p.stdout and "18080->80/tcp" in p.stdout
    down = subprocess.run([*hteu.host.prefix(), "sh", DEMO, "down"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert down.returncode == 0, down.stderr
    assert hteu.rows() == []
