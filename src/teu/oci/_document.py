"""What the image spec's JSON documents (manifest, index, image config) share.

Each keeps the exact bytes it was read from (`raw`): its digest is of those
bytes, never of a re-serialisation. A new one is serialised once, compactly.
Manifests and indexes also share their envelope: schemaVersion, mediaType,
artifactType, subject, annotations.
"""

from __future__ import annotations

from typing import Any

from teu.oci import _fields as F
from teu.oci import digest as D
from teu.oci import media_types as MT
from teu.oci.descriptor import Descriptor
from teu.oci.errors import ImageSpecError


class Document:
    """Mixin for a dataclass with a `raw: bytes | None` field and a to_dict()."""

    raw: bytes | None
    to_dict: Any

    def to_json(self) -> bytes:
        """The bytes this document was read from, or a compact serialisation of a new one."""
        if self.raw is None:
            self.raw = F.dumps(self.to_dict())
        return self.raw

    @property
    def digest(self) -> D.Digest:
        return D.compute(self.to_json())


def read_media_type(d: dict[str, Any], path: str, allowed: frozenset[str] | set[str],
                    kind: str, transport: str | None) -> str | None:
    """Check schemaVersion (2) and mediaType (one of `allowed`, and what the transport said)."""
    sv = F.opt_int(d, "schemaVersion", path)
    if sv != 2:
        raise ImageSpecError(f"{path}.schemaVersion: must be 2, got {d.get('schemaVersion')!r}")
    mt = F.opt_str(d, "mediaType", path)
    if mt is not None and mt not in allowed:
        raise ImageSpecError(f"{path}.mediaType: {mt!r} is not an {kind} type")
    if mt is not None and transport and transport != mt:
        raise ImageSpecError(f"{path}.mediaType: {mt!r} differs from content type {transport!r}")
    return mt


def read_artifact_type(d: dict[str, Any], path: str) -> str | None:
    artifact_type = F.opt_str(d, "artifactType", path)
    if artifact_type is not None and not MT.is_valid(artifact_type):
        raise ImageSpecError(f"{path}.artifactType: invalid media type {artifact_type[:100]!r}")
    return artifact_type


def read_subject(d: dict[str, Any], path: str) -> Descriptor | None:
    subject = d.get("subject")
    return Descriptor.from_dict(subject, f"{path}.subject") if subject is not None else None


def envelope(doc: Any, body: dict[str, Any]) -> dict[str, Any]:
    """schemaVersion, mediaType, artifactType, then `body`, subject, annotations, extra."""
    d: dict[str, Any] = {"schemaVersion": doc.schema_version}
    if doc.media_type:
        d["mediaType"] = doc.media_type
    if doc.artifact_type:
        d["artifactType"] = doc.artifact_type
    d.update(body)
    if doc.subject is not None:
        d["subject"] = doc.subject.to_dict()
    if doc.annotations:
        d["annotations"] = dict(doc.annotations)
    d.update(doc.extra)
    return d
