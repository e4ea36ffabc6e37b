"""`teu system service`: negotiation, errors, and many requests at once, through the
real docker CLI 28.2 and raw HTTP on the unix socket."""

from __future__ import annotations

import json
import socket
from concurrent.futures import ThreadPoolExecutor

import pytest
from tests.integration.dockerapi_helpers import Service, services_over
from tests.integration.engine_helpers import private_teu

pytestmark = [pytest.mark.root, pytest.mark.peer]


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    yield from services_over(private_teu(tmp_path_factory.mktemp("teu")))


def test_ping_version_info_and_negotiation(api: Service) -> None:
    status, headers, body = api.request("GET", "/_ping")
    assert (status, body, headers["api-version"]) == (200, b"OK", "1.47")
    assert api.request("HEAD", "/v1.24/_ping")[:1] == (200,)
    for path in ("/version", "/v1.24/version", "/v1.47/version"):
        status, v = api.json("GET", path)
        assert status == 200 and v["ApiVersion"] == "1.47" and v["MinAPIVersion"] == "1.24"
    assert api.json("GET", "/v1.48/version") == (400, {
        "message": "client version 1.48 is too new. Maximum supported API version is 1.47"})
    status, err = api.json("GET", "/v1.12/info")
    assert status == 400 and "too old" in err["message"]
    assert api.json("GET", "/v1.41/nosuch") == (404, {"message": "page not found"})
    assert api.json("DELETE", "/_ping")[0] == 405

    # The CLI negotiates down from its 1.50 and reads /info.
    p = api.docker("version", "--format", "{{.Client.APIVersion}} {{.Server.APIVersion}}")
    assert p.returncode == 0, p.stderr
    assert p.stdout.decode().split() == ["1.47", "1.47"]
    p = api.docker("info", "--format", "{{json .}}")
    assert p.returncode == 0, p.stderr
    info = json.loads(p.stdout)
    assert info["OSType"] == "linux" and info["Containers"] == 0 and info["Images"] >= 1
    assert "teu-runtime" in info["Runtimes"]


def test_fifty_requests_at_once_and_hangups(api: Service) -> None:
    # Clients that hang up before, during and after their request.
    for raw in (b"", b"GET /info HTTP/1.1\r\nHost: x\r\n", b"GET /info HTTP/1.1\r\n\r\n",
                b"POST /containers/create HTTP/1.1\r\nHost: x\r\nContent-Length: 900\r\n\r\n{"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(api.sock)
        s.sendall(raw)
        s.close()
    paths = ["/_ping", "/info", "/v1.41/version", "/nosuch"] * 13
    with ThreadPoolExecutor(50) as pool:
        results = list(pool.map(lambda p: api.request("GET", p)[0], paths[:50]))
    assert results == [{"/_ping": 200, "/info": 200, "/v1.41/version": 200,
                        "/nosuch": 404}[p] for p in paths[:50]]
    assert api.request("GET", "/_ping")[0] == 200
    assert "Traceback" not in api.log_text()
