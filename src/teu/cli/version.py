"""`teu version [--format TEMPLATE]`: what docker and podman print, for a daemonless engine.

docker prints a Client and a Server section; teu has no server, so like podman
it prints the client's, plus the OCI runtime it uses by default.
"""

from __future__ import annotations

import os
import platform
import sys

from teu.cli._engine import guarded, parse_or_help
from teu.cli._flags import STR, Flag

FLAGS = [Flag("format", "f", STR, "Format output using a custom template")]

_GOARCH = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "i686": "386"}


def info() -> dict:
    from teu import __version__

    machine = os.uname().machine
    return {"Client": {
        "Version": __version__,
        "PythonVersion": platform.python_version(),
        "OsArch": f"linux/{_GOARCH.get(machine, machine)}",
        "DefaultRuntime": "teu-runtime",
        "OCIRuntimeSpec": "1.2.0",
    }}


def main(argv: list[str]) -> int:
    parsed = parse_or_help(argv, FLAGS, "teu version", "[OPTIONS]",
                           "Show the teu version information", True, 0, 0)
    if parsed is None:
        return 0

    def go() -> int:
        data = info()
        fmt = parsed[0].get("format")
        if fmt:
            from teu.cli._template import Template

            if fmt == "json":
                fmt = "{{json .}}"
            sys.stdout.write(Template(fmt).render(data) + "\n")
            return 0
        c = data["Client"]
        print("Client:            teu")
        for label, key in (("Version", "Version"),
                           ("Python version", "PythonVersion"), ("OS/Arch", "OsArch"),
                           ("Default runtime", "DefaultRuntime"),
                           ("OCI runtime spec", "OCIRuntimeSpec")):
            print(f" {label + ':':<18}{c[key]}")
        return 0

    return guarded(go)
