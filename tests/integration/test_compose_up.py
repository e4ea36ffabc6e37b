"""`teu compose up -d`, `ps`, `down` of a three-service project (a one-shot, a
health-gated start) inside a test host: the
project network, names resolving between services, labels and names as docker
compose's, a re-run `up` leaving unchanged services running, `down -v` leaving nothing."""

from __future__ import annotations

import json
import time

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
    ports: ["127.0.0.1:8080:80"]
    volumes: ["${{SITE}}:/www:ro", "state:/state"]
    deploy:
      resources:
        limits: {{memory: 64M}}
    healthcheck:  # checked every 100 ms until healthy, then every 10 s
      test: wget -qO- http://127.0.0.1/ || exit 1
      interval: 10s
      start_period: 30s
      start_interval: 100ms
    depends_on:
      init: {{condition: service_completed_successfully}}
  init:
    image: {IMAGE}
    command: sh -c 'echo ready > /state/ready'
    volumes: ["state:/state"]
  api:
    image: {IMAGE}
    command: sleep 300
    init: true  # so that sleep, not pid 1, gets SIGTERM: replaced and scaled down at once
    depends_on:
      web: {{condition: service_healthy}}
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
    since = str(time.time())
    teu.ok(*c, "up", "-d", env=env, cwd=proj)
    # The engine's journal has web's health going healthy (dockerd's health_status).
    seen = [json.loads(x)["action"] for x in teu.ok(
        *c, "events", "--json", "--since", since, "--until", str(time.time()), "web",
        env=env).splitlines()]
    assert seen[:2] == ["create", "start"] and "health_status: healthy" in seen, seen
    names = teu.ok(*c, "ps", "--services", env=env).split()
    assert names == ["api", "web"]  # init ran once and exited 0 before web started
    assert teu.inspect("shop-init-1")["State"]["ExitCode"] == 0
    assert teu.inspect("shop-web-1")["State"]["Health"]["Status"] == "healthy"
    assert teu.ok("exec", "shop-web-1", "cat", "/state/ready") == "ready\n"
    table = teu.ok(*c, "ps", env=env)
    assert "shop-web-1" in table and "shop-api-1" in table
    # The service name resolves on the project network.
    assert wait_for(lambda: teu("exec", "shop-api-1", "timeout", "3", "wget", "-qO-",
                                "http://web/").stdout == "hello from httpd\n")
    # The published port answers on the test host's loopback.
    assert wait_for(lambda: teu.host.run("curl", "-sf", "-m", "3", "http://127.0.0.1:8080/",
                                         check=False).stdout == "hello from httpd\n")
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
    # Scale api 1 -> 3 -> 1 by container number; each replica answers to the service name.
    teu.ok(*c, "up", "-d", "--scale", "api=3", env={**env, "MODE": "prod"})
    assert teu.ok(*c, "ps", "-q", env=env).count("\n") == 4
    assert teu.inspect("shop-api-3")["Config"]["Labels"][
        "com.docker.compose.container-number"] == "3"
    assert teu.inspect("shop-web-1")["State"]["StartedAt"] == started
    out = teu(*c, "up", "-d", env={**env, "MODE": "prod"})
    assert "shop-api-3  Removed" in out.stderr and "shop-api-2  Removed" in out.stderr
    names = teu.ok("ps", "--format", "{{.Names}}").split()
    assert sorted(names) == ["shop-api-1", "shop-web-1"]
    # compose scale: the count changes, nothing else is recreated.
    teu.ok(*c, "scale", "api=2", env={**env, "MODE": "prod"})
    assert "shop-api-2" in teu.ok("ps", "--format", "{{.Names}}").split()
    assert teu.inspect("shop-web-1")["State"]["StartedAt"] == started
    assert teu.ok(*c, "volumes", "-q", env=env) == "shop_state\n"
    vols = json.loads(teu.ok("volume", "inspect", "shop_state"))
    assert vols[0]["Labels"]["com.docker.compose.project"] == "shop"
    # down -v: no container, network or volume of the project is left.
    teu.ok(*c, "down", "-v", "-t", "1", env=env)
    assert teu.ok(*c, "ps", "-a", "-q", env=env) == ""
    assert "shop_default" not in teu.ok("network", "ls", "--format", "{{.Name}}")
    assert "shop_state" not in teu.ok("volume", "ls", "--format", "{{.Name}}")


def test_unhealthy_dependency_fails_up(teu, tmp_path) -> None:  # noqa: ANN001
    proj = tmp_path / "sick"
    proj.mkdir()
    (proj / "compose.yaml").write_text(f"""
services:
  db:
    image: {IMAGE}
    command: sleep 300
    healthcheck: {{test: echo db is not ready; exit 1, interval: 100ms, retries: 1}}
  app:
    image: {IMAGE}
    command: sleep 300
    depends_on: {{db: {{condition: service_healthy}}}}
""")
    c = ["compose", "--project-directory", str(proj)]
    out = teu(*c, "up", "-d")
    assert out.returncode == 1
    assert out.stderr.strip().splitlines()[-1] == (
        "dependency failed to start: container sick-db-1 is unhealthy: "
        "db is not ready")
    assert "sick-app-1" not in teu.ok("ps", "-a", "--format", "{{.Names}}")
    # up --wait names the unhealthy container and its last check's output.
    out = teu(*c, "up", "--wait", "db")
    assert out.returncode == 1
    assert out.stderr.strip().splitlines()[-1] == (
        "container sick-db-1 is unhealthy: db is not ready")
    teu.ok(*c, "down", "-t", "1")
    assert teu.ok("ps", "-a", "-q") == ""


def test_network_ipam_and_fixed_address(teu, tmp_path) -> None:  # noqa: ANN001
    proj = tmp_path / "fixed"
    proj.mkdir()
    (proj / "compose.yaml").write_text(f"""
services:
  a:
    image: {IMAGE}
    command: sleep 300
    networks:
      back: {{ipv4_address: 10.123.0.50, aliases: [alpha]}}
  b:
    image: {IMAGE}
    command: sleep 300
    networks: [back]
networks:
  back:
    internal: true
    ipam:
      config: [{{subnet: 10.123.0.0/24, gateway: 10.123.0.1}}]
""")
    c = ["compose", "--project-directory", str(proj)]
    teu.ok(*c, "up", "-d")
    net = json.loads(teu.ok("network", "inspect", "fixed_back"))[0]
    assert net["IPAM"]["Config"][0]["Subnet"] == "10.123.0.0/24"
    assert net["Internal"] is True
    info = teu.inspect("fixed-a-1")["NetworkSettings"]["Networks"]["fixed_back"]
    assert info["IPAddress"] == "10.123.0.50"
    assert teu.ok("exec", "fixed-b-1", "ping", "-c", "1", "-W", "2", "alpha").count(
        "10.123.0.50") >= 1
    teu.ok(*c, "down", "-t", "0")
    assert "fixed_back" not in teu.ok("network", "ls", "--format", "{{.Name}}")
