"""The ASGI app driven in-process: status codes, error bodies, auth, modes."""

from __future__ import annotations

import asyncio
import base64
import json

import pytest

from teu.oci import digest as D
from teu.oci import media_types as MT
from teu.registry.server.access import Rule
from teu.registry.server.app import RegistryApp
from teu.registry.server.auth import BasicAuth, TokenAuth
from teu.registry.server.htpasswd import Htpasswd, bcrypt_entry
from teu.registry.server.storage.filesystem import FilesystemStorage
from teu.registry.server.token import TokenSigner


class Resp:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)

    @property
    def code(self):
        return self.json()["errors"][0]["code"]


def call(app, method, path, body=b"", headers=None, chunks=None, disconnect=False) -> Resp:
    path, _, qs = path.partition("?")
    scope = {"type": "http", "method": method, "path": path, "query_string": qs.encode(),
             "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
             "scheme": "http", "server": ("127.0.0.1", 5000), "client": ("127.0.0.1", 1)}
    parts = list(chunks) if chunks is not None else [body]
    out: dict = {"body": b""}

    async def receive():
        if parts:
            return {"type": "http.request", "body": parts.pop(0), "more_body": bool(parts) or disconnect}
        return {"type": "http.disconnect"}

    async def send(msg):
        if msg["type"] == "http.response.start":
            out["status"] = msg["status"]
            out["headers"] = {k.decode(): v.decode() for k, v in msg["headers"]}
        elif msg["type"] == "http.response.body":
            out["body"] += msg.get("body", b"")

    asyncio.run(app(scope, receive, send))
    return Resp(out.get("status"), out.get("headers", {}), out["body"])


@pytest.fixture
def store(tmp_path):
    return FilesystemStorage(str(tmp_path / "reg"), fsync=False)


@pytest.fixture
def app(store):
    return RegistryApp(store, delete_enabled=True, access_log=None)


def push_blob(app, repo, data):
    dg = D.compute(data)
    r = call(app, "POST", f"/v2/{repo}/blobs/uploads/?digest={dg}", data)
    assert r.status == 201, r.body
    return dg


def push_image(app, repo, tag="v1", subject=None, artifact_type=None):
    cfg = push_blob(app, repo, b'{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}')
    layer = push_blob(app, repo, b"layer-" + repo.encode() + tag.encode())
    m = {"schemaVersion": 2, "mediaType": MT.OCI_MANIFEST,
         "config": {"mediaType": MT.OCI_CONFIG, "digest": cfg, "size": 77},
         "layers": [{"mediaType": MT.OCI_LAYER_GZIP, "digest": layer, "size": 10}]}
    if subject:
        m["subject"] = subject
    if artifact_type:
        m["artifactType"] = artifact_type
    body = json.dumps(m).encode()
    r = call(app, "PUT", f"/v2/{repo}/manifests/{tag}", body, {"Content-Type": MT.OCI_MANIFEST})
    assert r.status == 201, r.body
    return D.compute(body), body


def test_base_and_headers(app):
    r = call(app, "GET", "/v2/")
    assert r.status == 200 and r.headers["docker-distribution-api-version"] == "registry/2.0"
    assert call(app, "GET", "/healthz").status == 200
    assert call(app, "GET", "/nope").status == 404


def test_pull_blob_full_range_head(app):
    dg = push_blob(app, "r", b"0123456789")
    r = call(app, "GET", f"/v2/r/blobs/{dg}")
    assert r.status == 200 and r.body == b"0123456789" and r.headers["docker-content-digest"] == dg
    r = call(app, "GET", f"/v2/r/blobs/{dg}", headers={"Range": "bytes=2-4"})
    assert r.status == 206 and r.body == b"234" and r.headers["content-range"] == "bytes 2-4/10"
    r = call(app, "GET", f"/v2/r/blobs/{dg}", headers={"Range": "bytes=20-"})
    assert r.status == 416 and r.headers["content-range"] == "bytes */10"
    r = call(app, "HEAD", f"/v2/r/blobs/{dg}")
    assert r.status == 200 and r.body == b"" and r.headers["content-length"] == "10"
    assert call(app, "GET", f"/v2/other/blobs/{dg}").code == "BLOB_UNKNOWN"
    assert call(app, "GET", "/v2/r/blobs/sha256:zz").code == "DIGEST_INVALID"


def test_chunked_upload_and_416(app):
    r = call(app, "POST", "/v2/r/blobs/uploads/")
    assert r.status == 202
    loc = r.headers["location"]
    r = call(app, "PATCH", loc, b"456", {"Content-Range": "3-5", "Content-Length": "3"})
    assert r.status == 416 and r.headers["range"] == "0-0"
    r = call(app, "PATCH", loc, b"012", {"Content-Range": "0-2", "Content-Length": "3"})
    assert r.status == 202 and r.headers["range"] == "0-2"
    assert call(app, "PATCH", loc, b"012", {"Content-Range": "0-2"}).status == 416
    assert call(app, "GET", loc).headers["range"] == "0-2"
    r = call(app, "PATCH", loc, chunks=[b"34", b"5"])  # streamed, no Content-Range
    assert r.status == 202 and r.headers["range"] == "0-5"
    dg = D.compute(b"0123456789")
    r = call(app, "PUT", f"{loc}?digest={dg}", b"6789", {"Content-Range": "6-9"})
    assert r.status == 201 and r.headers["location"] == f"/v2/r/blobs/{dg}"
    assert call(app, "GET", f"/v2/r/blobs/{dg}").body == b"0123456789"
    assert call(app, "GET", loc).code == "BLOB_UPLOAD_UNKNOWN"


def test_digest_mismatch_and_missing(app, store):
    r = call(app, "POST", f"/v2/r/blobs/uploads/?digest={D.compute(b'x')}", b"y")
    assert r.status == 400 and r.code == "DIGEST_INVALID"
    assert list(store.iter_blobs()) == []
    loc = call(app, "POST", "/v2/r/blobs/uploads/").headers["location"]
    assert call(app, "PUT", loc, b"x").code == "DIGEST_INVALID"


def test_cancel_upload(app):
    loc = call(app, "POST", "/v2/r/blobs/uploads/").headers["location"]
    assert call(app, "DELETE", loc).status == 204
    assert call(app, "DELETE", loc).code == "BLOB_UPLOAD_UNKNOWN"
    assert call(app, "GET", "/v2/r/blobs/uploads/..%2f..").status in (400, 404)


def test_disconnect_mid_patch_keeps_prefix(app):
    loc = call(app, "POST", "/v2/r/blobs/uploads/").headers["location"]
    r = call(app, "PATCH", loc, chunks=[b"abc"], disconnect=True)
    assert r.status is None  # nothing was answered to a gone client
    assert call(app, "GET", loc).headers["range"] == "0-2"
    monolithic = call(app, "POST", f"/v2/r/blobs/uploads/?digest={D.compute(b'abcdef')}",
                      chunks=[b"abc"], disconnect=True)
    assert monolithic.status is None


def test_mount(app):
    dg = push_blob(app, "src", b"shared")
    r = call(app, "POST", f"/v2/dst/blobs/uploads/?mount={dg}&from=src")
    assert r.status == 201 and r.headers["docker-content-digest"] == dg
    assert call(app, "GET", f"/v2/dst/blobs/{dg}").body == b"shared"
    r = call(app, "POST", f"/v2/dst2/blobs/uploads/?mount={dg}&from=nothere")
    assert r.status == 202
    r = call(app, "POST", f"/v2/dst2/blobs/uploads/?mount={dg}")
    assert r.status == 202


def test_manifest_push_pull_delete(app):
    dg, body = push_image(app, "r", "v1")
    r = call(app, "GET", "/v2/r/manifests/v1")
    assert r.status == 200 and r.body == body and r.headers["content-type"] == MT.OCI_MANIFEST
    assert r.headers["docker-content-digest"] == dg
    assert call(app, "HEAD", f"/v2/r/manifests/{dg}").body == b""
    assert call(app, "GET", "/v2/r/manifests/.bad").code == "MANIFEST_UNKNOWN"
    assert call(app, "PUT", "/v2/r/manifests/.bad", body).code == "TAG_INVALID"
    r = call(app, "PUT", f"/v2/r/manifests/{D.compute(b'other')}", body,
             {"Content-Type": MT.OCI_MANIFEST})
    assert r.code == "DIGEST_INVALID"
    assert call(app, "DELETE", "/v2/r/manifests/v1").status == 202
    assert call(app, "GET", "/v2/r/manifests/v1").code == "MANIFEST_UNKNOWN"
    assert call(app, "DELETE", f"/v2/r/manifests/{dg}").status == 202
    assert call(app, "GET", f"/v2/r/manifests/{dg}").status == 404


def test_manifest_refusals(app):
    cfg = {"mediaType": MT.OCI_CONFIG, "digest": D.compute(b"missing"), "size": 7}
    body = json.dumps({"schemaVersion": 2, "config": cfg, "layers": []}).encode()
    r = call(app, "PUT", "/v2/r/manifests/v1", body, {"Content-Type": MT.OCI_MANIFEST})
    assert r.status == 400 and r.code == "MANIFEST_BLOB_UNKNOWN"
    for bad, ct in ((b"{not json", MT.OCI_MANIFEST), (b'{"schemaVersion":2}', "text/plain"),
                    (b"[]", MT.OCI_MANIFEST)):
        assert call(app, "PUT", "/v2/r/manifests/v1", bad, {"Content-Type": ct}).code == \
            "MANIFEST_INVALID"
    big = b" " * (4 * 1024 * 1024 + 1)
    assert call(app, "PUT", "/v2/r/manifests/v1", big).status == 413
    idx = json.dumps({"schemaVersion": 2, "mediaType": MT.OCI_INDEX, "manifests": [
        {"mediaType": MT.OCI_MANIFEST, "digest": D.compute(b"m"), "size": 1}]}).encode()
    assert call(app, "PUT", "/v2/r/manifests/i", idx, {"Content-Type": MT.OCI_INDEX}).code == \
        "MANIFEST_BLOB_UNKNOWN"


def test_docker_manifest_list(app):
    dg, body = push_image(app, "r", "amd64")
    lst = json.dumps({"schemaVersion": 2, "mediaType": MT.DOCKER_MANIFEST_LIST, "manifests": [
        {"mediaType": MT.OCI_MANIFEST, "digest": dg, "size": len(body),
         "platform": {"os": "linux", "architecture": "amd64"}}]}).encode()
    r = call(app, "PUT", "/v2/r/manifests/multi", lst, {"Content-Type": MT.DOCKER_MANIFEST_LIST})
    assert r.status == 201
    assert call(app, "GET", "/v2/r/manifests/multi").headers["content-type"] == \
        MT.DOCKER_MANIFEST_LIST


def test_names_and_traversal(app):
    assert call(app, "GET", "/v2/UPPER/tags/list").code == "NAME_INVALID"
    assert call(app, "GET", "/v2/a/../b/tags/list").code == "NAME_INVALID"
    assert call(app, "GET", "/v2/a/_layers/tags/list").code == "NAME_INVALID"
    assert call(app, "GET", "/v2/nope/tags/list").code == "NAME_UNKNOWN"


def test_tags_pagination(app):
    for t in ("c", "a", "b", "d"):
        push_image(app, "r", t)
    assert call(app, "GET", "/v2/r/tags/list").json()["tags"] == ["a", "b", "c", "d"]
    r = call(app, "GET", "/v2/r/tags/list?n=2")
    assert r.json()["tags"] == ["a", "b"] and 'last=b' in r.headers["link"]
    r = call(app, "GET", "/v2/r/tags/list?n=2&last=b")
    assert r.json()["tags"] == ["c", "d"] and "link" not in r.headers
    assert call(app, "GET", "/v2/r/tags/list?n=0").json()["tags"] == []
    assert call(app, "GET", "/v2/r/tags/list?n=x").code == "PAGINATION_NUMBER_INVALID"
    assert call(app, "GET", "/v2/_catalog?n=1").json() == {"repositories": ["r"]}


def test_referrers(app):
    dg, body = push_image(app, "r", "v1")
    subject = {"mediaType": MT.OCI_MANIFEST, "digest": dg, "size": len(body)}
    sig, _ = push_image(app, "r", "sig", subject=subject, artifact_type="application/x.sig")
    sbom, _ = push_image(app, "r", "sbom", subject=subject, artifact_type="application/x.sbom")
    r = call(app, "GET", f"/v2/r/referrers/{dg}")
    assert r.status == 200 and r.headers["content-type"] == MT.OCI_INDEX
    assert {m["digest"] for m in r.json()["manifests"]} == {sig, sbom}
    r = call(app, "GET", f"/v2/r/referrers/{dg}?artifactType=application/x.sig")
    assert [m["digest"] for m in r.json()["manifests"]] == [sig]
    assert r.headers["oci-filters-applied"] == "artifactType"
    assert call(app, "GET", f"/v2/r/referrers/{D.compute(b'none')}").json()["manifests"] == []
    assert call(app, "GET", "/v2/r/referrers/bad").code == "DIGEST_INVALID"


def test_delete_disabled_and_read_only(store):
    app = RegistryApp(store, access_log=None)
    dg, _ = push_image(app, "r")
    r = call(app, "DELETE", f"/v2/r/manifests/{dg}")
    assert r.status == 405 and r.code == "UNSUPPORTED"
    ro = RegistryApp(store, read_only=True, access_log=None)
    assert call(ro, "POST", "/v2/r/blobs/uploads/").status == 405
    assert call(ro, "GET", f"/v2/r/manifests/{dg}").status == 200


def test_basic_auth(store):
    h = Htpasswd.parse(bcrypt_entry("alice", "pw", rounds=4))
    app = RegistryApp(store, BasicAuth(h), access_log=None)
    r = call(app, "GET", "/v2/")
    assert r.status == 401 and r.headers["www-authenticate"].startswith("Basic")
    good = {"Authorization": "Basic " + base64.b64encode(b"alice:pw").decode()}
    bad = {"Authorization": "Basic " + base64.b64encode(b"alice:no").decode()}
    assert call(app, "GET", "/v2/", headers=good).status == 200
    assert call(app, "GET", "/v2/", headers=bad).code == "UNAUTHORIZED"


def test_token_auth(store, tmp_path):
    h = Htpasswd.parse(bcrypt_entry("alice", "pw", rounds=4))
    rules = [Rule("alice", "team/*", frozenset({"pull", "push"})),
             Rule("", "public/*", frozenset({"pull"}))]
    signer = TokenSigner(b"k" * 32, "teu", "svc")
    app = RegistryApp(store, TokenAuth(signer, rules, h), access_log=None)
    r = call(app, "GET", "/v2/team/x/tags/list")
    assert r.status == 401
    chal = r.headers["www-authenticate"]
    assert 'realm="http://127.0.0.1:5000/token"' in chal and 'scope="repository:team/x:pull"' in chal
    creds = {"Authorization": "Basic " + base64.b64encode(b"alice:pw").decode()}
    tok = call(app, "GET", "/token?service=svc&scope=repository:team/x:pull,push", headers=creds).json()
    bearer = {"Authorization": "Bearer " + tok["token"]}
    assert call(app, "POST", "/v2/team/x/blobs/uploads/", headers=bearer).status == 202
    # Anonymous: pull of public only; push scope dropped, so 401 on push.
    anon = call(app, "GET", "/token?scope=repository:public/y:pull,push").json()
    ab = {"Authorization": "Bearer " + anon["token"]}
    assert call(app, "GET", "/v2/public/y/tags/list", headers=ab).status == 404  # allowed, empty
    r = call(app, "POST", "/v2/public/y/blobs/uploads/", headers=ab)
    assert r.status == 401 and "insufficient_scope" in r.headers["www-authenticate"]
    bad = {"Authorization": "Basic " + base64.b64encode(b"alice:no").decode()}
    assert call(app, "GET", "/token?scope=repository:team/x:pull", headers=bad).status == 401
    form = b"grant_type=password&username=alice&password=pw&service=svc&scope=repository:team/x:pull"
    r = call(app, "POST", "/token", form, {"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 200 and r.json()["access_token"]


def test_metrics_count_requests(app):
    call(app, "GET", "/v2/")
    text = call(app, "GET", "/metrics").body.decode()
    assert 'teu_registry_requests_total{method="GET",route="base",code="200"} 1' in text


def test_token_mount_needs_pull_on_source(store):
    h = Htpasswd.parse(bcrypt_entry("alice", "pw", rounds=4))
    rules = [Rule("alice", "team/*", frozenset({"pull", "push"}))]
    app = RegistryApp(store, TokenAuth(TokenSigner(b"k" * 32, "teu", "svc"), rules, h),
                      access_log=None)
    open_app = RegistryApp(store, access_log=None)
    secret = push_blob(open_app, "secret/x", b"secret bytes")
    shared = push_blob(open_app, "team/a", b"team bytes")
    creds = {"Authorization": "Basic " + base64.b64encode(b"alice:pw").decode()}
    scopes = "scope=repository:team/b:pull,push&scope=repository:secret/x:pull" \
             "&scope=repository:team/a:pull"
    tok = call(app, "GET", f"/token?{scopes}", headers=creds).json()["token"]
    bearer = {"Authorization": "Bearer " + tok}
    r = call(app, "POST", f"/v2/team/b/blobs/uploads/?mount={secret}&from=secret/x", headers=bearer)
    assert r.status == 202  # no pull on the source: an upload, not a leak
    assert not store.repo_has_blob("team/b", secret)
    r = call(app, "POST", f"/v2/team/b/blobs/uploads/?mount={shared}&from=team/a", headers=bearer)
    assert r.status == 201 and store.repo_has_blob("team/b", shared)
