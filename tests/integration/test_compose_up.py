"""`teu compose up -d`, `ps`, `down` of a two-service project inside a test host: the
project network, names resolving between services, labels and names as docker
compose's, a re-run `up` leaving unchanged services running, `down -v` leaving nothing."""

from __future__ import annotations

import json

import pytest
from tests.integration.engine_helpers import IMAGE
from tests.integration.net_helpers import host_teu, wait_for, www

pytestmark = pytest.mark.root


@pytest.fixture
def teu(tmp_path):  # noqa: ANN001, ANN201
    yield from host_teu(tmp_path)


PROJECT = f"""
name: shop
services:
  web:
    image: {IMAGE}
    command: httpd -f -p 80 -h /www
    volumes: ["${{SITE}}:/www:ro", "state:/state"]
    deploy:
      resources:
        limits: {{memory: 64M}}
  api:
    image: {IMAGE}
    command: sleep 300
    depends_on: [web]
    environment:
      MODE: ${{MODE:-test}}
volumes:
  state: {{}}
"""


def test_up_ps_down(teu, tmp_path) -> None:  # noqa: ANN001
    site = www(tmp_path)
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "compose.yaml").write_text(PROJECT)
    env = {**teu.env, "SITE": str(site)}
    c = ["compose", "--project-directory", str(proj)]
    teu.ok(*c, "up", "-d", env=env, cwd=proj)
    names = teu.ok(*c, "ps", "--services", env=env).split()
    assert names == ["api", "web"]
    table = teu.ok(*c, "ps", env=env)
    assert "shop-web-1" in table and "shop-api-1" in table
    # The service name resolves on the project network.
    assert wait_for(lambda: teu("exec", "shop-api-1", "timeout", "3", "wget", "-qO-",
                                "http://web/").stdout == "hello from httpd\n")
    info = teu.inspect("shop-web-1")
    labels = info["Config"]["Labels"]
    assert labels["com.docker.compose.project"] == "shop"
    assert labels["com.docker.compose.service"] == "web"
    assert labels["com.docker.compose.container-number"] == "1"
    assert list(info["NetworkSettings"]["Networks"]) == ["shop_default"]
    assert info["HostConfig"]["Memory"] == 64 * 1024 * 1024
    assert "MODE=test" in teu.inspect("shop-api-1")["Config"]["Env"]
    # Again, unchanged: nothing is recreated.
    started = info["State"]["StartedAt"]
    out = teu(*c, "up", "-d", env=env)
    assert out.returncode == 0 and "Running" in out.stderr
    assert teu.inspect("shop-web-1")["State"]["StartedAt"] == started
    # A changed service is recreated, the other left running.
    api_started = teu.inspect("shop-api-1")["State"]["StartedAt"]
    out = teu(*c, "up", "-d", env={**env, "MODE": "prod"})
    assert out.returncode == 0, out.stderr
    assert "shop-api-1  Recreated" in out.stderr
    assert teu.inspect("shop-web-1")["State"]["StartedAt"] == started
    assert teu.inspect("shop-api-1")["State"]["StartedAt"] != api_started
    vols = json.loads(teu.ok("volume", "inspect", "shop_state"))
    assert vols[0]["Labels"]["com.docker.compose.project"] == "shop"
    # down -v: no container, network or volume of the project is left.
    teu.ok(*c, "down", "-v", "-t", "1", env=env)
    assert teu.ok(*c, "ps", "-a", "-q", env=env) == ""
    assert "shop_default" not in teu.ok("network", "ls", "--format", "{{.Name}}")
    assert "shop_state" not in teu.ok("volume", "ls", "--format", "{{.Name}}")
