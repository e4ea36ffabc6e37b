"""`teu load [-i FILE] [-q]`: docker-archive, oci-archive or the combined form."""

from __future__ import annotations

import sys

from teu.cli import _imageopts as O


def main(argv: list[str]) -> int:
    p = O.parser("teu load", "Load images from a tar archive (default: standard input).")
    p.add_argument("-i", "--input", help="read this file")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress")
    p.add_argument("--platform", help="os/arch[/variant] to take from a multi-platform archive")
    args = p.parse_args(argv)

    def go() -> int:
        from teu.image.progress import for_output
        from teu.image.tarball import load, load_stream
        from teu.oci.platform import Platform
        from teu.trust.transfer import load_attachments

        plat = Platform.parse(args.platform) if args.platform else None
        progress = for_output(args.quiet, sys.stderr)
        with O.store(args.root) as st:
            if args.input and args.input != "-":
                loaded = load(st, args.input, progress, plat, load_attachments(st))
            else:
                loaded = load_stream(st, sys.stdin.buffer, progress, plat,
                                     load_attachments(st))
        from teu.image.inspect import familiar

        for item in loaded:
            if item.names:
                for n in item.names:
                    print(f"Loaded image: {familiar(n)}")
            else:
                print(f"Loaded image ID: {item.image_id}")
        return 0

    return O.run(args.input or "standard input", go)
