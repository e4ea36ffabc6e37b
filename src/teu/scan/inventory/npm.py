"""npm packages: every package.json with a name and a version: node_modules/NAME/ and
node_modules/@SCOPE/NAME/ at any depth of nesting (each copy is its own installed
package), and applications' own."""

from __future__ import annotations

import json

from teu.scan.inventory.model import NPM, Package


def package(raw: bytes, path: str) -> Package | None:
    d = json.loads(raw)
    if not isinstance(d, dict):
        raise ValueError("package.json is not an object")
    name, version = d.get("name"), d.get("version")
    if not isinstance(name, str) or not isinstance(version, str) or not name or not version:
        return None
    lic = d.get("license")
    if isinstance(lic, dict):
        lic = lic.get("type")
    return Package(NPM, name, version, path=path,
                   licenses=[lic] if isinstance(lic, str) and lic else [])
