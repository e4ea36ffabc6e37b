"""`teu login [-u USER] [-p PASS | --password-stdin] [--authfile F] [--tls-verify=..] [SERVER]`."""

from __future__ import annotations

import sys

from teu.cli import _imageopts as O
from teu.errors import TeuError


def main(argv: list[str]) -> int:
    p = O.Parser(prog="teu login", description="Log in to a registry.")
    O.add_root(p)
    p.add_argument("-u", "--username")
    p.add_argument("-p", "--password")
    p.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    p.add_argument("--authfile", help="credentials file (default: docker's config.json)")
    p.add_argument("--tls-verify", nargs="?", const="true", default=None, metavar="BOOL")
    p.add_argument("--get-login", action="store_true", help="print the stored user name")
    p.add_argument("server", nargs="?", default="docker.io")
    args = p.parse_args(argv)

    def go() -> int:
        from teu.image.reference import normalize_registry
        from teu.registry.client import credentials
        from teu.registry.client.remote import Registry

        server = normalize_registry(args.server)
        if args.get_login:
            found = credentials.lookup(server, args.authfile)
            if not found:
                raise TeuError(f"not logged in to {server}", 125)
            print(found[0])
            return 0
        user = args.username
        password = args.password
        if args.password_stdin:
            if password:
                raise TeuError("--password and --password-stdin are mutually exclusive", 125)
            password = sys.stdin.readline().rstrip("\r\n")
        if not user:
            if not sys.stdin.isatty():
                raise TeuError("a username is needed (-u)", 125)
            user = input("Username: ").strip()
        if not password:
            import getpass

            if not sys.stdin.isatty():
                raise TeuError("a password is needed (-p or --password-stdin)", 125)
            password = getpass.getpass("Password: ")
        host = "registry-1.docker.io" if server == "docker.io" else server
        reg = Registry(host, O.tls_verify(args.tls_verify), (user, password))
        reg.check_login()
        path = credentials.store(server, user, password, args.authfile)
        print(f"Login Succeeded (credentials in {path})")
        return 0

    return O.run(args.server, go)
