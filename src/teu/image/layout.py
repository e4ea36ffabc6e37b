"""OCI image layouts (a directory: oci-layout, index.json, blobs/<alg>/<hex>).

Reading: `LayoutReader(dir)` opens blobs and finds images by their
org.opencontainers.image.ref.name annotation. Writing: `LayoutWriter` puts
blobs (idempotent, verified) and writes index.json last, so a layout is
only complete once its index names it.
"""

from __future__ import annotations

import json
import os
from typing import IO

from teu.image.errors import ImageError, ImageNotFound
from teu.image.types import SourceImage, SourceIndex
from teu.oci import digest as D
from teu.oci import media_types as MT
from teu.oci.descriptor import Descriptor

REF_NAME = "org.opencontainers.image.ref.name"
CONTAINERD_NAME = "io.containerd.image.name"
LAYOUT_VERSION = b'{"imageLayoutVersion":"1.0.0"}'


class LayoutReader:
    def __init__(self, path: str) -> None:
        self.path = path
        try:
            with open(os.path.join(path, "index.json"), "rb") as f:
                self.raw_index = f.read()
        except FileNotFoundError:
            raise ImageError(f"{path}: not an OCI layout (no index.json)") from None
        self.index = SourceIndex(self.raw_index, self.open_blob, MT.OCI_INDEX,
                                 name=path).index()

    def open_blob(self, desc: Descriptor, offset: int = 0) -> tuple[IO[bytes], int]:
        dg = D.parse(desc.digest, registered_only=True)
        try:
            f = open(os.path.join(self.path, "blobs", dg.algorithm, dg.encoded), "rb")  # noqa: SIM115
        except FileNotFoundError:
            raise ImageError(f"{self.path}: blob {dg} is missing") from None
        if offset:
            f.seek(offset)
        return f, offset

    def find(self, ref: str | None = None) -> Descriptor:
        """The index entry whose ref name is `ref` (the only entry if ref is None)."""
        entries = self.index.manifests
        if ref is None:
            if len(entries) != 1:
                raise ImageError(f"{self.path}: holds {len(entries)} images; name one")
            return entries[0]
        for d in entries:
            ann = d.annotations or {}
            if ref in (ann.get(REF_NAME), ann.get(CONTAINERD_NAME)) or ref == d.digest:
                return d
        raise ImageNotFound(f"{self.path}: no image named {ref!r}")

    def image(self, desc: Descriptor, platform=None) -> SourceImage:
        from teu.image.types import read_all

        raw = read_all(self.open_blob, desc, f"{self.path}: manifest")
        if desc.media_type in MT.INDEXES:
            idx = SourceIndex(raw, self.open_blob, desc.media_type, name=self.path)
            return idx.image(idx.index().select(platform))
        return SourceImage(raw, self.open_blob, desc.media_type, name=self.path)


class LayoutWriter:
    def __init__(self, path: str) -> None:
        self.path = path
        self.manifests: list[dict] = []
        os.makedirs(os.path.join(path, "blobs", "sha256"), exist_ok=True)
        with open(os.path.join(path, "oci-layout"), "wb") as f:
            f.write(LAYOUT_VERSION)

    def put(self, data: bytes) -> D.Digest:
        dg = D.compute(data)
        path = os.path.join(self.path, "blobs", "sha256", dg.encoded)
        if not os.path.exists(path):
            with open(path + ".tmp", "wb") as f:
                f.write(data)
            os.rename(path + ".tmp", path)
        return dg

    def put_stream(self, digest: str, stream: IO[bytes]) -> None:
        dg = D.parse(digest, registered_only=True)
        path = os.path.join(self.path, "blobs", dg.algorithm, dg.encoded)
        if os.path.exists(path):
            return
        v = D.Verifier(dg)
        with open(path + ".tmp", "wb") as f:
            while block := stream.read(1 << 20):
                v.update(block)
                f.write(block)
        v.check(f"blob {dg}")
        os.rename(path + ".tmp", path)

    def add(self, desc: Descriptor, ref_name: str | None = None,
            full_name: str | None = None) -> None:
        d = desc.to_dict()
        ann = dict(d.get("annotations") or {})
        if full_name:
            ann[CONTAINERD_NAME] = full_name
        if ref_name:
            ann[REF_NAME] = ref_name
        if ann:
            d["annotations"] = ann
        self.manifests.append(d)

    def finish(self) -> None:
        index = {"schemaVersion": 2, "mediaType": MT.OCI_INDEX, "manifests": self.manifests}
        with open(os.path.join(self.path, "index.json"), "w") as f:
            json.dump(index, f)
