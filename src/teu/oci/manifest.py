"""Image manifests: OCI image manifest v1 and Docker schema 2 (same shape).

A manifest keeps the exact bytes it was parsed from: its digest is of those
bytes, never of a re-serialisation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from teu.oci import _document as DOC
from teu.oci import _fields as F
from teu.oci import digest as D
from teu.oci import media_types as MT
from teu.oci.descriptor import Descriptor
from teu.oci.errors import ImageSpecError


@dataclass
class Manifest(DOC.Document):
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
        mt = DOC.read_media_type(d, path, MT.IMAGE_MANIFESTS, "image manifest", media_type)
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
        artifact_type = DOC.read_artifact_type(d, path)
        # The spec: artifactType MUST be set when config is the empty descriptor.
        return cls(
            config=config, layers=layers, media_type=mt, schema_version=2,
            subject=DOC.read_subject(d, path),
            artifact_type=artifact_type,
            annotations=F.str_map(d, "annotations", path),
            extra={k: v for k, v in d.items() if k not in cls._KNOWN},
        )

    def to_dict(self) -> dict[str, Any]:
        return DOC.envelope(self, {"config": self.config.to_dict(),
                                   "layers": [x.to_dict() for x in self.layers]})

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
