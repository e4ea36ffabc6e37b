"""The round trip: containers, a pod and a Compose project run by one teu; `kube
generate` of each; everything removed; `kube play` of the YAML by a teu with a fresh
root (same test host) gives the same services: the same ports answering the same
content, the same environment, the same mounts."""

from __future__ import annotations

import pytest
from tests.integration.engine_helpers import IMAGE, mounts_under
from tests.integration.net_helpers import HostTeu, host_teu, wait_for, www

pytestmark = pytest.mark.root
TRAP = "trap 'exit 0' TERM;"  # httpd as PID 1 ignores SIGTERM: each kube down would wait 5 s

COMPOSE = f"""
name: rt
services:
  front:
    image: {IMAGE}
    command: [sh, -c, "trap 'exit 0' TERM; httpd -f -p 80 -h /www & wait"]
    ports: ["127.0.0.1:8085:80"]
    environment: {{TIER: front}}
    volumes: ["${{SITE}}:/www:ro", "cache:/cache"]
    deploy:
      resources:
        limits: {{memory: 48M}}
volumes:
  cache: {{}}
"""


@pytest.fixture
def teu(tmp_path):  # noqa: ANN001, ANN201
    yield from host_teu(tmp_path)


def curl(t, port: int) -> str:  # noqa: ANN001
    return t.host.run("curl", "-sf", "-m", "3", f"http://127.0.0.1:{port}/",
                      check=False).stdout


def service_view(t, ctr: str) -> tuple:  # noqa: ANN001
    """What must survive the trip: user env (not HOSTNAME/PATH), mounts, memory limit."""
    info = t.inspect(ctr)
    env = sorted(e for e in info["Config"]["Env"] if not e.startswith(("HOSTNAME=", "PATH=",
                                                                       "HOME=")))
    mounts = sorted((m["Type"], m["Destination"], m["RW"]) for m in info["Mounts"])
    return env, mounts, info["HostConfig"]["Memory"]


def test_generate_then_play_on_a_fresh_root(teu, tmp_path) -> None:  # noqa: ANN001
    site = www(tmp_path, "round trip\n")
    teu.ok("run", "-d", "--name", "web", "-p", "127.0.0.1:8080:80", "-e", "COLOR=blue",
           "-v", f"{site}:/www:ro", "-v", "data:/data", "--memory", "64m",
           IMAGE, "sh", "-c", f"{TRAP} httpd -f -p 80 -h /www & wait")
    teu.ok("pod", "create", "--name", "shop", "-p", "8090:81")
    teu.ok("run", "-d", "--pod", "shop", "--name", "till", "-e", "SHOP=open",
           "-v", f"{site}:/srv:ro", IMAGE, "sh", "-c", f"{TRAP} httpd -f -p 81 -h /srv & wait")
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "compose.yaml").write_text(COMPOSE)
    env = {**teu.env, "SITE": str(site)}
    teu.ok("compose", "--project-directory", str(proj), "up", "-d", env=env, cwd=proj)
    for port in (8080, 8090, 8085):
        assert wait_for(lambda p=port: curl(teu, p) == "round trip\n"), port
    before = {"web": service_view(teu, "web"), "till": service_view(teu, "till"),
              "front": service_view(teu, "rt-front-1")}
    files = {}
    for name, args in (("web", ["web"]), ("shop", ["shop"]),
                       ("rt", ["--compose", str(proj / "compose.yaml")])):
        out = teu("kube", "generate", *args, env=env, cwd=proj)
        assert out.returncode == 0, out.stderr
        files[name] = tmp_path / f"{name}.yaml"
        files[name].write_text(out.stdout)
    teu.ok("rm", "-f", "web")
    teu.ok("pod", "rm", "-f", "shop")
    teu.ok("compose", "--project-directory", str(proj), "down", "-v", "-t", "1", env=env)
    assert teu.rows() == []

    fresh = HostTeu(tmp_path / "fresh", teu.host)
    fresh.ok("import", str(tmp_path / "busybox.tar"), IMAGE)
    try:
        for f in files.values():
            out = fresh("kube", "play", str(f), timeout=120)
            assert out.returncode == 0, out.stderr
        for port in (8080, 8090, 8085):
            assert wait_for(lambda p=port: curl(fresh, p) == "round trip\n"), port
        after = {"web": service_view(fresh, "web-pod-web"),
                 "till": service_view(fresh, "shop-till"),
                 "front": service_view(fresh, "front-front")}
        assert after == before
        for f in files.values():
            fresh.ok("kube", "down", str(f), timeout=120)
        assert fresh.rows() == []
        assert fresh.ok("volume", "ls", "-q") == ""
    finally:
        fresh.cleanup()
        assert not fresh.rows()
        assert not mounts_under(tmp_path / "fresh")
