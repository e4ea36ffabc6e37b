"""What `teu lint TARGET` lints: a file (Dockerfile, Compose file or Kubernetes manifest,
told apart by name and content), else an image in the store."""

from __future__ import annotations

import os
import re

from teu.errors import TeuError
from teu.scan.lint.findings import LintFinding


def kind_of(path: str, text: str) -> str:
    base = os.path.basename(path).lower()
    if "dockerfile" in base or "containerfile" in base:
        return "dockerfile"
    if re.search(r"^services\s*:", text, re.M):
        return "compose"
    if re.search(r"^\s*apiVersion\s*:", text, re.M) and re.search(r"^\s*kind\s*:", text, re.M):
        return "kube"
    return "dockerfile"


def lint_file(path: str) -> list[LintFinding]:
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    kind = kind_of(path, text)
    if kind == "compose":
        from teu.scan.lint.compose import lint_compose

        return lint_compose(text, path)
    if kind == "kube":
        from teu.scan.lint.kube import lint_manifests

        return lint_manifests(text, path)
    from teu.scan.lint.dockerfile import lint_dockerfile

    return lint_dockerfile(text, path)


def lint_target(target: str, store_root: str | None = None) -> list[LintFinding]:
    if os.path.isfile(target):
        return lint_file(target)
    from teu.image.store import Store
    from teu.scan.inventory.image import scan_image
    from teu.scan.lint.image import lint_image

    with Store(store_root) as st:
        try:
            img = scan_image(st, target)
        except TeuError as e:
            raise TeuError(f"{target}: no such file, and {e}") from None
    return lint_image(img, target)
