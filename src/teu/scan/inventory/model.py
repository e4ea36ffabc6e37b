"""The inventory's data: packages found, the OS, and where each came from."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

# Package types, named as purl types are.
DEB, APK, RPM, PYPI, NPM, GOLANG = "deb", "apk", "rpm", "pypi", "npm", "golang"
OS_TYPES = (DEB, APK, RPM)


@dataclass
class Package:
    type: str                    # one of the purl types above
    name: str
    version: str
    path: str = ""               # the file it was read from, inside the image
    source_name: str = ""        # dpkg/rpm source package (the tracker keys advisories by it)
    source_version: str = ""
    arch: str = ""
    licenses: list[str] = field(default_factory=list)
    layer: str = ""              # diff ID of the layer that holds the file it came from
    epoch: int | None = None     # rpm's epoch (deb and apk carry theirs in the version)
    release: str = ""            # rpm's release

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in ("", None, [])}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Package:
        return cls(**d)

    @property
    def full_version(self) -> str:
        """The version as the ecosystem compares it (rpm: [epoch:]version-release)."""
        if self.type == RPM:
            v = f"{self.version}-{self.release}" if self.release else self.version
            return f"{self.epoch}:{v}" if self.epoch else v
        return self.version


@dataclass
class OSInfo:
    id: str = ""                 # os-release ID: debian, ubuntu, alpine, fedora, ...
    version_id: str = ""         # 12, 3.19.1, 39
    version_codename: str = ""
    pretty_name: str = ""

    def to_dict(self) -> dict[str, str]:
        return asdict(self)

    @property
    def release(self) -> str:
        """The release advisories are keyed by: Debian's major number, Alpine's x.y."""
        v = self.version_id
        if self.id == "alpine":
            return ".".join(v.split(".")[:2])
        if self.id == "debian":
            return v.split(".")[0]
        return v


@dataclass
class Inventory:
    os: OSInfo
    packages: list[Package]
    errors: list[str] = field(default_factory=list)   # package databases that did not parse
    image: str = ""              # the name it was asked for
    image_id: str = ""
    digest: str = ""             # manifest digest

    def by_type(self, kind: str) -> list[Package]:
        return [p for p in self.packages if p.type == kind]
