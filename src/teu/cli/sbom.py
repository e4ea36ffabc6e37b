"""`teu sbom [--format spdx-json|cyclonedx-json|table] [-o FILE] [--no-cache] IMAGE`."""

from __future__ import annotations

from teu.cli import _flags as F
from teu.cli import _scanopts as S

FORMATS = ("table", "spdx-json", "cyclonedx-json", "json")
FLAGS = [
    F.Flag("format", "f", F.STR, "table, spdx-json, cyclonedx-json or json (default table)"),
    F.Flag("output", "o", F.STR, "write the document to FILE", "FILE"),
    F.Flag("no-cache", None, F.BOOL, "read every layer again instead of the scan cache"),
    S.ROOT,
]


def main(argv: list[str]) -> int:
    parsed = S.parse(argv, FLAGS, "teu sbom", "[OPTIONS] IMAGE",
                     "List the software inside an image (an SBOM), without running it.", 1, 1)
    if parsed is None:
        return 0
    opts, args = parsed
    fmt = S.one_of(opts.get("format", "table"), FORMATS, "format")
    from teu.api.scan import sbom

    S.write(sbom(args[0], fmt, root=S.store_root(opts), use_cache=not opts.get("no_cache")),
            opts.get("output"))
    return 0
