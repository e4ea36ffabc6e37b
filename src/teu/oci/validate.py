"""Manifest validation any store or registry can run before accepting a document.

In the spirit of go-containerregistry's validate: parse by media type, check
every descriptor, and return the parsed document so the caller can check
that what it references exists.
"""

from __future__ import annotations

import json

from teu.oci import _fields as F
from teu.oci import media_types as MT
from teu.oci.errors import ImageSpecError
from teu.oci.index import Index
from teu.oci.manifest import Manifest

# The distribution spec lets registries refuse manifests over 4 MiB; so does teu.
MAX_MANIFEST_SIZE = 4 * 1024 * 1024


def detect_media_type(data: bytes) -> str | None:
    """The document's own mediaType, or a guess from its shape (OCI allows omitting it)."""
    try:
        d = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(d, dict):
        return None
    mt = d.get("mediaType")
    if isinstance(mt, str):
        return mt
    if d.get("schemaVersion") == 1:
        return MT.DOCKER_MANIFEST_V1
    if "manifests" in d:
        return MT.OCI_INDEX
    if "config" in d:
        return MT.OCI_MANIFEST
    return None


def validate_manifest(data: bytes, media_type: str | None,
                      max_size: int = MAX_MANIFEST_SIZE) -> Manifest | Index:
    """Parse and check a manifest or index; raise ImageSpecError naming what is wrong.

    `media_type` is the one the transport declared (Content-Type); None or a
    generic JSON type means "take it from the document".
    """
    if len(data) > max_size:
        raise ImageSpecError(f"manifest: {len(data)} bytes exceeds the limit of {max_size}")
    if media_type in (None, "", "application/json", "application/octet-stream"):
        media_type = None
    else:
        media_type = media_type.split(";")[0].strip()
    d = F.load_object(data, "manifest")
    declared = d.get("mediaType")
    kind = media_type or (declared if isinstance(declared, str) else None) \
        or detect_media_type(data)
    if kind in (MT.DOCKER_MANIFEST_V1, MT.DOCKER_MANIFEST_V1_SIGNED):
        raise ImageSpecError("manifest: Docker schema 1 is not supported")
    if kind in MT.IMAGE_MANIFESTS:
        m: Manifest | Index = Manifest.from_dict(d, media_type)
        m.raw = bytes(data)
        _check_image_manifest(m)  # type: ignore[arg-type]
        return m
    if kind in MT.INDEXES:
        i = Index.from_dict(d, media_type)
        i.raw = bytes(data)
        return i
    raise ImageSpecError(f"manifest: unsupported media type {kind!r}")


def _check_image_manifest(m: Manifest) -> None:
    if m.media_type == MT.DOCKER_MANIFEST:
        if m.config.media_type not in (MT.DOCKER_CONFIG, MT.DOCKER_PLUGIN_CONFIG, MT.OCI_CONFIG):
            # Docker tooling accepts only these; other configs are OCI artifacts.
            raise ImageSpecError(
                f"manifest.config.mediaType: {m.config.media_type!r} in a Docker schema 2 manifest")
    if m.config.media_type == MT.OCI_EMPTY and not m.artifact_type:
        raise ImageSpecError("manifest.artifactType: required when config is the empty descriptor")
