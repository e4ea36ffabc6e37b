"""Build arguments: what is defined where (BuildKit's rules).

- ARGs before the first FROM are global: usable in FROM lines only, and inside a
  stage after `ARG NAME` (which takes the global value).
- In a stage, `ARG NAME[=default]` takes the --build-arg value if given, else the
  default (expanded), else the global's; it is in RUN's environment (ENV of the
  same name wins) but never in the image's config.
- Predefined: the proxy variables, usable without ARG, passed to RUN but kept out
  of the history and the cache key; TARGETPLATFORM, TARGETOS, TARGETARCH,
  TARGETVARIANT, BUILDPLATFORM, BUILDOS, BUILDARCH, BUILDVARIANT (global, and in a
  stage after `ARG NAME`), TARGETSTAGE.
"""

from __future__ import annotations

from teu.build.record import field, record

PROXY = ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy",
         "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy")


def platform_args(os_: str, arch: str, variant: str = "") -> dict[str, str]:
    plat = f"{os_}/{arch}" + (f"/{variant}" if variant else "")
    out = {}
    for prefix in ("TARGET", "BUILD"):
        out.update({f"{prefix}PLATFORM": plat, f"{prefix}OS": os_, f"{prefix}ARCH": arch,
                    f"{prefix}VARIANT": variant})
    return out


@record
class ArgScope:
    """The ARG values of one stage, in declaration order."""

    build_args: dict[str, str]
    globals_: dict[str, str]
    values: dict[str, str] = field(default_factory=dict)
    declared: list[str] = field(default_factory=list)
    used: set[str] = field(default_factory=set)

    def declare(self, name: str, default: str | None) -> str | None:
        if name in self.build_args:
            value: str | None = self.build_args[name]
            self.used.add(name)
        elif default is not None:
            value = default
        else:
            value = self.globals_.get(name)
        if name not in self.declared:
            self.declared.append(name)
        if value is not None:
            self.values[name] = value
        return value

    def history_pairs(self) -> list[tuple[str, str]]:
        """`|N K=V` in RUN's created_by: the declared args with their values."""
        return [(k, self.values[k]) for k in self.declared
                if k in self.values and k not in PROXY]

    def proxies(self) -> dict[str, str]:
        return {k: v for k, v in self.build_args.items() if k in PROXY}
