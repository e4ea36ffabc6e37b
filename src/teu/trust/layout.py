"""Signatures in an OCI image layout, the way `cosign save` writes one (pkg/oci/layout).

index.json lists the image and its signature images, told apart by a `kind`
annotation on each entry:

    kind: dev.cosignproject.cosign/image       the signed image (manifest)
          dev.cosignproject.cosign/imageIndex  the signed image (index)
          dev.cosignproject.cosign/sigs        its signature image (simple signing layers)
          dev.cosignproject.cosign/atts        its attestations (DSSE layers)

A layout without kind annotations (skopeo's, teu save's of an unsigned image)
holding one image is taken as that image. Signing writes the new blobs, then
index.json through a temporary file and a rename: never half an index.
"""

from __future__ import annotations

import os

from teu import fastjson
from teu.oci import digest as D
from teu.trust import sigimage as S
from teu.trust.errors import TrustError

KIND = "kind"
KIND_IMAGE = "dev.cosignproject.cosign/image"
KIND_INDEX = "dev.cosignproject.cosign/imageIndex"
KIND_SIGS = "dev.cosignproject.cosign/sigs"
KIND_ATTS = "dev.cosignproject.cosign/atts"
KIND_OF = {"sig": KIND_SIGS, "att": KIND_ATTS}
OCI_INDEX = "application/vnd.oci.image.index.v1+json"


class Layout:
    def __init__(self, path: str) -> None:
        self.path = path
        try:
            with open(os.path.join(path, "index.json"), "rb") as f:
                self.index = fastjson.loads(f.read())
            self.entries: list[dict] = list(self.index["manifests"])
        except FileNotFoundError:
            raise TrustError(f"{path}: not an OCI layout (no index.json)") from None
        except (ValueError, KeyError, TypeError):
            raise TrustError(f"{path}/index.json: not an OCI image index") from None

    def blob_path(self, digest: str) -> str:
        dg = D.parse(digest, registered_only=True)
        return os.path.join(self.path, "blobs", dg.algorithm, dg.encoded)

    def read_blob(self, digest: str, size: int = -1) -> bytes:
        try:
            with open(self.blob_path(digest), "rb") as f:
                data = f.read()
        except FileNotFoundError:
            raise TrustError(f"{self.path}: blob {digest} is missing") from None
        if str(D.compute(data)) != digest:
            raise TrustError(f"{self.path}: blob {digest} does not match its digest (tampered?)")
        return data

    def image(self) -> dict:
        """The signed image's index entry (cosign's kind annotation, else the only image)."""
        for e in self.entries:
            if (e.get("annotations") or {}).get(KIND) in (KIND_IMAGE, KIND_INDEX):
                return e
        plain = [e for e in self.entries if (e.get("annotations") or {}).get(KIND) is None]
        if len(plain) != 1:
            raise TrustError(f"{self.path}: holds {len(plain)} images and none is marked "
                             f"{KIND}={KIND_IMAGE}")
        return plain[0]

    def signatures(self, kind: str = "sig") -> list[S.SignatureImage]:
        out = []
        for e in self.entries:
            if (e.get("annotations") or {}).get(KIND) == KIND_OF[kind]:
                raw = self.read_blob(e["digest"])
                out.append(S.load(raw, self.read_blob, f"{self.path}: {kind} {e['digest']}"))
        return out

    def add(self, layers: list[S.Layer], kind: str = "sig") -> bool:
        """Add layers to the layout's signature image of `kind`; False if all were there."""
        image = self.image()
        ann = dict(image.get("annotations") or {})
        if KIND not in ann:
            ann[KIND] = KIND_INDEX if image.get("mediaType") == OCI_INDEX else KIND_IMAGE
            image["annotations"] = ann
        old = [e for e in self.entries if (e.get("annotations") or {}).get(KIND) == KIND_OF[kind]]
        img = S.SignatureImage()
        for e in old:
            for x in S.load(self.read_blob(e["digest"]), self.read_blob, self.path).layers:
                img.add(x)
        if not any([img.add(x) for x in layers]):
            return False
        built = img.build()
        for data in [*built.blobs().values(), built.manifest]:
            self._put(data)
        self.entries = [e for e in self.entries if e not in old]
        self.entries.append({"mediaType": S.OCI_MANIFEST, "size": len(built.manifest),
                             "digest": built.digest, "annotations": {KIND: KIND_OF[kind]}})
        self.index["manifests"] = self.entries
        tmp = os.path.join(self.path, f".index.json.tmp-{os.getpid()}")
        with open(tmp, "w") as f:
            f.write(fastjson.dumps(self.index))
        os.rename(tmp, os.path.join(self.path, "index.json"))
        return True

    def _put(self, data: bytes) -> None:
        path = self.blob_path(str(D.compute(data)))
        if os.path.exists(path):
            return
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{path}.tmp-{os.getpid()}"
        with open(tmp, "wb") as f:
            f.write(data)
        os.rename(tmp, path)
