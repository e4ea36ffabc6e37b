"""`teu login [-u USER] [-p PASS | --password-stdin] [--authfile F] [--tls-verify=..] [SERVER]`."""

from __future__ import annotations

import sys

from teu.cli import _imageopts as O
from teu.cli._flags import BOOL, STR, Flag
from teu.errors import TeuError

FLAGS = [Flag("username", "u", STR, "Username"),
         Flag("password", "p", STR, "Password"),
         Flag("password-stdin", None, BOOL, "Take the password from stdin"),
         Flag("authfile", None, STR, "Credentials file (default: docker's config.json)"),
         Flag("tls-verify", None, BOOL, "Require HTTPS and verify certificates"),
         Flag("get-login", None, BOOL, "Print the stored user name")]


def main(argv: list[str]) -> int:
    parsed = O.parse(argv, FLAGS, "teu login", "[OPTIONS] [SERVER]",
                     "Log in to a Docker registry.", 0, 1)
    if parsed is None:
        return 0
    opts, args = parsed
    server_arg = args[0] if args else "docker.io"

    def go() -> int:
        from teu.image.reference import normalize_registry
        from teu.registry.client import credentials
        from teu.registry.client.remote import Registry

        server = normalize_registry(server_arg)
        authfile = opts.get("authfile")
        if opts.get("get_login"):
            found = credentials.lookup(server, authfile)
            if not found:
                raise TeuError(f"not logged in to {server}")
            print(found[0])
            return 0
        user = opts.get("username")
        password = opts.get("password")
        if opts.get("password_stdin"):
            if password:
                raise TeuError("--password and --password-stdin are mutually exclusive")
            password = sys.stdin.readline().rstrip("\r\n")
        if not user:
            if not sys.stdin.isatty():
                raise TeuError("a username is needed (-u)")
            user = input("Username: ").strip()
        if not password:
            import getpass

            if not sys.stdin.isatty():
                raise TeuError("a password is needed (-p or --password-stdin)")
            password = getpass.getpass("Password: ")
        host = "registry-1.docker.io" if server == "docker.io" else server
        reg = Registry(host, O.tls_verify(opts.get("tls_verify")), (user, password))
        reg.check_login()
        path = credentials.store(server, user, password, authfile)
        print(f"Login Succeeded (credentials in {path})")
        return 0

    return O.run(server_arg, go)
