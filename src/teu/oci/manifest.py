"""Image manifests: OCI image manifest v1 and Docker schema 2 (same shape).

A manifest keeps the exact bytes it was parsed from: its digest is of those
bytes, never of a re-serialisation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from teu.oci import _fields as F
from teu.oci import digest as D
from teu.oci import media_types as MT
from teu.oci.descriptor import Descriptor
from teu.oci.errors import ImageSpecError


@dataclass
class Manifest:
    config: Descriptor
    layers: list[Descriptor]
    media_type: str | None = MT.OCI_MANIFEST
    schema_version: int = 2
    subject: Descriptor | None = None
    artifact_type: str | None = None
    annotations: dict[str, str] | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    raw: bytes | None = field(default=None, compare=False, repr=False)

    _KNOWN = frozenset({"schemaVersion", "mediaType", "config", "layers", "subject",
                        "artifactType", "annotations"})

    @classmethod
    def from_json(cls, data: bytes, media_type: str | None = None) -> Manifest:
        """Parse `data`; `media_type` is what the transport (Content-Type) said, if anything."""
        d = F.load_object(data, "manifest")
        m = cls.from_dict(d, media_type)
        m.raw = bytes(data)
        return m

    @classmethod
    def from_dict(cls, d: dict[str, Any], media_type: str | None = None) -> Manifest:
        path = "manifest"
        sv = F.opt_int(d, "schemaVersion", path)
        if sv != 2:
            raise ImageSpecError(f"{path}.schemaVersion: must be 2, got {d.get('schemaVersion')!r}")
        mt = F.opt_str(d, "mediaType", path)
        if mt is not None and mt not in MT.IMAGE_MANIFESTS:
            raise ImageSpecError(f"{path}.mediaType: {mt!r} is not an image manifest type")
        if mt is not None and media_type and media_type != mt:
            raise ImageSpecError(f"{path}.mediaType: {mt!r} differs from content type {media_type!r}")
        effective = mt or media_type or MT.OCI_MANIFEST
        if effective == MT.DOCKER_MANIFEST and mt is None:
            raise ImageSpecError(f"{path}.mediaType: required for Docker schema 2")
        if "config" not in d:
            raise ImageSpecError(f"{path}.config: required")
        config = Descriptor.from_dict(d["config"], f"{path}.config")
        raw_layers = F.obj_list(d, "layers", path)
        if raw_layers is None:
            raise ImageSpecError(f"{path}.layers: required")
        layers = [Descriptor.from_dict(x, f"{path}.layers[{i}]") for i, x in enumerate(raw_layers)]
        subject = d.get("subject")
        artifact_type = F.opt_str(d, "artifactType", path)
        if artifact_type is not None and not MT.is_valid(artifact_type):
            raise ImageSpecError(f"{path}.artifactType: invalid media type {artifact_type[:100]!r}")
        # The spec: artifactType MUST be set when config is the empty descriptor.
        return cls(
            config=config, layers=layers, media_type=mt, schema_version=2,
            subject=Descriptor.from_dict(subject, f"{path}.subject") if subject is not None else None,
            artifact_type=artifact_type,
            annotations=F.str_map(d, "annotations", path),
            extra={k: v for k, v in d.items() if k not in cls._KNOWN},
        )

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"schemaVersion": self.schema_version}
        if self.media_type:
            d["mediaType"] = self.media_type
        if self.artifact_type:
            d["artifactType"] = self.artifact_type
        d["config"] = self.config.to_dict()
        d["layers"] = [x.to_dict() for x in self.layers]
        if self.subject is not None:
            d["subject"] = self.subject.to_dict()
        if self.annotations:
            d["annotations"] = dict(self.annotations)
        d.update(self.extra)
        return d

    def to_json(self) -> bytes:
        """The bytes this manifest was read from, or a compact serialisation of a new one."""
        if self.raw is None:
            self.raw = F.dumps(self.to_dict())
        return self.raw

    @property
    def digest(self) -> D.Digest:
        return D.compute(self.to_json())

    def descriptor(self) -> Descriptor:
        data = self.to_json()
        return Descriptor(media_type=self.media_type or MT.OCI_MANIFEST, digest=D.compute(data),
                          size=len(data), artifact_type=self.effective_artifact_type(),
                          annotations=self.annotations)

    def effective_artifact_type(self) -> str | None:
        """artifactType, or the config's media type as the referrers API reports it."""
        return self.artifact_type or self.config.media_type

    def references(self) -> list[Descriptor]:
        """Blobs this manifest needs in the same repository (config and layers)."""
        return [self.config, *self.layers]
