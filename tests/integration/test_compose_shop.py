"""The README's quick start with teu compose (examples/shop/demo.sh), inside a test host:
three services built from their own multi-stage Dockerfiles on the local busybox base
(pinned by digest), brought up health-gated with `up --build --wait`, answering on a
published port; the api's secret only at run time, limits in the cgroups, the named
volume surviving `down`/`up`, `compose build` from the cache; the same project driven
from Python (teu.api's client.compose); and a failing build leaving nothing of its
project behind."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from tests.integration.engine_helpers import Teu, busybox_tar, teu_binary
from tests.integration.net_helpers import host_teu

pytestmark = pytest.mark.root

DEMO = "examples/shop/demo.sh"
SHOP = "examples/shop"

# teu.api's compose projects on the same shop, from a script run in the test host (the
# project network is a real bridge, so never in the machine's own network namespace).
API_SCRIPT = """
import json, sys, urllib.request
import teu
from teu.compose.errors import ComposeError

client = teu.from_env()
p = client.compose.project(project_directory=sys.argv[1], environment=json.loads(sys.argv[3]))
out = {"name": p.name, "services": sorted(p.config()["services"])}
out["built"] = sorted(p.build(["db"]))
ids = p.up(wait=True)
out["ids"] = {k: len(v) for k, v in ids.items()}
out["containers"] = [c.name for c in p.containers()]
out["status"] = [c.status for c in p.containers()]
web = client.containers.get("shop-web-1")
out["answer"] = web.exec_run("wget -qO- http://api:8080/health").output.decode()
port = json.loads(sys.argv[3])["SHOP_PORT"]
out["page"] = urllib.request.urlopen(f"http://127.0.0.1:{port}/cgi-bin/index").read().decode()
out["logs"] = p.logs(["db"]).decode()
out["listed"] = client.compose.list()
try:
    client.compose.project(project_directory=sys.argv[2]).up()
except ComposeError as e:
    out["error"] = [e.exit_code, str(e)]
p.down(volumes=True)
out["after"] = [c.name for c in p.containers()]
print(json.dumps(out))
"""


@pytest.fixture
def teu(tmp_path):  # noqa: ANN001, ANN201
    yield from host_teu(tmp_path)


def _visits(teu, port: int) -> int | None:  # noqa: ANN001
    p = teu.host.run("curl", "-sf", "-m", "5", f"http://127.0.0.1:{port}/cgi-bin/index",
                     check=False)
    if p.returncode != 0 or "the api says: " not in p.stdout:
        return None
    return json.loads(p.stdout.split("the api says: ", 1)[1])["visits"]


def test_quick_start_shop(teu, tmp_path) -> None:  # noqa: ANN001
    tarball = tmp_path / "demo-base.tar"
    tarball.write_bytes(busybox_tar(tmp_path))
    teu.ok("import", "-c", 'CMD ["sh"]', str(tarball), "teu-demo/busybox:latest")
    env = {**teu.env, "TEU": teu_binary() or "teu", "PORT": "18081"}
    p = subprocess.run([*teu.host.prefix(), "sh", DEMO], env=env, capture_output=True,
                       text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    assert "hello from the shop" in p.stdout and '"visits": 1,' in p.stdout
    assert '"token": "set"' in p.stdout
    assert "0.0.0.0:18081->8080/tcp" in p.stdout
    for svc in ("db", "api", "web"):
        assert f" Container shop-{svc}-1  Healthy" in p.stderr
        assert f" Service {svc}  Built" in p.stderr
    assert _visits(teu, 18081) == 2  # through the published port, web -> api -> db
    # The secret is there at run time, readable by the non-root user, and in no image.
    assert teu.ok("exec", "shop-api-1", "id", "-u") == "1000\n"
    token = teu.ok("exec", "shop-api-1", "cat", "/run/secrets/api_token")
    assert len(token) == 32 and int(token, 16) >= 0
    assert teu("run", "--rm", "shop-api", "cat", "/run/secrets/api_token").returncode != 0
    # Limits on every service, in the kernel's cgroups; a read-only root.
    for svc in ("db", "api", "web"):
        info = teu.inspect(f"shop-{svc}-1")
        cg = f"/sys/fs/cgroup/memory/teu/{info['Id']}/memory.limit_in_bytes"
        with open(cg) as f:
            assert int(f.read()) == 32 * 1024 * 1024
        with open(f"/sys/fs/cgroup/pids/teu/{info['Id']}/pids.max") as f:
            assert f.read().strip() == "64"
        assert info["HostConfig"]["NanoCpus"] == 500_000_000
        assert info["HostConfig"]["ReadonlyRootfs"] is True
        labels = teu.inspect(f"shop-{svc}")["Config"]["Labels"]  # the built image's
        assert labels["com.docker.compose.project"] == "shop"
    base = teu.inspect("teu-demo/busybox")["Id"]
    assert teu.inspect("shop-web")["RootFS"]["Layers"][0] == \
        teu.inspect(base)["RootFS"]["Layers"][0]
    # `compose build` again: every step from the cache; `up` leaves everything running.
    c = ["compose", "--project-directory", SHOP]
    env2 = {**teu.env, "SHOP_PORT": "18081", "SHOP_API_TOKEN": "t0ken",
            "BASE_IMAGE": p.stderr.split("FROM ", 1)[1].split()[0]}
    out = teu(*c, "build", env=env2, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "CACHED" in out.stderr and " Service web  Built" in out.stderr
    started = teu.inspect("shop-db-1")["State"]["StartedAt"]
    out = teu(*c, "up", "-d", "--wait", env=env2, timeout=120)
    assert out.returncode == 0, out.stderr
    assert " Container shop-db-1  Running" in out.stderr
    assert teu.inspect("shop-db-1")["State"]["StartedAt"] == started
    # down keeps the named volume: the count goes on after the next up (teu.api's).
    teu.ok(*c, "down", "-t", "1", env=env2)
    assert teu.ok("ps", "-a", "-q") == ""
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "compose.yaml").write_text("services:\n  a:\n    image: ${NOPE:?needed}\n")
    script = tmp_path / "script.py"
    script.write_text(API_SCRIPT)
    api = subprocess.run([*teu.host.prefix(), sys.executable, str(script), SHOP, str(broken),
                          json.dumps({k: env2[k] for k in ("SHOP_PORT", "SHOP_API_TOKEN",
                                                           "BASE_IMAGE")})], env=teu.env, capture_output=True, text=True,
                         timeout=240)
    assert api.returncode == 0, api.stderr
    out = json.loads(api.stdout.splitlines()[-1])
    assert out["name"] == "shop" and out["services"] == ["api", "db", "web"]
    assert out["built"] == ["db"]  # from the cache
    assert out["ids"] == {"api": 1, "db": 1, "web": 1}
    assert out["containers"] == ["shop-db-1", "shop-api-1", "shop-web-1"]
    assert out["status"] == ["running"] * 3
    assert out["answer"] == "ok\n"  # the api by its service name, from web
    assert '"visits": 3,' in out["page"]
    assert out["logs"] == "db-1  | db: counting visits in /data\n", out["logs"]
    assert {"Name": "shop", "Status": "running(3)"} in out["listed"]
    assert out["error"][0] == 1
    assert out["error"][1].endswith("error while interpolating services.a.image: required "
                                    "variable NOPE is missing a value: needed")
    assert out["after"] == []
    assert teu.rows() == []
    assert "shop_visits" not in teu.ok("volume", "ls", "-q")
    assert "shop_default" not in teu.ok("network", "ls", "--format", "{{.Name}}")
    # The quick start's `down` on a project already down: nothing to do, no error.
    down = subprocess.run([*teu.host.prefix(), "sh", DEMO, "down"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert down.returncode == 0, down.stderr


def test_lint_finds_nothing_in_the_shop(tmp_path) -> None:  # noqa: ANN001
    teu = Teu(tmp_path)
    for f in ("compose.yaml", "db/Dockerfile", "api/Dockerfile", "web/Dockerfile"):
        out = teu("lint", f"{SHOP}/{f}")
        assert (out.returncode, out.stdout, out.stderr) == (0, "", ""), f


def test_failing_build_leaves_nothing(teu, tmp_path) -> None:  # noqa: ANN001
    from tests.integration.engine_helpers import IMAGE

    proj = tmp_path / "broken"
    (proj / "app").mkdir(parents=True)
    (proj / "app" / "Dockerfile").write_text(f"FROM {IMAGE}\nRUN echo no luck; exit 3\n")
    (proj / "compose.yaml").write_text(f"""
services:
  db:
    image: {IMAGE}
    command: sleep 300
  app:
    build: ./app
    depends_on: [db]
volumes:
  data: {{}}
""")
    c = ["compose", "--project-directory", str(proj)]
    out = teu(*c, "up", "-d")
    assert out.returncode == 1
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith("failed to solve: service 'app': ") and "exit code: 3" in last
    assert teu.rows() == []
    assert "broken_default" not in teu.ok("network", "ls", "--format", "{{.Name}}")
    assert "broken_data" not in teu.ok("volume", "ls", "-q")
    assert "broken-app" not in teu.ok("images", "--format", "{{.Repository}}")
    out = teu(*c, "up", "-d", "--no-build")
    assert out.returncode == 1 and "--no-build" in out.stderr
    # A missing external network: refused before any network or volume is made.
    (proj / "compose.yaml").write_text(f"""
services:
  db: {{image: {IMAGE}, command: sleep 300, networks: [outside, inside]}}
networks:
  inside: {{}}
  outside: {{external: true, name: nowhere}}
volumes:
  data: {{}}
""")
    out = teu(*c, "up", "-d")
    assert out.returncode == 1
    assert out.stderr.strip().splitlines()[-1] == (
        "network nowhere declared as external, but could not be found")
    assert "broken_inside" not in teu.ok("network", "ls", "--format", "{{.Name}}")
    assert "broken_data" not in teu.ok("volume", "ls", "-q")
