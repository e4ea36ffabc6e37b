"""Pure logic of the image store and registry client: challenges, scopes, platforms,
compression, blobs, credentials, templates, chain IDs."""

from __future__ import annotations

import base64
import gzip
import io
import json
import os

import pytest
import zstandard

from teu.cli.formatting import FormatError, inspect_one, inspect_template
from teu.image import compression as Z
from teu.image.blobs import BlobStore
from teu.image.errors import ImageError, LayerError
from teu.image.progress import human_size
from teu.image.types import chain_ids
from teu.oci import digest as D
from teu.oci.errors import DigestMismatchError, ImageSpecError
from teu.oci.index import Index
from teu.oci.platform import Platform
from teu.registry.client import challenge as C
from teu.registry.client import credentials
from teu.registry.client.auth import join_scopes, scope_actions
from teu.registry.client.errors import AuthError, NotFound, from_response
from teu.registry.client.transport import is_loopback

# -- WWW-Authenticate ----------------------------------------------------------


def test_bearer_challenge():
    [c] = C.parse('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
                  'scope="repository:samalba/my-app:pull,push"')
    assert c.scheme == "bearer"
    assert c.realm == "https://auth.docker.io/token"
    assert c.params["service"] == "registry.docker.io"
    assert c.params["scope"] == "repository:samalba/my-app:pull,push"


def test_several_challenges_escapes_and_tokens():
    chs = C.parse('Basic realm="a \\"quoted\\" realm", BEARER Realm=https://x/t , '
                  'service=svc,error="insufficient_scope"')
    assert [c.scheme for c in chs] == ["basic", "bearer"]
    assert chs[0].realm == 'a "quoted" realm'
    assert chs[1].params == {"realm": "https://x/t", "service": "svc",
                             "error": "insufficient_scope"}


def test_malformed_challenges_do_not_raise():
    assert C.parse("") == []
    assert C.parse("Basic")[0].params == {}
    assert C.parse('Bearer realm="unterminated')[0].realm == "unterminated"


def test_scopes_cover_and_join():
    a = scope_actions(["repository:a/b:pull,push", "repository:c:pull"])
    assert ("repository", "a/b", "push") in a and len(a) == 3
    assert scope_actions(["repository:a/b:pull"]) <= a
    assert not scope_actions(["repository:a/b:delete"]) <= a
    assert join_scopes(a) == ["repository:a/b:pull,push", "repository:c:pull"]
    # A registry host with a port in the scope name is not split wrongly.
    assert ("repository", "x:5000/y", "pull") in scope_actions(["repository:x:5000/y:pull"])


def test_registry_error_bodies():
    body = json.dumps({"errors": [{"code": "MANIFEST_UNKNOWN", "message": "manifest unknown"}]})
    e = from_response(404, body.encode(), "busybox:nope")
    assert isinstance(e, NotFound) and "manifest unknown" in str(e)
    assert isinstance(from_response(401, b"", "x"), AuthError)
    assert "HTTP 500" in str(from_response(500, b"<html>", "x"))


def test_loopback():
    for h in ("localhost", "localhost:5000", "127.0.0.1:5000", "127.1.2.3", "[::1]:5000", "::1"):
        assert is_loopback(h), h
    for h in ("example.com", "10.0.0.1:5000", "registry-1.docker.io", "[2001:db8::1]:443"):
        assert not is_loopback(h), h


# -- platforms ------------------------------------------------------------------


def _index(*plats: dict) -> Index:
    return Index.from_json(json.dumps({"schemaVersion": 2, "manifests": [
        {"mediaType": "application/vnd.oci.image.manifest.v1+json",
         "digest": "sha256:" + f"{i:064x}", "size": 1, "platform": p}
        for i, p in enumerate(plats)]}).encode())


def test_platform_choice():
    idx = _index({"os": "linux", "architecture": "arm", "variant": "v6"},
                 {"os": "linux", "architecture": "arm", "variant": "v7"},
                 {"os": "linux", "architecture": "amd64"},
                 {"os": "linux", "architecture": "arm64", "variant": "v8"},
                 {"os": "windows", "architecture": "amd64"})
    assert idx.select(Platform.parse("linux/arm/v7")).digest.endswith("1")
    assert idx.select(Platform.parse("linux/arm")).digest.endswith("1")  # arm means v7
    assert idx.select(Platform.parse("linux/amd64")).digest.endswith("2")
    assert idx.select(Platform.parse("arm64")).digest.endswith("3")
    assert idx.select(Platform.parse("windows/amd64")).digest.endswith("4")
    with pytest.raises(ImageSpecError, match="no manifest for platform linux/s390x"):
        idx.select(Platform.parse("linux/s390x"))


# -- compression -----------------------------------------------------------------


def _read_all(r, n=7):
    out = []
    while block := r.read(n):
        out.append(block)
    return b"".join(out)


@pytest.mark.parametrize("kind", ["gzip", "zstd", None])
def test_decompress_by_magic(kind):
    data = os.urandom(3000) + b"x" * 300000
    if kind == "gzip":
        raw = gzip.compress(data)
    elif kind == "zstd":
        raw = zstandard.ZstdCompressor().compress(data)
    else:
        raw = data
    assert Z.detect(raw[:4]) == kind
    assert _read_all(Z.decompressed(io.BytesIO(raw)), 4096) == data


def test_gzip_multimember_and_padding():
    data = gzip.compress(b"hello ") + gzip.compress(b"world") + b"\0" * 1024
    assert _read_all(Z.decompressed(io.BytesIO(data)), 3) == b"hello world"


def test_gzip_truncated_and_corrupt():
    gz = gzip.compress(os.urandom(100000))
    with pytest.raises(LayerError, match="truncated"):
        _read_all(Z.decompressed(io.BytesIO(gz[:-100])), 65536)
    bad = bytearray(gz)
    bad[20] ^= 0xFF
    with pytest.raises(LayerError):
        _read_all(Z.decompressed(io.BytesIO(bytes(bad))), 65536)


def test_hashing_reader_and_compressor_roundtrip():
    data = b"abc" * 100000
    for kind in ("gzip", "zstd", None):
        out = io.BytesIO()
        w = Z.compressor(kind, out)
        w.write(data)
        w.close()
        r = Z.HashingReader(Z.decompressed(io.BytesIO(out.getvalue())))
        r.drain()
        assert r.digest() == D.compute(data) and r.size == len(data)


# -- blobs ------------------------------------------------------------------------


def test_put_blob_is_idempotent_and_verified(tmp_path):
    bs = BlobStore(str(tmp_path))
    dg = bs.put_bytes(b"hello")
    assert bs.put_bytes(b"hello") == dg and bs.read(dg) == b"hello"
    with pytest.raises(DigestMismatchError):
        bs.put_bytes(b"hello", D.compute(b"other"))
    with pytest.raises(DigestMismatchError):
        bs.put_stream(io.BytesIO(b"evil"), D.compute(b"good"))
    assert not bs.exists(D.compute(b"good"))
    assert not os.listdir(bs.ingest_dir)  # the bad partial is gone
    # A blob corrupted on disk is caught on read.
    with open(bs.path(dg), "wb") as f:
        f.write(b"HELLO")
    with pytest.raises(DigestMismatchError):
        bs.read(dg)
    with pytest.raises(DigestMismatchError), bs.open(dg) as f:
        f.read()


def test_ingest_resumes_and_refuses_truncation(tmp_path):
    bs = BlobStore(str(tmp_path))
    data = os.urandom(300000)
    dg = D.compute(data)
    with bs.ingest(dg, len(data)) as ing:
        ing.write(data[:100000])
        with pytest.raises(ImageError, match="truncated"):
            ing.commit()
    assert not bs.exists(dg)
    with bs.ingest(dg, len(data)) as ing:
        assert ing.offset == 100000  # resumed, already hashed
        ing.write(data[100000:])
        ing.commit()
    assert bs.read(dg) == data
    with bs.ingest(dg, len(data)) as ing:
        assert ing.done
    with bs.ingest(D.compute(b"x" * 10), 10) as ing, pytest.raises(ImageError, match="more data"):
        ing.write(b"x" * 11)


def test_chain_ids():
    a, b, c = (D.compute(x) for x in (b"a", b"b", b"c"))
    ids = chain_ids([a, b, c])
    assert ids[0] == a
    assert ids[1] == D.compute(f"{a} {b}".encode())
    assert ids[2] == D.compute(f"{ids[1]} {c}".encode())


# -- credentials --------------------------------------------------------------------


def test_credentials_round_trip(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("REGISTRY_AUTH_FILE", raising=False)
    monkeypatch.delenv("DOCKER_CONFIG", raising=False)
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    cfg = tmp_path / ".docker" / "config.json"
    cfg.parent.mkdir()
    cfg.write_text(json.dumps({"auths": {}, "credsStore": "", "psFormat": "x"}))
    path = credentials.store("localhost:5000", "alice", "s3:cret")
    assert path == str(cfg)
    doc = json.loads(cfg.read_text())
    assert doc["psFormat"] == "x"  # other keys kept
    assert base64.b64decode(doc["auths"]["localhost:5000"]["auth"]) == b"alice:s3:cret"
    assert oct(cfg.stat().st_mode & 0o777) == "0o600"
    assert credentials.lookup("localhost:5000") == ("alice", "s3:cret")
    credentials.store("docker.io", "bob", "pw")
    assert "https://index.docker.io/v1/" in json.loads(cfg.read_text())["auths"]
    assert credentials.lookup("index.docker.io") == ("bob", "pw")
    # podman's auth.json is read too, and wins when REGISTRY_AUTH_FILE names it.
    auth = tmp_path / "auth.json"
    auth.write_text(json.dumps({"auths": {"localhost:5000": {
        "auth": base64.b64encode(b"carol:pw2").decode()}}}))
    monkeypatch.setenv("REGISTRY_AUTH_FILE", str(auth))
    assert credentials.lookup("localhost:5000") == ("carol", "pw2")
    monkeypatch.delenv("REGISTRY_AUTH_FILE")
    assert credentials.remove("localhost:5000") == [str(cfg)]
    assert credentials.lookup("localhost:5000") is None


# -- templates and sizes -------------------------------------------------------------


def test_go_templates_on_image_inspect_data():
    # image inspect data through docker's inspect formatting (teu.cli.formatting); the
    # template language itself is tested in test_cli_gotemplate.py
    data = {"Id": "sha256:x", "RepoTags": ["a:1", "b:2"], "Config": {"Env": ["A=1"]},
            "Size": 5, "Empty": []}
    t = inspect_template

    assert inspect_one(t("{{.Id}}"), data) == "sha256:x"
    assert inspect_one(t("{{json .Config}}"), data) == '{"Env":["A=1"]}'
    assert inspect_one(t("{{.Config | json}}"), data) == '{"Env":["A=1"]}'
    assert inspect_one(t("{{index .RepoTags 1}}"), data) == "b:2"
    assert inspect_one(t("{{join .RepoTags \",\"}}"), data) == "a:1,b:2"
    assert inspect_one(t("{{range .RepoTags}}[{{.}}]{{end}}"), data) == "[a:1][b:2]"
    assert inspect_one(t("{{if .Empty}}y{{else}}n{{end}}"), data) == "n"
    assert inspect_one(t('{{len .RepoTags}} {{printf "%d!" .Size}}'), data) == "2 5!"
    with pytest.raises(FormatError, match='map has no entry for key "Missing"'):
        inspect_one(t("{{.RepoTags}} {{.Missing}}"), data)
    with pytest.raises(FormatError, match='function "nosuchfunc" not defined') as e:
        t("{{nosuchfunc .Id}}")
    assert e.value.exit_code == 64
    with pytest.raises(FormatError, match="unexpected EOF"):
        t("{{range .RepoTags}}x")


def test_human_size():
    assert human_size(0) == "0B"
    assert human_size(999) == "999B"
    assert human_size(4261550) == "4.26MB"
    assert human_size(1000) == "1kB"
    assert human_size(211_000_000) == "211MB"
