"""os-release(5): KEY=value lines, values optionally quoted with shell escapes; plus the
older single-line files some images still have instead (alpine-release, debian_version)."""

from __future__ import annotations

from teu.scan.inventory.model import OSInfo


def parse(text: str) -> OSInfo:
    vals: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
            if line.partition("=")[2].strip()[0] == '"':
                value = value.replace('\\"', '"').replace("\\$", "$").replace("\\\\", "\\")
        vals[key.strip()] = value
    return OSInfo(id=vals.get("ID", "").lower(), version_id=vals.get("VERSION_ID", ""),
                  version_codename=vals.get("VERSION_CODENAME", ""),
                  pretty_name=vals.get("PRETTY_NAME", ""))


def from_release_file(os_id: str, text: str) -> OSInfo:
    """etc/debian_version ("12.5", or "bookworm/sid" on testing) or etc/alpine-release."""
    version = text.strip().splitlines()[0].strip() if text.strip() else ""
    if not version[:1].isdigit():
        version = ""
    return OSInfo(id=os_id, version_id=version, pretty_name=f"{os_id} {version}".strip())
