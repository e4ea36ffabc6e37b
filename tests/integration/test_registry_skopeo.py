"""skopeo pushes to and pulls from `teu registry serve`: plain, TLS, basic and token auth."""

from __future__ import annotations

import json
import subprocess

import pytest
from registry_helpers import (
    RegistryServer,
    busybox_layer,
    run,
    skopeo,
    tar_of_files,
    tools_present,
    verify_store,
    write_oci_layout,
)

from teu.registry.server.htpasswd import bcrypt_entry

pytestmark = [pytest.mark.peer,
              pytest.mark.skipif(not tools_present("skopeo"), reason="skopeo not installed")]


@pytest.fixture
def layout(tmp_path):
    path = tmp_path / "layout"
    layers = [busybox_layer(tmp_path), tar_of_files({"etc/hello": b"hello from teu\n"})]
    digest = write_oci_layout(path, layers, "v1")
    return path, digest


@pytest.fixture
def server(tmp_path):
    s = RegistryServer(tmp_path / "reg", tmp_path / "reg.log", ["--delete"]).start()
    yield s
    s.stop()


def test_push_pull_round_trip(server, layout, tmp_path):
    path, digest = layout
    skopeo("copy", f"oci:{path}:v1", f"docker://{server.host}/lib/busybox:v1",
           "--dest-tls-verify=false")
    info = json.loads(skopeo("inspect", "--tls-verify=false", f"docker://{server.host}/lib/busybox:v1").stdout)
    assert info["Digest"] == digest and len(info["Layers"]) == 2
    out = tmp_path / "back"
    skopeo("copy", "--src-tls-verify=false", f"docker://{server.host}/lib/busybox:v1",
           f"oci:{out}:v1")
    index = json.loads((out / "index.json").read_text())
    assert index["manifests"][0]["digest"] == digest
    tags = json.loads(skopeo("list-tags", "--tls-verify=false", f"docker://{server.host}/lib/busybox").stdout)
    assert tags["Tags"] == ["v1"]
    # A second repository gets the layers by cross-repository mount.
    skopeo("copy", "--src-tls-verify=false", "--dest-tls-verify=false",
           f"docker://{server.host}/lib/busybox:v1", f"docker://{server.host}/other/copy:v2")
    # Mounted, not uploaded again: a POST to uploads answered 201 at once.
    assert '"route": "uploads", "status": 201' in server.log.read_text()
    status, _, body = server.get("/v2/_catalog")
    assert json.loads(body)["repositories"] == ["lib/busybox", "other/copy"]
    skopeo("delete", "--tls-verify=false", f"docker://{server.host}/other/copy:v2")
    status, _, _ = server.get(f"/v2/other/copy/manifests/{digest}")
    assert status == 404
    assert verify_store(server.root) >= 4


def test_docker_schema2_push(server, layout, tmp_path):
    path, _ = layout
    skopeo("copy", "--format", "v2s2", f"oci:{path}:v1", f"docker://{server.host}/d/img:s2",
           "--dest-tls-verify=false")
    status, headers, body = server.get("/v2/d/img/manifests/s2", {
        "Accept": "application/vnd.docker.distribution.manifest.v2+json"})
    assert status == 200
    assert headers["content-type"] == "application/vnd.docker.distribution.manifest.v2+json"
    assert json.loads(body)["config"]["mediaType"] == "application/vnd.docker.container.image.v1+json"


def test_htpasswd_auth(tmp_path, layout):
    path, _ = layout
    (tmp_path / "htpasswd").write_text(bcrypt_entry("alice", "wonderland", rounds=5) + "\n")
    s = RegistryServer(tmp_path / "reg", tmp_path / "log",
                       ["--htpasswd", str(tmp_path / "htpasswd")]).start()
    try:
        with pytest.raises(AssertionError, match="(?i)unauthorized|authentication"):
            skopeo("copy", f"oci:{path}:v1", f"docker://{s.host}/a/b:v1", "--dest-tls-verify=false")
        skopeo("copy", "--dest-creds", "alice:wonderland", f"oci:{path}:v1",
               f"docker://{s.host}/a/b:v1", "--dest-tls-verify=false")
        skopeo("inspect", "--creds", "alice:wonderland", "--tls-verify=false",
               f"docker://{s.host}/a/b:v1")
    finally:
        s.stop()


def test_token_auth_per_repo(tmp_path, layout):
    path, _ = layout
    (tmp_path / "htpasswd").write_text(bcrypt_entry("alice", "pw", rounds=5) + "\n"
                                       + bcrypt_entry("bob", "pw", rounds=5) + "\n")
    (tmp_path / "config.toml").write_text("""
[auth]
htpasswd = "htpasswd"
[auth.token]
service = "teu-test"
[[auth.token.access]]
account = "alice"
repository = "team/*"
actions = ["pull", "push"]
[[auth.token.access]]
account = "*"
repository = "team/*"
actions = ["pull"]
""")
    s = RegistryServer(tmp_path / "reg", tmp_path / "log",
                       ["--config", str(tmp_path / "config.toml")]).start()
    try:
        skopeo("copy", "--dest-creds", "alice:pw", f"oci:{path}:v1",
               f"docker://{s.host}/team/app:v1", "--dest-tls-verify=false")
        skopeo("inspect", "--creds", "bob:pw", "--tls-verify=false", f"docker://{s.host}/team/app:v1")
        with pytest.raises(AssertionError):
            skopeo("copy", "--dest-creds", "bob:pw", f"oci:{path}:v1",
                   f"docker://{s.host}/team/app:v2", "--dest-tls-verify=false")
        with pytest.raises(AssertionError):
            skopeo("inspect", "--tls-verify=false", f"docker://{s.host}/team/app:v1")
    finally:
        s.stop()


@pytest.mark.skipif(not tools_present("openssl", "curl"), reason="needs openssl and curl")
def test_tls(tmp_path, layout):
    path, _ = layout
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
         "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key),
         "-out", str(cert)])
    s = RegistryServer(tmp_path / "reg", tmp_path / "log",
                       ["--tls-cert", str(cert), "--tls-key", str(key)], scheme="https").start()
    try:
        certs = tmp_path / "certs.d"
        certs.mkdir()
        (certs / "ca.crt").write_bytes(cert.read_bytes())
        skopeo("copy", "--dest-cert-dir", str(certs), f"oci:{path}:v1",
               f"docker://{s.host}/secure/img:v1")
        skopeo("inspect", "--cert-dir", str(certs), f"docker://{s.host}/secure/img:v1")
        p = subprocess.run(["curl", "-sf", "--cacert", str(cert), f"https://{s.host}/v2/"],
                           capture_output=True, text=True)
        assert p.returncode == 0 and p.stdout == "{}"
    finally:
        s.stop()


def test_read_only(tmp_path, layout):
    path, _ = layout
    s = RegistryServer(tmp_path / "reg", tmp_path / "log").start()
    skopeo("copy", f"oci:{path}:v1", f"docker://{s.host}/ro/img:v1", "--dest-tls-verify=false")
    s.stop()
    ro = RegistryServer(tmp_path / "reg", tmp_path / "log2", ["--read-only"]).start()
    try:
        skopeo("inspect", "--tls-verify=false", f"docker://{ro.host}/ro/img:v1")
        with pytest.raises(AssertionError):
            skopeo("copy", f"oci:{path}:v1", f"docker://{ro.host}/ro/img:v2", "--dest-tls-verify=false")
    finally:
        ro.stop()


def test_delete_then_gc(server, layout, tmp_path):
    path, digest = layout
    other = tmp_path / "other"
    write_oci_layout(other, [tar_of_files({"only/here": b"unique layer\n"})], "v1")
    skopeo("copy", f"oci:{path}:v1", f"docker://{server.host}/keep/img:v1", "--dest-tls-verify=false")
    skopeo("copy", f"oci:{other}:v1", f"docker://{server.host}/drop/img:v1", "--dest-tls-verify=false")
    before = verify_store(server.root)
    skopeo("delete", "--tls-verify=false", f"docker://{server.host}/drop/img:v1")
    dry = run(["teu", "registry", "gc", "--root", str(server.root), "--dry-run", "--grace", "0"])
    assert dry.stdout.count("would delete") == 3  # its manifest, config and layer
    assert verify_store(server.root) == before
    run(["teu", "registry", "gc", "--root", str(server.root), "--grace", "0"])
    assert verify_store(server.root) == before - 3
    out = tmp_path / "pulled"
    skopeo("copy", "--src-tls-verify=false", f"docker://{server.host}/keep/img:v1", f"oci:{out}:v1")
    assert json.loads((out / "index.json").read_text())["manifests"][0]["digest"] == digest
