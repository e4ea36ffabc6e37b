"""Attestations: in-toto statements in DSSE envelopes, as `cosign attest` writes them.

    envelope  {"payloadType": "application/vnd.in-toto+json", "payload": b64(statement),
               "signatures": [{"keyid": "", "sig": b64(ECDSA over PAE)}]}
    PAE       "DSSEv1 <len(type)> <type> <len(payload)> <payload>" (the bytes signed)
    statement {"_type": "https://in-toto.io/Statement/v0.1", "predicateType": ...,
               "subject": [{"name": repo, "digest": {"sha256": hex}}], "predicate": {...}}

In the signature image each envelope is a layer of mediaType
application/vnd.dsse.envelope.v1+json with annotations
dev.cosignproject.cosign/signature "" and predicateType.
"""

from __future__ import annotations

import binascii

from teu import fastjson
from teu.trust.errors import TrustError

MEDIA_TYPE = "application/vnd.dsse.envelope.v1+json"
PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_TYPE = "https://in-toto.io/Statement/v0.1"

# cosign's --type shorthands (pkg/cosign/attestation); anything else must be a URI.
PREDICATE_TYPES = {
    "slsaprovenance": "https://slsa.dev/provenance/v0.2",
    "slsaprovenance02": "https://slsa.dev/provenance/v0.2",
    "slsaprovenance1": "https://slsa.dev/provenance/v1",
    "link": "https://in-toto.io/Link/v1",
    "spdx": "https://spdx.dev/Document",
    "spdxjson": "https://spdx.dev/Document",
    "cyclonedx": "https://cyclonedx.org/bom",
    "vuln": "https://cosign.sigstore.dev/attestation/vuln/v1",
    "openvex": "https://openvex.dev/ns",
    "custom": "https://cosign.sigstore.dev/attestation/v1",
}


def predicate_type(kind: str) -> str:
    if kind in PREDICATE_TYPES:
        return PREDICATE_TYPES[kind]
    if "://" in kind:
        return kind
    raise TrustError(f"--type {kind!r}: not one of {', '.join(sorted(PREDICATE_TYPES))} "
                     "nor a URI")


def pae(payload_type: str, payload: bytes) -> bytes:
    t = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)


def statement(subject_name: str, digest: str, ptype: str, predicate: object) -> bytes:
    algo, _, hexpart = digest.partition(":")
    doc = {"_type": STATEMENT_TYPE, "predicateType": ptype,
           "subject": [{"name": subject_name, "digest": {algo: hexpart}}],
           "predicate": predicate}
    return fastjson.dumps(doc).encode()


def envelope(private_key, body: bytes) -> bytes:  # noqa: ANN001
    from teu.trust.payload import sign

    sig = sign(private_key, pae(PAYLOAD_TYPE, body))
    doc = {"payloadType": PAYLOAD_TYPE, "payload":
           binascii.b2a_base64(body, newline=False).decode(),
           "signatures": [{"keyid": "", "sig": sig}]}
    return fastjson.dumps(doc).encode()


def open_envelope(public_key, raw: bytes) -> tuple[dict | None, str]:  # noqa: ANN001
    """(the statement, "") when one of the envelope's signatures is the key's; else
    (None, why not)."""
    from teu.trust.payload import check_signature

    try:
        env = fastjson.loads(raw)
        ptype = env["payloadType"]
        body = binascii.a2b_base64(env["payload"], strict_mode=True)
        sigs = [s["sig"] for s in env.get("signatures") or []]
    except (ValueError, KeyError, TypeError):
        return None, "attestation is not a DSSE envelope"
    if ptype != PAYLOAD_TYPE:
        return None, f"attestation payloadType {ptype!r} is not in-toto"
    why = "attestation has no signatures"
    for s in sigs:
        why = check_signature(public_key, pae(ptype, body), s) or ""
        if not why:
            try:
                return fastjson.loads(body), ""
            except ValueError:
                return None, "attestation payload is not JSON"
    return None, why


def subject_digest(raw: bytes) -> str:
    """The first subject's digest ("sha256:...") an envelope's statement claims (unverified:
    to file it under its image; verification happens when it is used)."""
    try:
        env = fastjson.loads(raw)
        st = fastjson.loads(binascii.a2b_base64(env["payload"]))
        algo, hexpart = next(iter(st["subject"][0]["digest"].items()))
    except (ValueError, KeyError, TypeError, IndexError, StopIteration, AttributeError):
        raise TrustError("attestation is not a DSSE envelope of an in-toto statement") from None
    return f"{algo}:{hexpart}"
