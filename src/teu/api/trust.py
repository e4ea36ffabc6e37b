"""Signatures and the trust policy from Python: what `teu key/sign/verify/attest` do.

    from teu.api import trust
    trust.generate_key_pair("cosign", password=b"...")
    trust.sign("127.0.0.1:5000/app@sha256:...", key="cosign.key", password=b"...")
    trust.verify("127.0.0.1:5000/app:v1", key="cosign.pub")   # [payload dicts]

Images are named as on the command line: a registry reference, a local store image,
or `local_image=DIR` for an OCI layout. Failures raise teu.trust.errors' TrustError
subclasses (exit_code: cosign's 10, 11, 12, or 1), with the CLI's one-line messages.
"""

from __future__ import annotations

from typing import Any


def generate_key_pair(prefix: str = "cosign", *, password: bytes) -> tuple[str, str]:
    """Write PREFIX.key and PREFIX.pub in cosign's format; returns their paths."""
    from teu.trust import keys

    return keys.write_pair(keys.generate(password), prefix)


def _target(image: str | None, local_image: str | None, st, tls_verify):  # noqa: ANN001, ANN202
    from teu.trust.target import resolve

    return resolve(image, local_image=local_image, store=st, tls_verify=tls_verify)


def sign(image: str | None = None, *, key: str, password: bytes,
         local_image: str | None = None, annotations: dict[str, str] | None = None,
         referrers: bool = False, root: str | None = None,
         tls_verify: bool | None = None) -> str:
    """Sign the image's digest; returns where the signature went."""
    from teu.image.store import Store
    from teu.trust import keys
    from teu.trust import sign as S

    private = keys.load_private(key, password)
    with Store(root) as st:
        return S.sign(_target(image, local_image, st, tls_verify), private, annotations,
                      referrers, store=st)


def verify(image: str | None = None, *, key: str, local_image: str | None = None,
           root: str | None = None, tls_verify: bool | None = None) -> list[dict[str, Any]]:
    """The verified simple-signing payloads (cosign verify's JSON), or TrustError."""
    from teu.image.store import Store
    from teu.trust import keys
    from teu.trust import sign as S

    public = keys.load_public(key)
    with Store(root) as st:
        return [p.to_json() for p in S.verify(_target(image, local_image, st, tls_verify),
                                              public)]


def attest(image: str | None = None, *, key: str, password: bytes, predicate: object,
           predicate_type: str = "custom", local_image: str | None = None,
           root: str | None = None, tls_verify: bool | None = None) -> str:
    from teu.image.store import Store
    from teu.trust import dsse, keys
    from teu.trust import sign as S

    private = keys.load_private(key, password)
    with Store(root) as st:
        return S.attest(_target(image, local_image, st, tls_verify), private, predicate,
                        dsse.predicate_type(predicate_type), store=st)


def verify_attestations(image: str | None = None, *, key: str,
                        predicate_type: str | None = None, local_image: str | None = None,
                        root: str | None = None,
                        tls_verify: bool | None = None) -> list[dict[str, Any]]:
    """The verified in-toto statements."""
    from teu.image.store import Store
    from teu.trust import dsse, keys
    from teu.trust import sign as S

    public = keys.load_public(key)
    ptype = dsse.predicate_type(predicate_type) if predicate_type else None
    with Store(root) as st:
        return S.verify_attestations(_target(image, local_image, st, tls_verify), public, ptype)


def check_policy(image: str, *, policy: str | None = None, root: str | None = None) -> None:
    """Raise PolicyDenied unless the trust policy in force lets a container be made from
    the stored image `image` (what teu run/create check)."""
    from teu.image.store import Store
    from teu.trust.enforce import check_run

    with Store(root) as st:
        image_id = st.lookup(image).id
        store_root = st.root
    check_run(store_root, image, image_id, policy)
