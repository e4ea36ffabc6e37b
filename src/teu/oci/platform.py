"""Platforms (os/architecture/variant) and matching against the host's.

Architectures use Go's GOARCH names as the spec says; the host's comes from
uname. A missing variant matches the architecture's default (arm64 -> v8,
arm -> v7), as containerd's platform matcher does.
"""

from __future__ import annotations

import os

from teu.oci import _fields as F
from teu.oci.errors import ImageSpecError
from teu.slotted import Slotted

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs ~3 ms

if TYPE_CHECKING:
    from typing import Any

# uname -m -> (GOARCH, variant)
_UNAME = {
    "x86_64": ("amd64", None), "amd64": ("amd64", None),
    "i386": ("386", None), "i686": ("386", None),
    "aarch64": ("arm64", "v8"), "arm64": ("arm64", "v8"),
    "armv8l": ("arm", "v8"), "armv7l": ("arm", "v7"), "armv6l": ("arm", "v6"),
    "armv5tel": ("arm", "v5"),
    "ppc64le": ("ppc64le", None), "s390x": ("s390x", None), "riscv64": ("riscv64", None),
    "mips64": ("mips64", None), "loongarch64": ("loong64", None),
}
_DEFAULT_VARIANT = {"arm64": "v8", "arm": "v7"}
_ARCH_ALIASES = {"x86_64": "amd64", "x86-64": "amd64", "aarch64": "arm64", "i386": "386"}


_FIELDS = ("os", "architecture", "variant", "os_version", "os_features", "features")


class Platform(Slotted):
    """An immutable value (hashable; equality and repr over its fields from Slotted),
    written out rather than a frozen dataclass: `dataclasses` costs ~15 ms of imports on
    paths such as a cached `teu build` that need only the host's platform."""

    __slots__ = _FIELDS
    os: str
    architecture: str
    variant: str | None
    os_version: str | None
    os_features: tuple[str, ...]
    features: tuple[str, ...]

    def __init__(self, os: str, architecture: str, variant: str | None = None,
                 os_version: str | None = None, os_features: tuple[str, ...] = (),
                 features: tuple[str, ...] = ()) -> None:
        for name, value in zip(_FIELDS, (os, architecture, variant, os_version,
                                         tuple(os_features), tuple(features)), strict=True):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Platform is immutable: cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Platform is immutable: cannot delete field {name!r}")

    def _values(self) -> tuple:
        return tuple(getattr(self, n) for n in _FIELDS)

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(self._values())

    def __reduce__(self) -> tuple:  # copy, deepcopy and pickle rebuild it through __init__
        return (Platform, self._values())

    @classmethod
    def from_dict(cls, d: Any, path: str = "platform") -> Platform:
        d = F.obj(d, path)
        return cls(
            os=F.req_str(d, "os", path),
            architecture=F.req_str(d, "architecture", path),
            variant=F.opt_str(d, "variant", path),
            os_version=F.opt_str(d, "os.version", path),
            os_features=tuple(F.str_list(d, "os.features", path) or ()),
            features=tuple(F.str_list(d, "features", path) or ()),
        )

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"architecture": self.architecture, "os": self.os}
        if self.os_version:
            d["os.version"] = self.os_version
        if self.os_features:
            d["os.features"] = list(self.os_features)
        if self.variant:
            d["variant"] = self.variant
        if self.features:
            d["features"] = list(self.features)
        return d

    @classmethod
    def parse(cls, text: str) -> Platform:
        """`os/arch[/variant]` as `--platform` takes it; `arch` alone means linux/arch."""
        parts = text.strip().lower().split("/")
        if len(parts) == 1 and parts[0]:
            parts = ["linux", parts[0]]
        if len(parts) not in (2, 3) or not all(parts):
            raise ImageSpecError(f"platform: {text!r} is not os/arch[/variant]")
        arch = _ARCH_ALIASES.get(parts[1], parts[1])
        return cls(os=parts[0], architecture=arch, variant=parts[2] if len(parts) == 3 else None)

    def normalized(self) -> Platform:
        arch = _ARCH_ALIASES.get(self.architecture, self.architecture)
        variant = self.variant or _DEFAULT_VARIANT.get(arch)
        if arch == "amd64" and variant == "v1":
            variant = None
        return Platform(self.os.lower(), arch, variant, self.os_version, self.os_features,
                        self.features)

    def matches(self, wanted: Platform) -> bool:
        """Whether an image for `self` satisfies a request for `wanted`."""
        a, b = self.normalized(), wanted.normalized()
        if a.os != b.os or a.architecture != b.architecture:
            return False
        return b.variant is None or a.variant is None or a.variant == b.variant

    def __str__(self) -> str:
        return "/".join(p for p in (self.os, self.architecture, self.variant) if p)


def host() -> Platform:
    """The platform of this machine, in the spec's (GOOS/GOARCH) names."""
    # os.uname() is what platform.machine()/system() read (without that module's ~3 ms
    # of imports and regexes).
    uname = os.uname()
    machine = uname.machine.lower()
    arch, variant = _UNAME.get(machine, (machine, None))
    system = uname.sysname.lower() or "linux"
    return Platform(os=system, architecture=arch, variant=variant)
