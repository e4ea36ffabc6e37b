"""Package URLs (purl-spec): pkg:type/namespace/name@version?qualifiers, as trivy and
syft write them for each package type, so their SBOMs and teu's can be compared."""

from __future__ import annotations

from teu.scan.inventory.model import APK, DEB, GOLANG, NPM, PYPI, RPM, OSInfo, Package
from teu.scan.inventory.python import normalize

_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-_~")


def _q(s: str) -> str:
    """Percent-encoding as the purl spec asks (urllib.parse.quote with safe ".-_~"; not
    imported, it costs more than the whole warm scan's matching)."""
    return "".join(c if c in _SAFE else "".join(f"%{b:02X}" for b in c.encode())
                   for c in s)


def purl(p: Package, os_info: OSInfo) -> str:
    namespace, name, version = "", p.name, p.full_version
    qualifiers: dict[str, str] = {}
    if p.type in (DEB, APK, RPM):
        namespace = os_info.id or {DEB: "debian", APK: "alpine", RPM: "redhat"}[p.type]
        if p.arch:
            qualifiers["arch"] = p.arch
        if os_info.id and os_info.version_id:
            qualifiers["distro"] = f"{os_info.id}-{os_info.version_id}"
        if p.type == RPM:
            version = f"{p.version}-{p.release}" if p.release else p.version
            if p.epoch:
                qualifiers["epoch"] = str(p.epoch)
        if p.source_name and p.source_name != p.name:
            qualifiers["upstream"] = p.source_name
    elif p.type == PYPI:
        name = normalize(p.name)
    elif p.type == NPM and name.startswith("@") and "/" in name:
        namespace, name = name.split("/", 1)
    elif p.type == GOLANG and "/" in name:
        namespace, name = name.rsplit("/", 1)
    elif p.type == GOLANG and name == "stdlib":
        version = version.removeprefix("go")   # go1.19.8 -> 1.19.8, as syft writes it
    out = "pkg:" + p.type + "/"
    if namespace:
        out += "/".join(_q(seg) for seg in namespace.split("/")) + "/"
    out += _q(name)
    if version:
        out += "@" + _q(version)
    if qualifiers:
        out += "?" + "&".join(f"{k}={_q(v)}" for k, v in sorted(qualifiers.items()))
    return out
