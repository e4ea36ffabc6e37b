"""`teu save [-o FILE] IMAGE...`: a tar with an OCI layout and docker's manifest.json."""

from __future__ import annotations

import os
import sys

from teu.cli import _imageopts as O
from teu.cli._flags import STR, Flag
from teu.errors import TeuError

FLAGS = [Flag("output", "o", STR, "Write to a file, instead of STDOUT")]


def main(argv: list[str]) -> int:
    parsed = O.parse(argv, FLAGS, "teu save", "[OPTIONS] IMAGE [IMAGE...]",
                     "Save one or more images to a tar archive (streamed to STDOUT by "
                     "default)", 1)
    if parsed is None:
        return 0
    opts, images = parsed
    output = opts.get("output")

    def go() -> int:
        from teu.image.tarball import save
        from teu.trust.transfer import save_attachments

        with O.store(opts.get("root")) as st:
            for name in images:
                st.lookup(name)  # fail before creating the output file
            if output:
                tmp = f"{output}.tmp-{os.getpid()}"
                try:
                    with open(tmp, "wb") as f:
                        save(st, images, f, save_attachments(st))
                    os.rename(tmp, output)
                finally:
                    if os.path.exists(tmp):
                        os.unlink(tmp)
            else:
                if O.stdout_is_tty():
                    raise TeuError("cowardly refusing to save to a terminal. Use the -o flag "
                                   "or redirect")
                save(st, images, sys.stdout.buffer, save_attachments(st))
                sys.stdout.buffer.flush()
        return 0

    return O.run(" ".join(images), go)
