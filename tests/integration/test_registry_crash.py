"""kill -9 of the registry during a push: restart, the push completes, nothing corrupt is served."""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import subprocess
import time

import pytest
from registry_helpers import (
    RegistryServer,
    skopeo,
    tar_of_files,
    tools_present,
    verify_store,
    write_oci_layout,
)


@pytest.fixture
def server(tmp_path):
    s = RegistryServer(tmp_path / "reg", tmp_path / "reg.log").start()
    yield s
    s.stop()


def _wait_for_upload_bytes(root, at_least: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for d in (root / "uploads").iterdir():
            data = d / "data"
            if data.exists() and data.stat().st_size >= at_least:
                return
        time.sleep(0.01)
    raise AssertionError("upload never reached the server's disk")


def test_kill9_mid_patch_then_resume(server):
    blob = os.urandom(48 << 20)
    digest = "sha256:" + hashlib.sha256(blob).hexdigest()
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    conn.request("POST", "/v2/crash/test/blobs/uploads/")
    r = conn.getresponse()
    r.read()
    location = r.getheader("Location")
    assert r.status == 202
    # Stream a PATCH and kill the server while the body is still on its way.
    conn.putrequest("PATCH", location)
    conn.putheader("Content-Type", "application/octet-stream")
    conn.putheader("Content-Length", str(len(blob)))
    conn.endheaders()
    sent = 0
    while sent < 16 << 20:
        conn.send(blob[sent:sent + (1 << 20)])
        sent += 1 << 20
    _wait_for_upload_bytes(server.root, 1 << 20)
    server.kill9()
    conn.close()
    assert verify_store(server.root) == 0  # nothing under a blob name
    server.start()
    assert server.get(f"/v2/crash/test/blobs/{digest}")[0] == 404
    status, headers, _ = server.get(location)
    assert status == 204
    have = int(headers["range"].split("-")[1]) + 1
    assert 0 < have <= sent
    # Resume from where the server says it is.
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    rest = blob[have:]
    conn.request("PATCH", location, body=rest, headers={
        "Content-Range": f"{have}-{len(blob) - 1}", "Content-Length": str(len(rest)),
        "Content-Type": "application/octet-stream"})
    r = conn.getresponse()
    r.read()
    assert r.status == 202, r.status
    conn.request("PUT", f"{location}?digest={digest}", body=b"", headers={"Content-Length": "0"})
    r = conn.getresponse()
    r.read()
    assert r.status == 201
    conn.close()
    status, headers, body = server.get(f"/v2/crash/test/blobs/{digest}")
    assert status == 200 and hashlib.sha256(body).hexdigest() == digest.split(":")[1]
    assert verify_store(server.root) == 1


@pytest.mark.peer
@pytest.mark.skipif(not tools_present("skopeo"), reason="skopeo not installed")
def test_kill9_during_skopeo_push(server, tmp_path):
    layout = tmp_path / "layout"
    big = tar_of_files({"big.bin": os.urandom(40 << 20), "small": b"x"})
    digest = write_oci_layout(layout, [tar_of_files({"etc/a": b"a"}), big], "v1")
    dest = f"docker://{server.host}/crash/img:v1"
    p = subprocess.Popen(["skopeo", "--insecure-policy", "copy", "--dest-tls-verify=false",
                          f"oci:{layout}:v1", dest],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _wait_for_upload_bytes(server.root, 4 << 20)
        server.kill9()
        _, err = p.communicate(timeout=120)
        assert p.returncode != 0, "the push should have failed with its server gone"
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    verify_store(server.root)
    server.start()
    assert server.get("/v2/crash/img/manifests/v1")[0] == 404
    skopeo("copy", "--dest-tls-verify=false", f"oci:{layout}:v1", dest)
    status, headers, _ = server.get("/v2/crash/img/manifests/v1")
    assert status == 200 and headers["docker-content-digest"] == digest
    # Pulling verifies every digest; then check the store itself blob by blob.
    skopeo("copy", "--src-tls-verify=false", dest, f"oci:{tmp_path / 'back'}:v1")
    back = json.loads((tmp_path / "back" / "index.json").read_text())
    assert back["manifests"][0]["digest"] == digest
    assert verify_store(server.root) == 4
