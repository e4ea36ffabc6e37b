"""A plain, non-editable `pip install` of this tree into a new venv: teu and teu-runtime
work, and after their first start they are make install's fast launchers (no `site`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent.parent

pytestmark = pytest.mark.root


def test_pip_install_gives_working_fast_scripts(tmp_path) -> None:
    venv = tmp_path / "venv"
    # The venv without a pip of its own (ensurepip unpacks and compiles pip and setuptools:
    # most of this test's time on a loaded machine); this interpreter's pip installs into
    # it (--python: pip runs itself under the venv's interpreter, as the venv's pip would).
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    # --no-deps: the two scripts' start needs none of them (uvicorn & co. are imported
    # only by the verbs that use them), and the index is not this test's subject.
    subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"),
                    "install", "-q", "--no-deps", str(REPO)],
                   check=True, capture_output=True, timeout=300)
    runtime, teu = venv / "bin" / "teu-runtime", venv / "bin" / "teu"
    python = runtime.read_text().splitlines()[0]
    assert python.startswith(f"#!{venv}/bin/python") and " " not in python  # pip's rewrite
    assert "import re" not in runtime.read_text() + teu.read_text()
    env = {**os.environ, "TEU_ROOT": str(tmp_path / "root"),
           "TEU_RUNROOT": str(tmp_path / "run")}
    for _ in range(2):  # the first start settles the script, the second runs the launcher
        p = subprocess.run([str(runtime), "--root", str(tmp_path / "state"), "list"],
                           capture_output=True, text=True, env=env)
        assert p.returncode == 0 and p.stdout.startswith("ID"), p.stderr
        p = subprocess.run([str(teu), "version"], capture_output=True, text=True, env=env)
        assert p.returncode == 0 and "0.1.0" in p.stdout, p.stderr
    for script in (runtime, teu):
        first = script.read_text().splitlines()[0]
        assert first == f"{python} -S", first
