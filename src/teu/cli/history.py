"""`teu history [-H=false] [--no-trunc] [-q] [--format F] IMAGE`."""

from __future__ import annotations

import sys

from teu.cli import _imageopts as O
from teu.cli._flags import BOOL, STR, Flag

FLAGS = [Flag("format", None, STR, "Pretty-print images using a Go template"),
         Flag("human", "H", BOOL, "Print sizes and dates in human readable format "
              "(default true)"),
         Flag("no-trunc", None, BOOL, "Don't truncate output"),
         Flag("quiet", "q", BOOL, "Only show image IDs")]

HEADERS = {"ID": "IMAGE", "CreatedSince": "CREATED", "CreatedAt": "CREATED AT",
           "CreatedBy": "CREATED BY", "Size": "SIZE", "Comment": "COMMENT"}


def main(argv: list[str]) -> int:
    parsed = O.parse(argv, FLAGS, "teu history", "[OPTIONS] IMAGE",
                     "Show the history of an image", 1, 1)
    if parsed is None:
        return 0
    opts, (image,) = parsed

    def go() -> int:
        from teu.cli._table import render
        from teu.image.inspect import history, since
        from teu.image.progress import human_size

        human = opts.get("human", True)
        with O.store(opts.get("root")) as st:
            rows = history(st, st.lookup(image))
        items = []
        for r in rows:
            iid = r["Id"]
            if not opts.get("no_trunc") and iid.startswith("sha256:"):
                iid = iid[7:19]
            created_by = r["CreatedBy"]
            if not opts.get("no_trunc") and len(created_by) > 45:
                created_by = created_by[:44] + "…"
            items.append({"ID": iid, "CreatedSince": since(r["Created"]) if human
                          else r["Created"], "CreatedAt": r["Created"], "CreatedBy": created_by,
                          "Size": human_size(r["Size"]) if human else str(r["Size"]),
                          "Comment": r["Comment"]})
        if opts.get("quiet"):
            sys.stdout.write("".join(i["ID"] + "\n" for i in items))
            return 0
        default = ("table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}")
        sys.stdout.write(render(opts.get("format"), default, HEADERS, items,
                                "*formatter.historyContext"))
        return 0

    return O.run(image, go)
