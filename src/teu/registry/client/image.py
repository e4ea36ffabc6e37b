"""A remote image through teu.image.types: manifest, index and platform choice.

An index (OCI index or Docker manifest list) is resolved to the manifest for
the wanted platform (default: this host's); a single manifest is taken as it
is, but refused if a platform was asked for explicitly and its config says
another one (docker's "does not match the specified platform").
"""

from __future__ import annotations

from dataclasses import dataclass

from teu.image.errors import ImageError
from teu.image.types import SourceImage
from teu.oci import media_types as MT
from teu.oci.descriptor import Descriptor
from teu.oci.errors import ImageSpecError
from teu.oci.index import Index
from teu.oci.platform import Platform
from teu.oci.validate import detect_media_type
from teu.registry.client.remote import Repository


@dataclass
class Resolved:
    image: SourceImage
    digest: str                 # what the reference resolved to (the index's, for an index)
    index_raw: bytes | None     # the index, kept in the store beside the image


def opener(repo: Repository):
    def open_blob(desc: Descriptor, offset: int = 0):
        return repo.open_blob(desc.digest, offset)
    return open_blob


def resolve(repo: Repository, identifier: str, platform: Platform | None, name: str) -> Resolved:
    raw, media_type, digest = repo.get_manifest(identifier, what=name)
    kind = media_type if media_type in MT.MANIFESTS else detect_media_type(raw)
    if kind in MT.INDEXES:
        try:
            index = Index.from_json(raw, kind)
            desc = index.select(platform)
        except ImageSpecError as e:
            raise ImageError(f"{name}: {e}") from None
        mraw, mtype, _ = repo.get_manifest(desc.digest, what=f"{name}@{desc.digest}")
        return Resolved(SourceImage(mraw, opener(repo), mtype or desc.media_type, name),
                        digest, raw)
    image = SourceImage(raw, opener(repo), kind, name)
    if platform is not None:
        cfg = image.config_file().platform
        if not cfg.matches(platform):
            raise ImageError(f"{name}: image was found but does not match the specified "
                             f"platform: wanted {platform}, actual: {cfg}")
    return Resolved(image, digest, None)
