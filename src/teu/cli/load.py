"""`teu load [-i FILE] [-q]`: docker-archive, oci-archive or the combined form."""

from __future__ import annotations

import sys

from teu.cli import _imageopts as O
from teu.cli._flags import BOOL, STR, Flag
from teu.errors import TeuError

FLAGS = [Flag("input", "i", STR, "Read from tar archive file, instead of STDIN"),
         Flag("quiet", "q", BOOL, "Suppress the load output"),
         Flag("platform", None, STR, "os/arch[/variant] to take from a multi-platform "
              "archive")]


def main(argv: list[str]) -> int:
    parsed = O.parse(argv, FLAGS, "teu load", "[OPTIONS]",
                     "Load an image from a tar archive or STDIN", 0, 0)
    if parsed is None:
        return 0
    opts, _ = parsed
    source = opts.get("input")

    def go() -> int:
        from teu.image.progress import for_output
        from teu.image.tarball import load, load_stream
        from teu.oci.platform import Platform
        from teu.trust.transfer import load_attachments

        if source in (None, "-") and sys.stdin.isatty():
            raise TeuError("requested load from stdin, but stdin is empty")
        plat = Platform.parse(opts["platform"]) if opts.get("platform") else None
        # docker is quiet when its output is not a terminal: layer progress is for
        # people, a script wants only the "Loaded image" lines.
        progress = for_output(bool(opts.get("quiet")) or not O.stderr_is_tty(), sys.stderr)
        with O.store(opts.get("root")) as st:
            if source and source != "-":
                loaded = load(st, source, progress, plat, load_attachments(st))
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

    return O.run(source or "standard input", go)
