"""Signatures travel with their image: `teu push` uploads the ones kept in the store
(cosign's tag scheme, merged with what the registry has), `teu save` writes them into
the archive's OCI layout the way `cosign save` does (kind annotations), so that
`cosign verify --local-image` reads an unpacked `teu save`."""

from __future__ import annotations

from teu.trust import layout as L
from teu.trust import local, remote

TYPE_CHECKING = False
if TYPE_CHECKING:
    from teu.image.store import Store, StoreImage


def push_signatures(store: Store, subject: str, repo) -> list[str]:  # noqa: ANN001
    """Upload the store's signatures and attestations of `subject`; the tags written."""
    pushed = []
    for kind in ("sig", "att"):
        img = local.load(store, subject, kind)
        if img is None or not img.layers:
            continue
        tag, _ = remote.write_tag(repo, subject, img.layers, kind)
        pushed.append(tag)
    return pushed


def save_attachments(store: Store):  # noqa: ANN201
    """For teu.image.tarball.save: per image, (annotations for its index entry, extra
    index entries, their blobs)."""
    def attach(img: StoreImage) -> tuple[dict, list[dict], dict[str, bytes]]:
        entries: list[dict] = []
        blobs: dict[str, bytes] = {}
        for kind in ("sig", "att"):
            raw = local.raw_manifest(store, img.row.manifest, kind)
            if raw is None:
                continue
            from teu.oci import digest as D
            from teu.trust import sigimage as S

            sig = S.load(raw, lambda d, n: store.blobs.read(d), f"{kind} of {img.row.manifest}")
            built = sig.build()
            blobs.update(built.blobs())
            blobs[str(D.compute(raw))] = raw
            entries.append({"mediaType": S.OCI_MANIFEST, "size": len(raw),
                            "digest": str(D.compute(raw)),
                            "annotations": {L.KIND: L.KIND_OF[kind]}})
        return ({L.KIND: L.KIND_IMAGE} if entries else {}), entries, blobs
    return attach


def load_attachments(store: Store):  # noqa: ANN201
    """For teu.image.tarball.load: signature entries of an archive (teu save's, cosign
    save's) are kept in the store with the image each signature names."""
    def attach(kind: str, raw: bytes, read_blob) -> None:  # noqa: ANN001
        from teu.trust import dsse, payload
        from teu.trust import sigimage as S
        from teu.trust.errors import TrustError

        img = S.load(raw, read_blob, "archive signatures")
        by_subject: dict[str, list[S.Layer]] = {}
        for layer in img.layers:
            try:
                if layer.media_type == payload.MEDIA_TYPE:
                    subject = payload.parse(layer.data).digest
                elif layer.media_type == dsse.MEDIA_TYPE:
                    subject = dsse.subject_digest(layer.data)
                else:
                    continue
            except TrustError:
                continue  # unreadable claims: nothing to file it under; verify would refuse
            by_subject.setdefault(subject, []).append(layer)
        short = "sig" if kind == L.KIND_SIGS else "att"
        for subject, layers in by_subject.items():
            if local.image_for(store, subject):
                local.attach(store, subject, layers, short)
    return attach
