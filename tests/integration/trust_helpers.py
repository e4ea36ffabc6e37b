"""Helpers for the trust tests: the real cosign (deps/cosign.sh installs it), key pairs,
images in a loopback registry, and hand-made signature manifests for the bad cases."""

from __future__ import annotations

import json
import os
import subprocess
import urllib.request
from pathlib import Path

COSIGN = os.environ.get("TEU_COSIGN") or "/usr/local/lib/teu-peers/cosign/cosign"
PASSWORD = "teu-test-password"


def have_cosign() -> bool:
    return os.access(COSIGN, os.X_OK)


def cosign(*args: str, check: bool = True, password: str = PASSWORD, cwd: Path | None = None,
           experimental: bool = False) -> subprocess.CompletedProcess:
    env = {**os.environ, "COSIGN_PASSWORD": password, "COSIGN_YES": "true",
           "HOME": os.environ.get("HOME", "/root")}
    if experimental:
        env["COSIGN_EXPERIMENTAL"] = "1"
    p = subprocess.run([COSIGN, *args], capture_output=True, text=True, timeout=120, env=env,
                       cwd=cwd)
    if check and p.returncode != 0:
        raise AssertionError(f"cosign {' '.join(args)} -> {p.returncode}\n{p.stdout}\n{p.stderr}")
    return p


def http(method: str, url: str, data: bytes | None = None,
         headers: dict | None = None) -> tuple[int, dict, bytes]:
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def put_blob(base: str, repo: str, data: bytes) -> str:
    import hashlib

    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    status, h, _ = http("POST", f"{base}/v2/{repo}/blobs/uploads/", b"")
    assert status == 202, status
    loc = h["location"]
    if loc.startswith("/"):
        loc = base + loc
    sep = "&" if "?" in loc else "?"
    status, _, body = http("PUT", f"{loc}{sep}digest={digest}", data,
                           {"Content-Type": "application/octet-stream"})
    assert status == 201, (status, body)
    return digest


def put_manifest(base: str, repo: str, ref: str, manifest: bytes,
                 media_type: str = "application/vnd.oci.image.manifest.v1+json") -> None:
    status, _, body = http("PUT", f"{base}/v2/{repo}/manifests/{ref}", manifest,
                           {"Content-Type": media_type})
    assert status == 201, (status, body)


def get_manifest(base: str, repo: str, ref: str) -> tuple[int, bytes]:
    status, _, body = http("GET", f"{base}/v2/{repo}/manifests/{ref}", None,
                           {"Accept": "application/vnd.oci.image.manifest.v1+json, "
                                      "application/vnd.oci.image.index.v1+json"})
    return status, body


def sig_tag(digest: str, suffix: str = "sig") -> str:
    return digest.replace(":", "-") + (f".{suffix}" if suffix else "")


def push_signature_image(base: str, repo: str, tag: str, layers: list[tuple[bytes, dict]],
                         skip_blobs: tuple[int, ...] = ()) -> None:
    """A hand-made signature manifest: (payload, annotations) layers; the layers at the
    indexes in `skip_blobs` are deleted afterwards (a manifest pointing at a missing layer)."""
    from teu.trust import sigimage as S

    img = S.SignatureImage([S.Layer("application/vnd.dev.cosign.simplesigning.v1+json", d, a)
                            for d, a in layers])
    built = img.build()
    for data in built.blobs().values():
        put_blob(base, repo, data)
    put_manifest(base, repo, tag, built.manifest)
    for i in skip_blobs:  # registries refuse a manifest naming an unknown blob: delete it after
        status, _, body = http("DELETE", f"{base}/v2/{repo}/blobs/{S.Layer('', layers[i][0]).digest}")
        assert status == 202, (status, body)


def layer_of(base: str, repo: str, digest: str) -> tuple[bytes, dict]:
    """The first layer (payload bytes, annotations) of the signature image at sha256-<hex>.sig."""
    status, raw = get_manifest(base, repo, sig_tag(digest))
    assert status == 200, status
    m = json.loads(raw)
    d = m["layers"][0]
    _, _, data = http("GET", f"{base}/v2/{repo}/blobs/{d['digest']}")
    return data, d.get("annotations") or {}
