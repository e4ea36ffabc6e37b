"""`teu images [-q] [-a] [--digests] [--no-trunc] [--format F] [-f FILTER] [REPO[:TAG]]`."""

from __future__ import annotations

import fnmatch
import sys

from teu.cli import _imageopts as O
from teu.cli._flags import BOOL, LIST, STR, Flag
from teu.errors import TeuError

FLAGS = [Flag("all", "a", BOOL, "Show all images (all are always shown)"),
         Flag("digests", None, BOOL, "Show digests"),
         Flag("filter", "f", LIST, "Filter output based on conditions provided "
              "(dangling=true|false, reference=PATTERN)", "filter"),
         Flag("format", None, STR, "Pretty-print images using a Go template"),
         Flag("no-trunc", None, BOOL, "Don't truncate output"),
         Flag("quiet", "q", BOOL, "Only show image IDs")]

HEADERS = {"ID": "IMAGE ID", "Repository": "REPOSITORY", "Tag": "TAG", "Digest": "DIGEST",
           "CreatedSince": "CREATED", "CreatedAt": "CREATED AT", "Size": "SIZE",
           "Containers": "CONTAINERS"}


def main(argv: list[str], prog: str = "teu images") -> int:
    parsed = O.parse(argv, FLAGS, prog, "[OPTIONS] [REPOSITORY[:TAG]]", "List images", 0, 1)
    if parsed is None:
        return 0
    args = _Args(*parsed)
    return O.run("", lambda: _list(args))


class _Args:
    """The parsed command line with attribute access (what _rows and _list read)."""

    def __init__(self, opts: dict, rest: list[str]) -> None:
        self.root = opts.get("root")
        self.quiet = bool(opts.get("quiet"))
        self.digests = bool(opts.get("digests"))
        self.no_trunc = bool(opts.get("no_trunc"))
        self.format = opts.get("format")
        self.filter = opts.get("filter") or []
        self.repository = rest[0] if rest else None


def _rows(st, args) -> list[dict]:
    from teu.image import reference as R
    from teu.image.inspect import since
    from teu.image.progress import human_size

    filters: dict[str, list[str]] = {}
    for f in args.filter:
        key, sep, value = f.partition("=")
        if not sep or key not in ("dangling", "reference"):
            raise TeuError(f"invalid filter {f!r} (dangling=true|false, reference=PATTERN)", 125)
        filters.setdefault(key, []).append(value)
    if args.repository:
        filters.setdefault("reference", []).append(args.repository)
    out = []
    for row in st.images():
        iid = row.id if args.no_trunc else row.id[7:19]
        base = {"ID": iid, "CreatedSince": since(row.created), "CreatedAt": row.created or "",
                "Size": human_size(row.size), "Containers": "N/A"}
        names: list[tuple[str, str, str]] = []
        for t in row.tags:
            ref = R.parse(t, default_tag=False)
            digest = next((d.split("@", 1)[1] for d in row.digests
                           if d.split("@", 1)[0] == ref.repository), "<none>")
            names.append((ref.familiar_name, ref.tag or "<none>", digest))
        tagged_repos = {R.parse(t, default_tag=False).familiar_name for t in row.tags}
        for d in row.digests:
            ref = R.parse(d, default_tag=False)
            if ref.familiar_name not in tagged_repos:
                names.append((ref.familiar_name, "<none>", ref.digest or "<none>"))
        if not names:
            names.append(("<none>", "<none>", "<none>"))
        dangling = not row.tags
        if "dangling" in filters and (str(dangling).lower() not in filters["dangling"]):
            continue
        for repo, tag, digest in names:
            if "reference" in filters and not any(
                    _ref_match(pat, repo, tag) for pat in filters["reference"]):
                continue
            out.append({**base, "Repository": repo, "Tag": tag, "Digest": digest})
    return out


def _ref_match(pattern: str, repo: str, tag: str) -> bool:
    if ":" in pattern.rsplit("/", 1)[-1]:
        return fnmatch.fnmatchcase(f"{repo}:{tag}", pattern)
    return fnmatch.fnmatchcase(repo, pattern)


def _list(args) -> int:
    from teu.cli._table import render

    with O.store(args.root) as st:
        rows = _rows(st, args)
    if args.quiet:
        seen = []
        for r in rows:
            if r["ID"] not in seen:
                seen.append(r["ID"])
        sys.stdout.write("".join(i + "\n" for i in seen))
        return 0
    if args.format == "json":
        import json

        sys.stdout.write("".join(json.dumps(r) + "\n" for r in rows))
        return 0
    default = ("table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t"
               "{{.Size}}" if args.digests else
               "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}")
    sys.stdout.write(render(args.format, default, HEADERS, rows))
    return 0
