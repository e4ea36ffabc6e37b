"""teu.trust's formats as pure logic: cosign's key files, payloads, signature images, DSSE."""

from __future__ import annotations

import base64
import json

import pytest

from teu.trust import dsse, keys, payload, sigimage, verify
from teu.trust.errors import KeyError_, NoMatchingSignature, NoSignatures, TrustError

DIGEST = "sha256:" + "ab" * 32


@pytest.fixture(scope="module")
def pair():
    return keys.generate(b"secret")


def test_private_key_is_cosigns_format(pair):
    text = pair.private_pem.decode()
    assert text.startswith("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n")
    body = "".join(text.splitlines()[1:-1])
    doc = json.loads(base64.b64decode(body))
    assert doc["kdf"]["name"] == "scrypt"
    assert doc["kdf"]["params"] == {"N": 65536, "r": 8, "p": 1}
    assert len(base64.b64decode(doc["kdf"]["salt"])) == 32
    assert doc["cipher"]["name"] == "nacl/secretbox"
    assert len(base64.b64decode(doc["cipher"]["nonce"])) == 24
    assert pair.public_pem.startswith(b"-----BEGIN PUBLIC KEY-----\n")


def test_decrypt_round_trip_and_wrong_password(pair, tmp_path):
    path = tmp_path / "k.key"
    path.write_bytes(pair.private_pem)
    key = keys.load_private(str(path), b"secret")
    assert keys.public_pem(key.public_key()) == pair.public_pem
    with pytest.raises(KeyError_, match="wrong password"):
        keys.load_private(str(path), b"nope")


def test_malformed_key_files(tmp_path):
    bad = tmp_path / "bad.key"
    bad.write_text("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nbm90IGpzb24=\n"
                   "-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n")
    with pytest.raises(KeyError_, match="malformed"):
        keys.load_private(str(bad), b"x")
    (tmp_path / "x.pub").write_text("hello")
    with pytest.raises(KeyError_, match="not a PEM public key"):
        keys.load_public(str(tmp_path / "x.pub"))


def test_write_pair_never_overwrites(pair, tmp_path):
    prefix = str(tmp_path / "cosign")
    keys.write_pair(pair, prefix)
    assert (tmp_path / "cosign.key").stat().st_mode & 0o777 == 0o600
    with pytest.raises(KeyError_, match="already exists"):
        keys.write_pair(pair, prefix)


def test_password_from_environment(monkeypatch):
    monkeypatch.setenv("COSIGN_PASSWORD", "")
    monkeypatch.setenv("TEU_PASSWORD", "other")
    assert keys.password() == b""  # set-but-empty counts, as in cosign
    monkeypatch.delenv("COSIGN_PASSWORD")
    assert keys.password() == b"other"


def test_payload_is_cosigns():
    raw = payload.make("127.0.0.1:5000/demo/img", DIGEST)
    assert raw == (b'{"critical":{"identity":{"docker-reference":"127.0.0.1:5000/demo/img"},'
                   b'"image":{"docker-manifest-digest":"' + DIGEST.encode() +
                   b'"},"type":"cosign container image signature"},"optional":null}')
    p = payload.parse(raw)
    assert (p.docker_reference, p.digest, p.optional) == ("127.0.0.1:5000/demo/img", DIGEST, None)
    assert payload.identity_of("docker.io", "library/busybox") == "index.docker.io/library/busybox"
    with pytest.raises(TrustError):
        payload.parse(b'{"critical":{"type":"something else","image":{}}}')


def _signed_layer(key, body: bytes) -> sigimage.Layer:
    return sigimage.Layer(payload.MEDIA_TYPE, body,
                          {sigimage.SIGNATURE_ANNOTATION: payload.sign(key, body)})


def test_signature_image_layers_and_verify(pair, tmp_path):
    path = tmp_path / "k.key"
    path.write_bytes(pair.private_pem)
    key = keys.load_private(str(path), b"secret")
    pub = keys.load_public(data=pair.public_pem)
    img = sigimage.SignatureImage()
    body = payload.make("r/x", DIGEST)
    assert img.add(_signed_layer(key, body))
    layer = img.layers[0]
    assert not img.add(layer)  # the same signature is not added twice
    other = payload.make("r/x", "sha256:" + "cd" * 32)
    assert img.add(_signed_layer(key, other))
    built = img.build()
    m = json.loads(built.manifest)
    assert m["mediaType"] == sigimage.OCI_MANIFEST and len(m["layers"]) == 2
    assert m["layers"][0]["mediaType"] == "application/vnd.dev.cosign.simplesigning.v1+json"
    cfg = json.loads(built.config)
    assert cfg["rootfs"]["diff_ids"] == [x["digest"] for x in m["layers"]]
    blobs = built.blobs()
    back = sigimage.load(built.manifest, lambda d, n: blobs[d], "test")
    ok = verify.signatures([back], DIGEST, pub, "img")
    assert [p.digest for p in ok] == [DIGEST]


def test_verify_refusals(pair):
    from cryptography.hazmat.primitives.serialization import load_der_private_key

    priv = load_der_private_key(keys.decrypt_private(pair.private_pem, b"secret"), None)
    pub = keys.load_public(data=pair.public_pem)
    other_pub = keys.load_public(data=keys.generate(b"x").public_pem)
    body = payload.make("r/x", DIGEST)
    good = _signed_layer(priv, body)
    with pytest.raises(NoSignatures):
        verify.signatures([], DIGEST, pub, "img")
    with pytest.raises(NoMatchingSignature, match="invalid signature"):
        verify.signatures([sigimage.SignatureImage([good])], DIGEST, other_pub, "img")
    with pytest.raises(NoMatchingSignature, match="signature is for"):
        verify.signatures([sigimage.SignatureImage([good])], "sha256:" + "00" * 32, pub, "img")
    tampered = sigimage.Layer(good.media_type, body.replace(b"r/x", b"r/y"), good.annotations)
    with pytest.raises(NoMatchingSignature, match="invalid signature"):
        verify.signatures([sigimage.SignatureImage([tampered])], DIGEST, pub, "img")


def test_missing_or_tampered_layer_is_refused(pair):
    img = sigimage.SignatureImage([sigimage.Layer(payload.MEDIA_TYPE, b"{}", {})])
    built = img.build()

    def missing(d, n):
        raise FileNotFoundError(d)

    with pytest.raises(TrustError, match="cannot be read"):
        sigimage.load(built.manifest, missing, "sig")
    with pytest.raises(TrustError, match="does not match its digest"):
        sigimage.load(built.manifest, lambda d, n: b"{ }", "sig")


def test_dsse_round_trip(pair):
    from cryptography.hazmat.primitives.serialization import load_der_private_key

    priv = load_der_private_key(keys.decrypt_private(pair.private_pem, b"secret"), None)
    pub = keys.load_public(data=pair.public_pem)
    assert dsse.pae("t", b"ab") == b"DSSEv1 1 t 2 ab"
    ptype = dsse.predicate_type("spdxjson")
    body = dsse.statement("r/x", DIGEST, ptype, {"spdxVersion": "SPDX-2.3"})
    layer = sigimage.Layer(dsse.MEDIA_TYPE, dsse.envelope(priv, body),
                           {sigimage.SIGNATURE_ANNOTATION: "", "predicateType": ptype})
    img = sigimage.SignatureImage([layer])
    st = verify.attestations([img], DIGEST, pub, "img", ptype)
    assert st[0]["predicate"] == {"spdxVersion": "SPDX-2.3"}
    with pytest.raises(TrustError, match="predicate type"):
        verify.attestations([img], DIGEST, pub, "img", dsse.predicate_type("cyclonedx"))
    with pytest.raises(TrustError, match="subject"):
        verify.attestations([img], "sha256:" + "00" * 32, pub, "img")
    with pytest.raises(TrustError):
        dsse.predicate_type("nonsense")


def test_public_key_fast_path_matches_cryptography(pair):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    fast = keys.load_public(data=pair.public_pem)
    slow = serialization.load_pem_public_key(pair.public_pem)
    assert fast.public_numbers() == slow.public_numbers()
    # Another curve goes through cryptography's loader.
    p384 = ec.generate_private_key(ec.SECP384R1()).public_key()
    assert keys.load_public(data=keys.public_pem(p384)).curve.name == "secp384r1"
    # A point off the curve is refused, not trusted.
    bad = base64.b64encode(keys.P256_SPKI_PREFIX + b"\x04" + b"\x01" * 64).decode()
    pem = f"-----BEGIN PUBLIC KEY-----\n{bad}\n-----END PUBLIC KEY-----\n".encode()
    with pytest.raises(KeyError_, match="not a valid P-256"):
        keys.load_public(data=pem)
