"""Image configuration (OCI image config v1 and Docker's container config v1).

Known fields are typed; everything else (Docker's `container_config`,
`docker_version`, ...) stays in `extra` so a round trip loses nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from teu.oci import _document as DOC
from teu.oci import _fields as F
from teu.oci import digest as D
from teu.oci.errors import ImageSpecError
from teu.oci.platform import Platform


@dataclass
class ContainerConfig:
    """The `config` member: how to run the image."""

    user: str | None = None
    exposed_ports: dict[str, dict] | None = None
    env: list[str] | None = None
    entrypoint: list[str] | None = None
    cmd: list[str] | None = None
    volumes: dict[str, dict] | None = None
    working_dir: str | None = None
    labels: dict[str, str] | None = None
    stop_signal: str | None = None
    args_escaped: bool | None = None
    healthcheck: dict[str, Any] | None = None  # Docker's; kept for the engine
    shell: list[str] | None = None  # Docker's
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    _MAP = {"User": "user", "ExposedPorts": "exposed_ports", "Env": "env",
            "Entrypoint": "entrypoint", "Cmd": "cmd", "Volumes": "volumes",
            "WorkingDir": "working_dir", "Labels": "labels", "StopSignal": "stop_signal",
            "ArgsEscaped": "args_escaped", "Healthcheck": "healthcheck", "Shell": "shell"}

    @classmethod
    def from_dict(cls, d: Any, path: str = "config.config") -> ContainerConfig:
        d = F.obj(d, path)
        for key in ("Env", "Entrypoint", "Cmd", "Shell"):
            F.str_list(d, key, path)
        for key in ("User", "WorkingDir", "StopSignal"):
            F.opt_str(d, key, path)
        F.str_map(d, "Labels", path)
        for key in ("ExposedPorts", "Volumes", "Healthcheck"):
            if d.get(key) is not None:
                F.obj(d[key], f"{path}.{key}")
        if d.get("ArgsEscaped") is not None and not isinstance(d["ArgsEscaped"], bool):
            raise ImageSpecError(f"{path}.ArgsEscaped: must be a boolean")
        kw = {attr: d.get(key) for key, attr in cls._MAP.items()}
        return cls(**kw, extra={k: v for k, v in d.items() if k not in cls._MAP})

    def to_dict(self) -> dict[str, Any]:
        d = {key: getattr(self, attr) for key, attr in self._MAP.items()
             if getattr(self, attr) is not None}
        d.update(self.extra)
        return d


@dataclass
class History:
    created: str | None = None
    created_by: str | None = None
    author: str | None = None
    comment: str | None = None
    empty_layer: bool = False

    @classmethod
    def from_dict(cls, d: Any, path: str) -> History:
        d = F.obj(d, path)
        empty = d.get("empty_layer", False)
        if not isinstance(empty, bool):
            raise ImageSpecError(f"{path}.empty_layer: must be a boolean")
        return cls(F.opt_str(d, "created", path), F.opt_str(d, "created_by", path),
                   F.opt_str(d, "author", path), F.opt_str(d, "comment", path), empty)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {k: v for k, v in (("created", self.created),
                             ("created_by", self.created_by), ("author", self.author),
                             ("comment", self.comment)) if v is not None}
        if self.empty_layer:
            d["empty_layer"] = True
        return d


@dataclass
class ImageConfig(DOC.Document):
    architecture: str
    os: str
    diff_ids: list[D.Digest]
    config: ContainerConfig = field(default_factory=ContainerConfig)
    created: str | None = None
    author: str | None = None
    variant: str | None = None
    os_version: str | None = None
    os_features: list[str] | None = None
    history: list[History] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    raw: bytes | None = field(default=None, compare=False, repr=False)

    _KNOWN = frozenset({"architecture", "os", "rootfs", "config", "created", "author",
                        "variant", "os.version", "os.features", "history"})

    @classmethod
    def from_json(cls, data: bytes) -> ImageConfig:
        c = cls.from_dict(F.load_object(data, "config"))
        c.raw = bytes(data)
        return c

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ImageConfig:
        path = "config"
        rootfs = F.obj(d.get("rootfs"), f"{path}.rootfs")
        if rootfs.get("type") != "layers":
            raise ImageSpecError(f"{path}.rootfs.type: must be \"layers\"")
        diff_ids = F.str_list(rootfs, "diff_ids", f"{path}.rootfs")
        if diff_ids is None:
            raise ImageSpecError(f"{path}.rootfs.diff_ids: required")
        history = F.obj_list(d, "history", path) or []
        cc = d.get("config")
        return cls(
            architecture=F.req_str(d, "architecture", path),
            os=F.req_str(d, "os", path),
            diff_ids=[D.parse(x, f"{path}.rootfs.diff_ids[{i}]") for i, x in enumerate(diff_ids)],
            config=ContainerConfig.from_dict(cc) if cc is not None else ContainerConfig(),
            created=F.opt_str(d, "created", path),
            author=F.opt_str(d, "author", path),
            variant=F.opt_str(d, "variant", path),
            os_version=F.opt_str(d, "os.version", path),
            os_features=F.str_list(d, "os.features", path),
            history=[History.from_dict(h, f"{path}.history[{i}]") for i, h in enumerate(history)],
            extra={k: v for k, v in d.items() if k not in cls._KNOWN},
        )

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {}
        if self.created:
            d["created"] = self.created
        if self.author:
            d["author"] = self.author
        d["architecture"] = self.architecture
        if self.variant:
            d["variant"] = self.variant
        d["os"] = self.os
        if self.os_version:
            d["os.version"] = self.os_version
        if self.os_features:
            d["os.features"] = list(self.os_features)
        cc = self.config.to_dict()
        if cc:
            d["config"] = cc
        d["rootfs"] = {"type": "layers", "diff_ids": [str(x) for x in self.diff_ids]}
        if self.history:
            d["history"] = [h.to_dict() for h in self.history]
        d.update(self.extra)
        return d

    @property
    def platform(self) -> Platform:
        return Platform(self.os, self.architecture, self.variant, self.os_version,
                        tuple(self.os_features or ()))
