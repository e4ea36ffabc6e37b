"""`teu history [-H=false] [--no-trunc] [-q] [--format F] IMAGE`."""

from __future__ import annotations

import sys

from teu.cli import _imageopts as O

HEADERS = {"ID": "IMAGE", "CreatedSince": "CREATED", "CreatedAt": "CREATED AT",
           "CreatedBy": "CREATED BY", "Size": "SIZE", "Comment": "COMMENT"}


def main(argv: list[str]) -> int:
    p = O.parser("teu history", "Show the history of an image.")
    p.add_argument("-H", "--human", nargs="?", const="true", default="true",
                   help="sizes and dates in human readable form (default true)")
    p.add_argument("--no-trunc", action="store_true")
    p.add_argument("-q", "--quiet", action="store_true", help="only image IDs")
    p.add_argument("--format")
    p.add_argument("image")
    args = p.parse_args(argv)

    def go() -> int:
        from teu.cli._table import render
        from teu.image.inspect import history, since
        from teu.image.progress import human_size

        human = args.human.lower() not in ("false", "0", "no")
        with O.store(args.root) as st:
            rows = history(st, st.lookup(args.image))
        items = []
        for r in rows:
            iid = r["Id"]
            if not args.no_trunc and iid.startswith("sha256:"):
                iid = iid[7:19]
            created_by = r["CreatedBy"]
            if not args.no_trunc and len(created_by) > 45:
                created_by = created_by[:44] + "…"
            items.append({"ID": iid, "CreatedSince": since(r["Created"]) if human
                          else r["Created"], "CreatedAt": r["Created"], "CreatedBy": created_by,
                          "Size": human_size(r["Size"]) if human else str(r["Size"]),
                          "Comment": r["Comment"]})
        if args.quiet:
            sys.stdout.write("".join(i["ID"] + "\n" for i in items))
            return 0
        default = ("table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}")
        sys.stdout.write(render(args.format, default, HEADERS, items))
        return 0

    return O.run(args.image, go)
