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


API_VERSION = "1.41"      # docker 20.10's Engine API, the version teu's CLI matches
MIN_API_VERSION = "1.24"


def info() -> dict:
    """docker's `version` data: Client, and Server filled from the engine teu runs
    in-process (no daemon: as podman does)."""
    from teu import __version__

    uname = os.uname()
    arch = _GOARCH.get(uname.machine, uname.machine)
    python = platform.python_version()
    return {
        "Client": {
            "Version": __version__,
            "ApiVersion": API_VERSION,
            "PythonVersion": python,
            "Os": "linux",
            "Arch": arch,
            "OsArch": f"linux/{arch}",
            "DefaultRuntime": "teu-runtime",
            "OCIRuntimeSpec": "1.2.0",
        },
        "Server": {
            "Platform": {"Name": "teu Engine"},
            "Components": [
                {"Name": "Engine", "Version": __version__,
                 "Details": {"ApiVersion": API_VERSION, "MinAPIVersion": MIN_API_VERSION,
                             "Os": "linux", "Arch": arch, "KernelVersion": uname.release,
                             "PythonVersion": python}},
                {"Name": "teu-runtime", "Version": __version__,
                 "Details": {"OCIRuntimeSpec": "1.2.0"}},
            ],
            "Version": __version__,
            "ApiVersion": API_VERSION,
            "MinAPIVersion": MIN_API_VERSION,
            "GitCommit": "",
            "PythonVersion": python,
            "Os": "linux",
            "Arch": arch,
            "KernelVersion": uname.release,
            "BuildTime": "",
        },
    }


def typed(data: dict):  # noqa: ANN201 - a gotemplate Struct
    """`data` as docker's Go types, so a wrong field fails as docker's does."""
    from teu.cli.gotemplate import Struct

    server = dict(data["Server"])
    server["Platform"] = Struct("struct { Name string }", server["Platform"])
    server["Components"] = [Struct("types.ComponentVersion", c) for c in server["Components"]]
    return Struct("system.versionInfo", {
        "Client": Struct("system.clientVersion", data["Client"]),
        "Server": Struct("*types.Version", server)})


def main(argv: list[str]) -> int:
    parsed = parse_or_help(argv, FLAGS, "teu version", "[OPTIONS]",
                           "Show the teu version information", True, 0, 0)
    if parsed is None:
        return 0

    def go() -> int:
        data = info()
        fmt = parsed[0].get("format")
        if fmt:
            from teu.cli.formatting import FormatError, parse
            from teu.cli.gotemplate import ExecError

            if fmt == "json":
                fmt = "{{json .}}"
            t = parse(fmt, "version", exit_code=64)
            try:
                sys.stdout.write(t.execute(typed(data)) + "\n")
            except ExecError as e:
                sys.stdout.write(e.partial + "\n")
                raise FormatError(str(e)) from None
            return 0
        c, srv = data["Client"], data["Server"]
        print("Client:            teu")
        for label, key in (("Version", "Version"), ("API version", "ApiVersion"),
                           ("Python version", "PythonVersion"), ("OS/Arch", "OsArch"),
                           ("Default runtime", "DefaultRuntime"),
                           ("OCI runtime spec", "OCIRuntimeSpec")):
            print(f" {label + ':':<18}{c[key]}")
        print()
        print(f"Server:            {srv['Platform']['Name']}")
        print(" Engine:")
        for label, value in (("Version", srv["Version"]),
                             ("API version", f"{srv['ApiVersion']} (minimum version "
                                             f"{srv['MinAPIVersion']})"),
                             ("Python version", srv["PythonVersion"]),
                             ("OS/Arch", f"{srv['Os']}/{srv['Arch']}"),
                             ("Kernel version", srv["KernelVersion"])):
            print(f"  {label + ':':<17}{value}")
        print(" teu-runtime:")
        print(f"  {'Version:':<17}{srv['Version']}")
        return 0

    return guarded(go)
