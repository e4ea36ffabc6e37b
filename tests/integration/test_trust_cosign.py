"""teu sign/verify/attest against the real cosign 2.5, both ways: through a loopback
registry (teu's own, with the referrers API, and Debian's docker-registry, without it),
as an OCI layout (--local-image), keys made by each used by the other; and the bad
cases (tampered payload, other key, other digest, missing layer, wrong password) refused
by both, with nothing half-written."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from image_helpers import Distribution, push_layout, teu
from registry_helpers import RegistryServer, busybox_layer, tools_present, write_oci_layout
from trust_helpers import (
    PASSWORD,
    cosign,
    get_manifest,
    have_cosign,
    layer_of,
    push_signature_image,
    sig_tag,
)

pytestmark = [pytest.mark.peer,
              pytest.mark.skipif(not have_cosign() or not tools_present("skopeo"),
                                 reason="cosign (make deps: deps/cosign.sh) and skopeo needed")]

ENV = {"COSIGN_PASSWORD": PASSWORD}


class World:
    def __init__(self, top: Path) -> None:
        self.top = top
        self.store = top / "store"
        self.layout = top / "layout"
        self.digest = write_oci_layout(self.layout, [busybox_layer(top)], cmd=["/bin/true"])
        self.reg = RegistryServer(top / "reg", top / "reg.log", ["--delete"]).start()
        self.repos = 0

    def image(self, name: str, registry: str | None = None) -> str:
        """Push the test image as HOST/name:v1; returns that reference."""
        ref = f"{registry or self.reg.host}/{name}:v1"
        push_layout(self.layout, "latest", ref)
        return ref

    def teu(self, *args: str, check: bool = True, password: str = PASSWORD):
        return teu(self.store, *args, check=check, env={"COSIGN_PASSWORD": password})


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    top = tmp_path_factory.mktemp("trust")
    w = World(top)
    keys = top / "keys"
    keys.mkdir()
    cosign("generate-key-pair", cwd=keys)                       # keys/cosign.key, .pub
    w.teu("key", "generate", "--output-key-prefix", str(keys / "teu"))
    w.teu("key", "generate", "--output-key-prefix", str(keys / "other"))
    w.keys = keys
    try:
        yield w
    finally:
        w.reg.stop()


def cosign_verify(ref: str, pub: Path, *extra: str, experimental: bool = False):
    return cosign("verify", "--key", str(pub), "--insecure-ignore-tlog",
                  "--allow-http-registry", *extra, ref, check=False, experimental=experimental)


def test_key_files_are_interchangeable(world):
    k = world.keys
    # cosign reads teu's encrypted private key and derives the same public key...
    out = cosign("public-key", "--key", str(k / "teu.key")).stdout
    assert out == (k / "teu.pub").read_text()
    # ...and a wrong password is refused by both.
    assert cosign("public-key", "--key", str(k / "teu.key"), check=False,
                  password="wrong").returncode != 0
    text = (k / "cosign.key").read_text()
    assert text.startswith("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----")


def test_teu_signs_cosign_verifies(world):
    ref = world.image("teu-signs")
    p = world.teu("sign", "--key", str(world.keys / "teu.key"), ref)
    assert "uses a tag, not a digest" in p.stderr  # signed by its digest, with cosign's warning
    ok = cosign_verify(ref, world.keys / "teu.pub")
    assert ok.returncode == 0, ok.stderr
    claims = json.loads(ok.stdout.strip())[0]["critical"]
    assert claims["image"]["docker-manifest-digest"] == world.digest
    assert claims["identity"]["docker-reference"] == ref.rsplit(":", 1)[0]
    # The other key: both say no matching signature (cosign's exit code 12).
    assert cosign_verify(ref, world.keys / "other.pub").returncode == 12
    bad = world.teu("verify", "--key", str(world.keys / "other.pub"), ref, check=False)
    assert bad.returncode == 12 and "no matching signatures" in bad.stderr
    # A second signature adds a layer to the same sha256-<hex>.sig manifest.
    world.teu("sign", "--key", str(world.keys / "other.key"), f"{ref.rsplit(':', 1)[0]}@{world.digest}")
    _, raw = get_manifest(world.reg.url, "teu-signs", sig_tag(world.digest))
    assert len(json.loads(raw)["layers"]) == 2
    assert cosign_verify(ref, world.keys / "other.pub").returncode == 0


def test_cosign_signs_teu_verifies_with_each_others_keys(world):
    ref = world.image("cosign-signs")
    name = ref.rsplit(":", 1)[0]
    cosign("sign", "--key", str(world.keys / "cosign.key"), "--tlog-upload=false",
           "--allow-http-registry", f"{name}@{world.digest}")
    p = world.teu("verify", "--key", str(world.keys / "cosign.pub"), ref)
    out = json.loads(p.stdout)
    assert out[0]["critical"]["image"]["docker-manifest-digest"] == world.digest
    from teu.api import trust  # the same from Python

    assert trust.verify(ref, key=str(world.keys / "cosign.pub"), root=str(world.store)) == out
    # cosign signing with teu's key; teu signing with cosign's key.
    cosign("sign", "--key", str(world.keys / "teu.key"), "--tlog-upload=false",
           "--allow-http-registry", f"{name}@{world.digest}")
    world.teu("verify", "--key", str(world.keys / "teu.pub"), ref)
    other = world.image("teu-with-cosign-key")
    world.teu("sign", "--key", str(world.keys / "cosign.key"), other)
    assert cosign_verify(other, world.keys / "cosign.pub").returncode == 0
    # No signature, no such tag: cosign's exit codes 10 and 11.
    unsigned = world.image("unsigned")
    assert world.teu("verify", "--key", str(world.keys / "teu.pub"), unsigned,
                     check=False).returncode == 10
    assert world.teu("verify", "--key", str(world.keys / "teu.pub"),
                     unsigned.replace(":v1", ":nosuch"), check=False).returncode == 11


def test_tampered_payload_and_other_digest_refused_by_both(world):
    ref = world.image("tampered")
    name = ref.rsplit(":", 1)[0]
    world.teu("sign", "--key", str(world.keys / "teu.key"), ref)
    data, ann = layer_of(world.reg.url, "tampered", world.digest)
    # Tampered: the payload names another repository, under the original signature.
    forged = data.replace(b'"docker-reference":"', b'"docker-reference":"x')
    push_signature_image(world.reg.url, "tampered", sig_tag(world.digest), [(forged, ann)])
    for verdict in (world.teu("verify", "--key", str(world.keys / "teu.pub"), ref, check=False),
                    cosign_verify(ref, world.keys / "teu.pub")):
        assert verdict.returncode == 12, verdict.stderr
    # A genuine signature of another digest, copied under this image's tag.
    other_digest = "sha256:" + "1" * 64
    from teu.trust import keys, payload

    key = keys.load_private(str(world.keys / "teu.key"), PASSWORD.encode())
    body = payload.make(name, other_digest)
    push_signature_image(world.reg.url, "tampered", sig_tag(world.digest),
                         [(body, {"dev.cosignproject.cosign/signature": payload.sign(key, body)})])
    p = world.teu("verify", "--key", str(world.keys / "teu.pub"), ref, check=False)
    assert p.returncode == 12 and "signature is for " + other_digest in p.stderr
    assert cosign_verify(ref, world.keys / "teu.pub").returncode != 0


def test_missing_layer_and_wrong_password(world):
    ref = world.image("missing-layer")
    from teu.trust import keys, payload

    key = keys.load_private(str(world.keys / "teu.key"), PASSWORD.encode())
    body = payload.make(ref.rsplit(":", 1)[0], world.digest)
    push_signature_image(world.reg.url, "missing-layer", sig_tag(world.digest),
                         [(body, {"dev.cosignproject.cosign/signature": payload.sign(key, body)})],
                         skip_blobs=(0,))
    p = world.teu("verify", "--key", str(world.keys / "teu.pub"), ref, check=False)
    assert p.returncode == 1 and "cannot be read" in p.stderr and "Traceback" not in p.stderr
    assert cosign_verify(ref, world.keys / "teu.pub").returncode != 0
    # A wrong password: a one-line error, and no signature tag written.
    fresh = world.image("wrong-password")
    p = world.teu("sign", "--key", str(world.keys / "teu.key"), fresh, check=False,
                  password="not-it")
    assert p.returncode == 1 and "wrong password" in p.stderr
    assert get_manifest(world.reg.url, "wrong-password", sig_tag(world.digest))[0] == 404


def test_referrers_mode_with_and_without_the_api(world, tmp_path):
    ref = world.image("referrers")
    world.teu("sign", "--key", str(world.keys / "teu.key"), "--registry-referrers-mode",
              "oci-1-1", ref)
    assert get_manifest(world.reg.url, "referrers", sig_tag(world.digest))[0] == 404
    ok = cosign_verify(ref, world.keys / "teu.pub", "--experimental-oci11", experimental=True)
    assert ok.returncode == 0, ok.stderr
    world.teu("verify", "--key", str(world.keys / "teu.pub"), ref)
    # Debian's docker-registry (distribution 2.8) has no referrers API: the fallback tag.
    if not tools_present("docker-registry"):
        pytest.skip("docker-registry is needed for the fallback tag")
    dist = Distribution(tmp_path / "dist").start()
    try:
        dref = world.image("fallback", dist.host)
        world.teu("sign", "--key", str(world.keys / "teu.key"), "--registry-referrers-mode",
                  "oci-1-1", dref)
        status, raw = get_manifest(f"http://{dist.host}", "fallback", sig_tag(world.digest, ""))
        assert status == 200
        index = json.loads(raw)
        assert index["manifests"][0]["artifactType"] == \
            "application/vnd.dev.cosign.artifact.sig.v1+json"
        world.teu("verify", "--key", str(world.keys / "teu.pub"), dref)
        ok = cosign_verify(dref, world.keys / "teu.pub", "--experimental-oci11",
                           experimental=True)
        assert ok.returncode == 0, ok.stderr
    finally:
        dist.stop()


def test_local_layouts_both_ways(world, tmp_path):
    mine = tmp_path / "mine"
    shutil.copytree(world.layout, mine)
    world.teu("sign", "--key", str(world.keys / "teu.key"), "--local-image", str(mine),
              f"{world.reg.host}/layout")
    ok = cosign("verify", "--key", str(world.keys / "teu.pub"), "--insecure-ignore-tlog",
                "--local-image", str(mine), check=False)
    assert ok.returncode == 0, ok.stderr
    assert cosign("verify", "--key", str(world.keys / "other.pub"), "--insecure-ignore-tlog",
                  "--local-image", str(mine), check=False).returncode != 0
    # cosign signs in a registry and saves a layout; teu verifies the layout.
    ref = world.image("cosign-save")
    cosign("sign", "--key", str(world.keys / "cosign.key"), "--tlog-upload=false",
           "--allow-http-registry", f"{ref.rsplit(':', 1)[0]}@{world.digest}")
    saved = tmp_path / "saved"
    cosign("save", "--dir", str(saved), "--allow-http-registry", ref)
    world.teu("verify", "--key", str(world.keys / "cosign.pub"), "--local-image", str(saved))
    assert world.teu("verify", "--key", str(world.keys / "teu.pub"), "--local-image",
                     str(saved), check=False).returncode == 12


def test_attestations_both_ways(world, tmp_path):
    ref = world.image("attest")
    name = ref.rsplit(":", 1)[0]
    sbom = tmp_path / "sbom.json"
    sbom.write_text(json.dumps({"spdxVersion": "SPDX-2.3", "name": "busybox"}))
    world.teu("attest", "--key", str(world.keys / "teu.key"), "--type", "spdxjson",
              "--predicate", str(sbom), ref)
    ok = cosign("verify-attestation", "--key", str(world.keys / "teu.pub"),
                "--insecure-ignore-tlog", "--allow-http-registry", "--type", "spdxjson", ref,
                check=False)
    assert ok.returncode == 0, ok.stderr
    prov = tmp_path / "prov.json"
    prov.write_text(json.dumps({"builder": {"id": "cosign-test"}, "buildType": "x"}))
    cosign("attest", "--key", str(world.keys / "cosign.key"), "--tlog-upload=false",
           "--allow-http-registry", "--type", "slsaprovenance", "--predicate", str(prov),
           f"{name}@{world.digest}")
    p = world.teu("verify-attestation", "--key", str(world.keys / "cosign.pub"), "--type",
                  "slsaprovenance", ref)
    st = json.loads(p.stdout.splitlines()[0])
    assert st["predicate"]["builder"]["id"] == "cosign-test"
    bad = world.teu("verify-attestation", "--key", str(world.keys / "cosign.pub"), "--type",
                    "cyclonedx", ref, check=False)
    assert bad.returncode == 1 and "predicate type" in bad.stderr


def test_signatures_travel_with_push_and_save(world, tmp_path):
    """Sign an image only the store has, push it: cosign verifies it in the registry;
    save it: cosign verifies the unpacked archive as a layout."""
    src = world.image("travel-src")
    world.teu("pull", "-q", src)
    dest = f"{world.reg.host}/travel:v1"
    world.teu("tag", src, dest)
    p = world.teu("sign", "--key", str(world.keys / "teu.key"), dest)
    assert "local store" in p.stderr
    world.teu("verify", "--key", str(world.keys / "teu.pub"), dest)  # from the store
    assert get_manifest(world.reg.url, "travel", sig_tag(world.digest))[0] == 404
    p = world.teu("push", dest)
    assert "Pushed signatures" in p.stdout + p.stderr
    assert cosign_verify(dest, world.keys / "teu.pub").returncode == 0
    archive = tmp_path / "img.tar"
    world.teu("save", "-o", str(archive), dest)
    unpacked = tmp_path / "unpacked"
    unpacked.mkdir()
    subprocess.run(["tar", "-C", str(unpacked), "-xf", str(archive)], check=True)
    ok = cosign("verify", "--key", str(world.keys / "teu.pub"), "--insecure-ignore-tlog",
                "--local-image", str(unpacked), check=False)
    assert ok.returncode == 0, ok.stderr
    # The archive loads as one image (the signature entries are not images), and its
    # signatures come with it: the other store verifies them without a registry.
    other = tmp_path / "other-store"
    p = teu(other, "load", "-i", str(archive))
    assert p.stdout.count("Loaded image") == 1
    world.reg.stop()
    try:
        p = teu(other, "verify", "--key", str(world.keys / "teu.pub"), dest)
        assert json.loads(p.stdout)[0]["critical"]["image"]["docker-manifest-digest"] == \
            world.digest
    finally:
        world.reg.start()


def test_registry_refusing_the_signature(world, tmp_path):
    """A registry that refuses the signature tag: one clear line, nothing written."""
    ref = world.image("readonly")
    ro = RegistryServer(world.top / "reg", tmp_path / "ro.log", ["--read-only"]).start()
    try:
        p = world.teu("sign", "--key", str(world.keys / "teu.key"),
                      ref.replace(world.reg.host, ro.host), check=False)
        assert p.returncode != 0 and "Traceback" not in p.stderr
        assert len(p.stderr.strip().splitlines()) <= 2, p.stderr  # the tag warning + the error
        assert "sha256-" in p.stderr or "read" in p.stderr.lower(), p.stderr
    finally:
        ro.stop()
    assert get_manifest(world.reg.url, "readonly", sig_tag(world.digest))[0] == 404
