"""The scan as calls: inventories and SBOMs, vulnerability scans, lint.

    from teu.api import scan
    inv = scan.inventory("debian-fixture")          # teu.scan.inventory.model.Inventory
    text = scan.sbom("debian-fixture", "spdx-json")
"""

from __future__ import annotations

from teu.scan.inventory.image import ScannedImage
from teu.scan.inventory.model import Inventory


def scanned(image: str, root: str | None = None, use_cache: bool = True) -> ScannedImage:
    from teu.image.store import Store
    from teu.scan.inventory.image import scan_image

    with Store(root) as st:
        return scan_image(st, image, use_cache=use_cache)


def inventory(image: str, root: str | None = None, use_cache: bool = True) -> Inventory:
    return scanned(image, root, use_cache).inventory()


def sbom(image: str, fmt: str = "spdx-json", root: str | None = None,
         use_cache: bool = True) -> str:
    from teu.scan.sbom.render import render

    return render(inventory(image, root, use_cache), fmt)


def scan(image: str, root: str | None = None, db: str | None = None, **options):  # noqa: ANN201
    """A vulnerability scan (teu.scan.scanner.ScanResult); options as ScanOptions' fields."""
    from teu.image.store import Store
    from teu.scan.scanner import ScanOptions
    from teu.scan.scanner import scan as run
    from teu.scan.vulndb.db import default_path

    with Store(root) as st:
        return run(st, image, db or default_path(st.root), ScanOptions(**options))


def import_db(inputs: list[str], db: str | None = None, root: str | None = None):  # noqa: ANN201
    from teu.scan.vulndb.db import default_path
    from teu.scan.vulndb.importer import import_inputs

    return import_inputs(db or default_path(root), inputs)


def lint(target: str, root: str | None = None) -> list:
    """Lint findings (teu.scan.lint.findings.LintFinding) of a Dockerfile, Compose file,
    Kubernetes manifest (a path) or a store image (a reference)."""
    from teu.scan.lint.target import lint_target

    return lint_target(target, root)
