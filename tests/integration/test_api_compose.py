"""teu.api's Compose projects (client.compose): config, build, up --wait, containers,
logs, list, down -v, from a Python script run inside a test host (the project network
is a real bridge, so never in the machine's own network namespace)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from tests.integration.engine_helpers import IMAGE
from tests.integration.net_helpers import host_teu

pytestmark = pytest.mark.root

SCRIPT = """
import json, sys
import teu
from teu.compose.errors import ComposeError

client = teu.from_env()
p = client.compose.project(project_directory=sys.argv[1], environment={"GREETING": "hi"})
out = {"name": p.name, "services": sorted(p.config()["services"])}
out["built"] = sorted(p.build())
ids = p.up(wait=True)
out["ids"] = {k: len(v) for k, v in ids.items()}
out["containers"] = [c.name for c in p.containers()]
out["status"] = [c.status for c in p.containers()]
c = client.containers.get("apiproj-front-1")
out["answer"] = c.exec_run("wget -qO- http://back:8080/greeting").output.decode()
out["logs"] = p.logs(["back"]).decode()
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


def test_compose_projects_from_python(teu, tmp_path) -> None:  # noqa: ANN001
    proj = tmp_path / "apiproj"
    (proj / "back").mkdir(parents=True)
    (proj / "back" / "Dockerfile").write_text(
        f"FROM {IMAGE}\nARG GREETING\nRUN mkdir /srv && echo \"$GREETING from back\" > "
        "/srv/greeting\nCMD [\"sh\", \"-c\", \"echo back starts; exec httpd -f -p 8080 -h "
        "/srv\"]\n")
    (proj / "compose.yaml").write_text(f"""
services:
  back:
    build: {{context: ./back, args: {{GREETING: "${{GREETING}}"}}}}
    healthcheck: {{test: wget -qO- http://127.0.0.1:8080/greeting, interval: 1s}}
  front:
    image: {IMAGE}
    command: sleep 300
    depends_on: {{back: {{condition: service_healthy}}}}
volumes:
  data: {{}}
""")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "compose.yaml").write_text("services:\n  a:\n    image: ${NOPE:?needed}\n")
    script = tmp_path / "script.py"
    script.write_text(SCRIPT)
    p = subprocess.run([*teu.host.prefix(), sys.executable, str(script), str(proj),
                        str(broken)], env=teu.env, capture_output=True, text=True,
                       timeout=240)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout.splitlines()[-1])
    assert out["name"] == "apiproj" and out["services"] == ["back", "front"]
    assert out["built"] == ["back"]
    assert out["ids"] == {"back": 1, "front": 1}
    assert out["containers"] == ["apiproj-back-1", "apiproj-front-1"]
    assert out["status"] == ["running", "running"]
    assert out["answer"] == "hi from back\n"
    assert out["logs"] == "back-1  | back starts\n"
    assert {"Name": "apiproj", "Status": "running(2)"} in out["listed"]
    assert out["error"][0] == 1
    assert out["error"][1].endswith("error while interpolating services.a.image: required "
                                    "variable NOPE is missing a value: needed")
    assert out["after"] == []
    assert "apiproj_data" not in teu.ok("volume", "ls", "-q")
