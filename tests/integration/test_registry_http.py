"""Bad input against a live `teu registry serve`: the spec's errors, nothing stored wrongly, still up."""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import socket
import subprocess
import threading
import time

import pytest
from registry_helpers import TEU, RegistryServer, verify_store


@pytest.fixture
def server(tmp_path):
    s = RegistryServer(tmp_path / "reg", tmp_path / "reg.log", ["--delete"]).start()
    yield s
    s.stop()


def request(server, method, path, body=b"", headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def test_concurrent_uploads_of_the_same_blob(server):
    blob = os.urandom(8 << 20)
    dg = digest(blob)
    results = []

    def push():
        results.append(request(server, "POST", f"/v2/same/blob/blobs/uploads/?digest={dg}", blob)[0])

    threads = [threading.Thread(target=push) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [201] * 6
    status, _, body = request(server, "GET", f"/v2/same/blob/blobs/{dg}")
    assert status == 200 and body == blob
    assert verify_store(server.root) == 1
    assert list((server.root / "uploads").iterdir()) == []


def test_disconnect_mid_monolithic_upload(server):
    blob = os.urandom(4 << 20)
    dg = digest(blob)
    with socket.create_connection(("127.0.0.1", server.port)) as s:
        s.sendall(f"POST /v2/cut/off/blobs/uploads/?digest={dg} HTTP/1.1\r\nHost: x\r\n"
                  f"Content-Length: {len(blob)}\r\n\r\n".encode() + blob[:1 << 20])
    time.sleep(0.5)
    assert request(server, "GET", f"/v2/cut/off/blobs/{dg}")[0] == 404
    assert verify_store(server.root) == 0
    assert request(server, "GET", "/v2/")[0] == 200


def test_wrong_digest_and_bad_names(server):
    status, _, body = request(server, "POST", f"/v2/a/b/blobs/uploads/?digest={digest(b'x')}", b"y")
    assert status == 400 and json.loads(body)["errors"][0]["code"] == "DIGEST_INVALID"
    for path in ("/v2/A/blobs/uploads/", "/v2/a/../../etc/blobs/uploads/",
                 "/v2/a/%2e%2e/b/blobs/uploads/", "/v2/a/_uploads/blobs/uploads/"):
        status, _, body = request(server, "POST", path)
        assert status in (400, 404), path
        if status == 400:
            assert json.loads(body)["errors"][0]["code"] == "NAME_INVALID"
    status, _, body = request(server, "GET", "/v2/a/b/blobs/sha256:abc")
    assert json.loads(body)["errors"][0]["code"] == "DIGEST_INVALID"
    status, _, body = request(server, "GET", "/v2/a/b/blobs/md5:" + "a" * 32)
    assert status == 400
    assert verify_store(server.root) == 0
    assert not any((server.root / "repositories").rglob("etc"))


def test_bad_manifests(server):
    ct = {"Content-Type": "application/vnd.oci.image.manifest.v1+json"}
    for body in (b"{", b"null", b'{"schemaVersion": 1}', b'{"schemaVersion":2,"config":{}}'):
        status, _, resp = request(server, "PUT", "/v2/m/x/manifests/v1", body, ct)
        assert status == 400 and json.loads(resp)["errors"][0]["code"] == "MANIFEST_INVALID"
    status, _, _ = request(server, "PUT", "/v2/m/x/manifests/v1", b" " * (5 << 20), ct)
    assert status == 413
    status, _, resp = request(server, "PUT", "/v2/m/x/manifests/v1", b"{}",
                              {"Content-Type": "application/x-unknown"})
    assert status == 400
    assert request(server, "GET", "/v2/m/x/manifests/v1")[0] == 404
    assert request(server, "GET", "/healthz")[0] == 200


def test_metrics_health_and_access_log(server):
    request(server, "GET", "/v2/")
    status, headers, body = request(server, "GET", "/metrics")
    assert status == 200 and headers["content-type"].startswith("text/plain")
    assert b'teu_registry_requests_total{method="GET",route="base",code="200"}' in body
    assert request(server, "GET", "/healthz")[2] == b'{"status":"ok"}\n'
    entries = [json.loads(line) for line in server.log.read_text().splitlines()
               if line.startswith("{")]
    assert any(e["route"] == "base" and e["status"] == 200 for e in entries)
    assert all({"time", "method", "path", "status", "ms"} <= set(e) for e in entries)


def test_uploads_expire(tmp_path):
    (tmp_path / "c.toml").write_text("[storage]\nupload_expiry = 1\n")
    s = RegistryServer(tmp_path / "reg", tmp_path / "log", ["--config", str(tmp_path / "c.toml")]).start()
    try:
        status, headers, _ = request(s, "POST", "/v2/e/x/blobs/uploads/")
        assert status == 202
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if request(s, "GET", headers["location"])[0] == 404:
                break
            time.sleep(0.25)
        assert request(s, "GET", headers["location"])[0] == 404
    finally:
        s.stop()


def test_busy_port_is_one_clear_line(server, tmp_path):
    p = subprocess.run(
        [TEU, "registry", "serve", "--addr", server.host, "--root", str(tmp_path / "other")],
        capture_output=True, text=True, timeout=30)
    assert p.returncode == 1
    assert p.stderr.strip().splitlines() == [
        f"Error: cannot listen on {server.host}: Address already in use"]
