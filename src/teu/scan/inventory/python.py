"""Installed Python distributions: *.dist-info/METADATA, *.egg-info/PKG-INFO (or an
*.egg-info file). Only the header block is read (the long description after the
first blank line can be megabytes)."""

from __future__ import annotations

from typing import IO

from teu.scan.inventory.model import PYPI, Package


def package(f: IO[str], path: str) -> Package | None:
    fields: dict[str, str] = {}
    for n, line in enumerate(f):
        if not line.strip() or n > 2000:
            break
        if line[0] in " \t":
            continue
        key, sep, value = line.partition(":")
        if sep and key not in fields:
            fields[key] = value.strip()
    name, version = fields.get("Name", ""), fields.get("Version", "")
    if not name or not version:
        return None
    lic = fields.get("License-Expression") or fields.get("License", "")
    return Package(PYPI, name, version, path=path,
                   licenses=[lic] if lic and lic != "UNKNOWN" and len(lic) < 200 else [])


def normalize(name: str) -> str:
    """PEP 503's normalized name (what purls and OSV's PyPI ecosystem use)."""
    out, dash = [], False
    for ch in name.lower():
        if ch in "-_.":
            if not dash:
                out.append("-")
            dash = True
        else:
            out.append(ch)
            dash = False
    return "".join(out)
