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


def test_version_has_a_server_section_from_the_engine():
    # docker's `version --format '{{.Server.Version}}'`: teu has no daemon, so (as
    # podman does) the Server section describes the engine teu runs in-process
    server = info()["Server"]
    assert server["Version"] == __version__ and server["Os"] == "linux"
    assert [c["Name"] for c in server["Components"]] == ["Engine", "teu-runtime"]
    run = [sys.executable, "-m", "teu.cli.main", "version"]
    out = subprocess.run(run + ["--format", "{{.Server.Version}} {{.Server.ApiVersion}}"],
                         capture_output=True, text=True, check=True).stdout
    assert out == f"{__version__} {server['ApiVersion']}\n"
    bad = subprocess.run(run + ["--format", "{{.Server.Nope}}"], capture_output=True,
                         text=True)
    assert bad.returncode == 1 and bad.stderr == (
        'template: version:1:9: executing "version" at <.Server.Nope>: can\'t evaluate '
        "field Nope in type *types.Version\n")
