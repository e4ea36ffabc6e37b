"""`teu import [-c CHANGE]... [-m MESSAGE] [--platform P] FILE|- [REPOSITORY[:TAG]]`."""

from __future__ import annotations

import sys

from teu.cli import _imageopts as O
from teu.errors import TeuError


def main(argv: list[str]) -> int:
    p = O.parser("teu import", "Make an image from a root filesystem tarball.")
    p.add_argument("-c", "--change", action="append", default=[],
                   help="Dockerfile instruction: CMD, ENTRYPOINT, ENV, WORKDIR, USER, EXPOSE, "
                        "VOLUME, LABEL, STOPSIGNAL")
    p.add_argument("-m", "--message", default="", help="commit message")
    p.add_argument("--platform", help="os/arch[/variant] of the image (default: this host's)")
    p.add_argument("file", help="tarball (plain, gzip or zstd), or - for standard input")
    p.add_argument("name", nargs="?", help="REPOSITORY[:TAG]")
    args = p.parse_args(argv)

    def go() -> int:
        from teu.image.importer import import_tarball
        from teu.oci.platform import Platform

        if "://" in args.file:
            raise TeuError(f"{args.file}: importing from a URL is not supported", 125)
        plat = Platform.parse(args.platform) if args.platform else None
        with O.store(args.root) as st:
            if args.file == "-":
                r = import_tarball(st, sys.stdin.buffer, args.name, changes=args.change,
                                   message=args.message, platform=plat)
            else:
                with open(args.file, "rb") as f:
                    r = import_tarball(st, f, args.name, changes=args.change,
                                       message=args.message, platform=plat)
        print(r.row.id)
        return 0

    return O.run(args.name or args.file, go)
