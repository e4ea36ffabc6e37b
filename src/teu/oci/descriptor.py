"""Descriptors: what one document says about another (media type, digest, size)."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any

from teu.oci import _fields as F
from teu.oci import digest as D
from teu.oci import media_types as MT
from teu.oci.errors import ImageSpecError
from teu.oci.platform import Platform


@dataclass
class Descriptor:
    media_type: str
    digest: D.Digest
    size: int
    urls: list[str] | None = None
    annotations: dict[str, str] | None = None
    data: bytes | None = None
    platform: Platform | None = None
    artifact_type: str | None = None
    # Fields this version does not know, kept so a round trip loses nothing.
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    _KNOWN = frozenset({"mediaType", "digest", "size", "urls", "annotations", "data",
                        "platform", "artifactType"})

    @classmethod
    def from_dict(cls, d: Any, path: str = "descriptor") -> Descriptor:
        d = F.obj(d, path)
        media_type = F.req_str(d, "mediaType", path)
        if not MT.is_valid(media_type):
            raise ImageSpecError(f"{path}.mediaType: invalid media type {media_type[:100]!r}")
        dg = D.parse(F.req_str(d, "digest", path), f"{path}.digest")
        size = F.opt_int(d, "size", path)
        if size is None:
            raise ImageSpecError(f"{path}.size: required")
        if size < 0:
            raise ImageSpecError(f"{path}.size: must not be negative")
        data = None
        raw_data = F.opt_str(d, "data", path)
        if raw_data is not None:
            try:
                data = base64.b64decode(raw_data, validate=True)
            except (binascii.Error, ValueError):
                raise ImageSpecError(f"{path}.data: not valid base64") from None
            if len(data) != size:
                raise ImageSpecError(f"{path}.data: length {len(data)} differs from size {size}")
            if D.is_supported(dg.algorithm) and D.compute(data, dg.algorithm) != dg:
                raise ImageSpecError(f"{path}.data: does not match digest {dg}")
        artifact_type = F.opt_str(d, "artifactType", path)
        if artifact_type is not None and not MT.is_valid(artifact_type):
            raise ImageSpecError(f"{path}.artifactType: invalid media type {artifact_type[:100]!r}")
        plat = d.get("platform")
        return cls(
            media_type=media_type, digest=dg, size=size,
            urls=F.str_list(d, "urls", path),
            annotations=F.str_map(d, "annotations", path),
            data=data,
            platform=Platform.from_dict(plat, f"{path}.platform") if plat is not None else None,
            artifact_type=artifact_type,
            extra={k: v for k, v in d.items() if k not in cls._KNOWN},
        )

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"mediaType": self.media_type, "digest": str(self.digest),
                             "size": self.size}
        if self.urls:
            d["urls"] = list(self.urls)
        if self.annotations:
            d["annotations"] = dict(self.annotations)
        if self.data is not None:
            d["data"] = base64.b64encode(self.data).decode()
        if self.platform is not None:
            d["platform"] = self.platform.to_dict()
        if self.artifact_type:
            d["artifactType"] = self.artifact_type
        d.update(self.extra)
        return d

    @classmethod
    def for_bytes(cls, media_type: str, content: bytes, **kw: Any) -> Descriptor:
        """The descriptor of `content` (e.g. a manifest this process just made)."""
        return cls(media_type=media_type, digest=D.compute(content), size=len(content), **kw)


def empty(embed: bool = False) -> Descriptor:
    """The spec's empty descriptor (`{}`, application/vnd.oci.empty.v1+json)."""
    return Descriptor(MT.OCI_EMPTY, D.Digest(MT.OCI_EMPTY_DIGEST), 2,
                      data=MT.OCI_EMPTY_DATA if embed else None)
