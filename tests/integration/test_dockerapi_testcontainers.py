"""testcontainers-python (PyPI testcontainers) against `teu system service` and a private
dockerd 20.10: a generic container with a log wait strategy and an exposed port that
answers HTTP. Each engine runs in a test host of its own, and so does the script (the
published port is on that host's loopback). Ryuk is off: its image would come from the
internet, and the script removes its container itself."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from tests.integration.dockerapi_helpers import side_by_side
from tests.integration.dockerapi_hosts import hosted_service, shared_bridged_dockerd
from tests.integration.engine_helpers import IMAGE
from tests.integration.net_helpers import TestHost

pytestmark = [pytest.mark.root, pytest.mark.peer]
pytest.importorskip("testcontainers", reason="testcontainers is in teu's test extra")

SCRIPT = f"""
import json, urllib.request
from testcontainers.core.container import DockerContainer
from testcontainers.core.waiting_utils import wait_for_logs

c = (DockerContainer({IMAGE!r}).with_exposed_ports(8080)
     .with_command(["sh", "-c", "mkdir /www; echo hi-tc > /www/index.html; echo ready; "
                   "exec httpd -f -p 8080 -h /www"]))
c.start()
try:
    wait_for_logs(c, "ready", timeout=30)
    host, port = c.get_container_host_ip(), int(c.get_exposed_port(8080))
    body = urllib.request.urlopen(f"http://{{host}}:{{port}}/", timeout=10).read().decode()
    wrapped = c.get_wrapped_container()
    gateway = wrapped.attrs["NetworkSettings"]["Gateway"]
    print(json.dumps({{"host": "gateway" if host == gateway else host, "port": port > 0,
                      "body": body, "status": wrapped.status}}))
finally:
    c.stop()
"""


@pytest.fixture(scope="module")
def dockerd(request: pytest.FixtureRequest):  # noqa: ANN201
    return shared_bridged_dockerd(request)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    yield from hosted_service(tmp_path_factory.mktemp("teu"))


def run(host: TestHost, env: dict) -> dict[str, Any]:
    env = {**env, "TESTCONTAINERS_RYUK_DISABLED": "true"}
    p = subprocess.run([*host.prefix(), sys.executable, "-c", SCRIPT], env=env,
                       capture_output=True, timeout=120)
    assert p.returncode == 0, p.stderr.decode()[-3000:]
    return json.loads(p.stdout.decode().strip().splitlines()[-1])


def test_testcontainers_same_as_dockerd(api: Any, dockerd: Any) -> None:
    theirs, ours = side_by_side(lambda: run(dockerd[0], dockerd[1].env),
                                lambda: run(api[0], api[1].env))
    assert ours == theirs
    # testcontainers reaches the port through the bridge's gateway (each engine's own)
    assert ours == {"host": "gateway", "port": True, "body": "hi-tc\n", "status": "running"}
