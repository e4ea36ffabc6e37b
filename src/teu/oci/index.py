"""Image indexes: OCI image index v1 and Docker manifest lists (same shape)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from teu.oci import _document as DOC
from teu.oci import _fields as F
from teu.oci import digest as D
from teu.oci import media_types as MT
from teu.oci.descriptor import Descriptor
from teu.oci.errors import ImageSpecError
from teu.oci.platform import Platform
from teu.oci.platform import host as host_platform


@dataclass
class Index(DOC.Document):
    manifests: list[Descriptor]
    media_type: str | None = MT.OCI_INDEX
    schema_version: int = 2
    subject: Descriptor | None = None
    artifact_type: str | None = None
    annotations: dict[str, str] | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    raw: bytes | None = field(default=None, compare=False, repr=False)

    _KNOWN = frozenset({"schemaVersion", "mediaType", "manifests", "subject", "artifactType",
                        "annotations"})

    @classmethod
    def from_json(cls, data: bytes, media_type: str | None = None) -> Index:
        d = F.load_object(data, "index")
        i = cls.from_dict(d, media_type)
        i.raw = bytes(data)
        return i

    @classmethod
    def from_dict(cls, d: dict[str, Any], media_type: str | None = None) -> Index:
        path = "index"
        mt = DOC.read_media_type(d, path, MT.INDEXES, "index", media_type)
        raw = F.obj_list(d, "manifests", path)
        if raw is None:
            raise ImageSpecError(f"{path}.manifests: required")
        manifests = [Descriptor.from_dict(x, f"{path}.manifests[{i}]") for i, x in enumerate(raw)]
        artifact_type = DOC.read_artifact_type(d, path)
        return cls(
            manifests=manifests, media_type=mt,
            subject=DOC.read_subject(d, path),
            artifact_type=artifact_type,
            annotations=F.str_map(d, "annotations", path),
            extra={k: v for k, v in d.items() if k not in cls._KNOWN},
        )

    def to_dict(self) -> dict[str, Any]:
        return DOC.envelope(self, {"manifests": [x.to_dict() for x in self.manifests]})

    def descriptor(self) -> Descriptor:
        data = self.to_json()
        return Descriptor(media_type=self.media_type or MT.OCI_INDEX, digest=D.compute(data),
                          size=len(data), artifact_type=self.artifact_type,
                          annotations=self.annotations)

    def references(self) -> list[Descriptor]:
        return list(self.manifests)

    def select(self, wanted: Platform | None = None) -> Descriptor:
        """The first manifest for `wanted` (default: this host), exact variant preferred."""
        wanted = wanted or host_platform()
        candidates = [m for m in self.manifests
                      if m.platform is not None and m.platform.matches(wanted)]
        if not candidates:
            have = ", ".join(str(m.platform) for m in self.manifests if m.platform) or "none"
            raise ImageSpecError(f"index: no manifest for platform {wanted} (has: {have})")
        norm = wanted.normalized()
        for m in candidates:
            if m.platform is not None and m.platform.normalized().variant == norm.variant:
                return m
        return candidates[0]
