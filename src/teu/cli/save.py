"""`teu save [-o FILE] IMAGE...`: a tar with an OCI layout and docker's manifest.json."""

from __future__ import annotations

import os
import sys

from teu.cli import _imageopts as O
from teu.errors import TeuError


def main(argv: list[str]) -> int:
    p = O.parser("teu save", "Save images to a tar archive (default: standard output).")
    p.add_argument("-o", "--output", help="write to this file")
    p.add_argument("images", nargs="+")
    args = p.parse_args(argv)

    def go() -> int:
        from teu.image.tarball import save
        from teu.trust.transfer import save_attachments

        with O.store(args.root) as st:
            for name in args.images:
                st.lookup(name)  # fail before creating the output file
            if args.output:
                tmp = f"{args.output}.tmp-{os.getpid()}"
                try:
                    with open(tmp, "wb") as f:
                        save(st, args.images, f, save_attachments(st))
                    os.rename(tmp, args.output)
                finally:
                    if os.path.exists(tmp):
                        os.unlink(tmp)
            else:
                if O.stdout_is_tty():
                    raise TeuError("cowardly refusing to write a tar archive to a terminal "
                                   "(use -o FILE or redirect)", 125)
                save(st, args.images, sys.stdout.buffer, save_attachments(st))
                sys.stdout.buffer.flush()
        return 0

    return O.run(" ".join(args.images), go)
