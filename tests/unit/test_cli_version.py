"""`teu version`: docker's client section (no server: teu has no daemon), and --format."""

import subprocess
import sys

from teu import __version__
from teu.cli.version import info


def test_version_info_names_the_client_and_runtime():
    client = info()["Client"]
    assert client["Version"] == __version__
    assert client["OsArch"].startswith("linux/")
    assert client["DefaultRuntime"] == "teu-runtime"


def test_version_command_prints_and_formats():
    run = [sys.executable, "-m", "teu.cli.main", "version"]
    out = subprocess.run(run, capture_output=True, text=True, check=True).stdout
    assert out.startswith("Client:") and f"Version:          {__version__}" in out
    out = subprocess.run(run + ["--format", "{{.Client.Version}}"], capture_output=True,
                         text=True, check=True).stdout
    assert out == __version__ + "\n"
    bad = subprocess.run(run + ["--nope"], capture_output=True, text=True)
    assert bad.returncode == 125 and "--nope" in bad.stderr
