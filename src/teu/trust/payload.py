"""cosign's simple-signing payload: what a signature signs (containers/image's format).

    {"critical": {"identity": {"docker-reference": "registry/repo"},
                  "image": {"docker-manifest-digest": "sha256:..."},
                  "type": "cosign container image signature"},
     "optional": {annotations} | null}

The docker-reference is the repository without tag or digest, as cosign writes it
(go-containerregistry's Repository.Name: docker.io is spelled index.docker.io).
"""

from __future__ import annotations

from teu import fastjson
from teu.trust.errors import TrustError

SIGNATURE_TYPE = "cosign container image signature"
MEDIA_TYPE = "application/vnd.dev.cosign.simplesigning.v1+json"


class Payload:
    """A parsed simple-signing payload (a plain class: no dataclasses import on verify)."""

    __slots__ = ("docker_reference", "digest", "optional", "raw")

    def __init__(self, docker_reference: str, digest: str, optional: dict | None,
                 raw: bytes) -> None:
        self.docker_reference = docker_reference
        self.digest = digest
        self.optional = optional
        self.raw = raw

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Payload) and self.raw == other.raw and \
            self.docker_reference == other.docker_reference and self.digest == other.digest

    def to_json(self) -> dict:
        return fastjson.loads(self.raw)


def identity_of(domain: str, path: str) -> str:
    """The docker-reference cosign writes for a repository."""
    return f"{'index.docker.io' if domain == 'docker.io' else domain}/{path}"


def make(docker_reference: str, digest: str, annotations: dict[str, str] | None = None) -> bytes:
    doc = {"critical": {"identity": {"docker-reference": docker_reference},
                        "image": {"docker-manifest-digest": digest},
                        "type": SIGNATURE_TYPE},
           "optional": dict(annotations) if annotations else None}
    return fastjson.dumps(doc).encode()


def parse(raw: bytes) -> Payload:
    """The payload's claims; TrustError when it is not cosign's simple signing JSON."""
    try:
        doc = fastjson.loads(raw)
        crit = doc["critical"]
        kind = crit["type"]
        digest = crit["image"]["docker-manifest-digest"]
        ident = (crit.get("identity") or {}).get("docker-reference") or ""
        optional = doc.get("optional")
    except (ValueError, KeyError, TypeError, AttributeError):
        raise TrustError("signature payload is not a simple signing document") from None
    if kind != SIGNATURE_TYPE:
        raise TrustError(f"signature payload has type {kind!r}, not {SIGNATURE_TYPE!r}")
    if not isinstance(digest, str) or not isinstance(ident, str):
        raise TrustError("signature payload: malformed identity or digest")
    return Payload(ident, digest, optional if isinstance(optional, dict) else None, raw)


def sign(private_key, data: bytes) -> str:  # noqa: ANN001
    """Base64 of the ASN.1 DER ECDSA-P256/SHA-256 signature of `data` (cosign's)."""
    import base64

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    return base64.b64encode(private_key.sign(data, ec.ECDSA(hashes.SHA256()))).decode()


def check_signature(public_key, data: bytes, signature_b64: str) -> str | None:  # noqa: ANN001
    """None when `signature_b64` is `public_key`'s signature of `data`, else why not."""
    import base64
    import binascii

    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    try:
        sig = base64.b64decode(signature_b64, validate=True)
    except (binascii.Error, ValueError):
        return "signature is not base64"
    try:
        try:
            public_key.verify(sig, data, _verify_ecdsa(ec)(hashes.SHA256()))
        except (TypeError, AttributeError):  # a cryptography that wants its own ECDSA
            public_key.verify(sig, data, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return "invalid signature when validating ASN.1 encoded signature"
    return None


_VERIFY_ECDSA: list = []


def _verify_ecdsa(ec):  # noqa: ANN001, ANN202
    """ec.ECDSA for verification: cryptography's ECDSA.__init__ imports the whole
    OpenSSL backend module (RSA, padding, ciphers, random) only to check
    deterministic signing, which verification never uses. The signature check
    itself is cryptography's, which reads the `algorithm` property."""
    if not _VERIFY_ECDSA:
        class VerifyECDSA(ec.ECDSA):
            def __init__(self, algorithm: object) -> None:
                self._teu_algorithm = algorithm

            @property
            def algorithm(self):  # noqa: ANN201
                return self._teu_algorithm

        _VERIFY_ECDSA.append(VerifyECDSA)
    return _VERIFY_ECDSA[0]
