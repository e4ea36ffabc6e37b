"""Networks through the Engine API: the same docker CLI 28.2 script against `teu system
service` and a private dockerd 20.10, each run inside a test host of its own (they make
bridges): create, ls with filters, inspect, connect, disconnect, rm, prune, errors."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest
from tests.integration.dockerapi_helpers import DOCKER_CLI, Service, side_by_side
from tests.integration.dockerapi_hosts import hosted_service, shared_bridged_dockerd
from tests.integration.engine_helpers import IMAGE

pytestmark = [pytest.mark.root, pytest.mark.peer]


@pytest.fixture(scope="module")
def dockerd(request: pytest.FixtureRequest):  # noqa: ANN201
    return shared_bridged_dockerd(request)[1]


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    for _host, s in hosted_service(tmp_path_factory.mktemp("teu")):
        yield s


def script(env: dict) -> dict[str, Any]:
    def docker(*args: str) -> tuple[int, str]:
        p = subprocess.run([DOCKER_CLI, *args], env=env, capture_output=True, timeout=60,
                           stdin=subprocess.DEVNULL)
        return p.returncode, p.stdout.decode()

    import time

    t0 = time.time()
    seen: dict[str, Any] = {}
    seen["create"] = docker("network", "create", "--subnet", "10.89.5.0/24", "--label",
                            "k=v", "n1")[0]
    seen["create-again"] = docker("network", "create", "n1")[0]
    seen["ls"] = docker("network", "ls", "--filter", "label=k=v", "--format",
                        "{{.Name}} {{.Driver}} {{.Scope}}")
    seen["ls-builtin"] = sorted(docker("network", "ls", "--filter", "type=builtin",
                                       "--format", "{{.Name}}")[1].split())
    seen["inspect"] = docker("network", "inspect", "-f", "{{.Name}} {{.Driver}} "
                             "{{range .IPAM.Config}}{{.Subnet}}{{end}} {{.Labels}}", "n1")
    seen["inspect-missing"] = docker("network", "inspect", "nosuch")[0]
    seen["run"] = docker("run", "-d", "--network", "n1", "--name", "w1", IMAGE,
                         "sleep", "60")[0]
    ip = docker("inspect", "-f", "{{.NetworkSettings.Networks.n1.IPAddress}}", "w1")[1]
    seen["ip"] = ip.startswith("10.89.5.")
    seen["users"] = docker("network", "inspect", "-f",
                           "{{range .Containers}}{{.Name}}{{end}}", "n1")
    docker("network", "create", "--subnet", "10.89.6.0/24", "n2")
    seen["connect"] = docker("network", "connect", "n2", "w1")[0]
    seen["connect-again"] = docker("network", "connect", "n2", "w1")[0]
    seen["addresses"] = docker("exec", "w1", "sh", "-c",
                               "ip -4 -o addr | grep -c 10.89.")[1]
    seen["ping"] = docker("exec", "w1", "ping", "-c", "1", "-W", "2", "10.89.6.1")[0]
    seen["disconnect"] = docker("network", "disconnect", "n2", "w1")[0]
    seen["addresses-after"] = docker("exec", "w1", "sh", "-c",
                                     "ip -4 -o addr | grep -c 10.89.")[1]
    seen["rm-in-use"] = docker("network", "rm", "n1")[0]
    docker("rm", "-f", "w1")
    seen["rm"] = docker("network", "rm", "n1", "n2")
    seen["rm-missing"] = docker("network", "rm", "nosuch")[0]
    seen["rm-bridge"] = docker("network", "rm", "bridge")[0]
    docker("network", "create", "n3")
    # until: only networks made before it go (n3 is newer than an hour ago: it stays)
    seen["prune-until"] = docker("network", "prune", "-f", "--filter", "until=1h")
    seen["prune"] = docker("network", "prune", "-f")
    seen["ls-after"] = sorted(docker("network", "ls", "--format", "{{.Name}}")[1].split())
    seen["events"] = docker("events", "--since", f"{t0:.3f}", "--until", f"{time.time():.3f}",
                            "--filter", "type=network", "--format",
                            "{{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.type}}"
                            " {{if .Actor.Attributes.container}}c{{end}}")[1].splitlines()
    # dockerd 20.10 reports a running container's `network disconnect` twice (the API's
    # and the endpoint's leave): one of each here
    seen["events"] = [e for i, e in enumerate(seen["events"])
                      if i == 0 or e != seen["events"][i - 1]]
    return seen


def test_networks_cli_same_as_dockerd(api: Service, dockerd: Any) -> None:
    theirs, ours = side_by_side(lambda: script(dockerd.env), lambda: script(api.env))
    assert ours == theirs
    assert ours["ip"] and ours["addresses"] == "2\n" and ours["ping"] == 0
    assert ours["ls-after"] == ["bridge", "host", "none"]
    assert ours["events"][:4] == ["create n1 bridge ", "connect n1 bridge c",
                                  "create n2 bridge ", "connect n2 bridge c"]
    assert ours["events"][-1] == "prune <no value> <no value> "
    assert "Traceback" not in api.log_text()
