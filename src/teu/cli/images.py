"""`teu images [-q] [-a] [--digests] [--no-trunc] [--format F] [-f FILTER] [REPO[:TAG]]`."""

from __future__ import annotations

import fnmatch
import sys

from teu.cli import _imageopts as O
from teu.cli._flags import BOOL, LIST, STR, Flag, UsageError
from teu.errors import TeuError

FLAGS = [Flag("all", "a", BOOL, "Show all images (all are always shown)"),
         Flag("digests", None, BOOL, "Show digests"),
         Flag("filter", "f", LIST, "Filter output based on conditions provided "
              "(dangling, label, before, since, reference)", "filter"),
         Flag("format", None, STR, "Pretty-print images using a Go template"),
         Flag("no-trunc", None, BOOL, "Don't truncate output"),
         Flag("quiet", "q", BOOL, "Only show image IDs")]

HEADERS = {"ID": "IMAGE ID", "Repository": "REPOSITORY", "Tag": "TAG", "Digest": "DIGEST",
           "CreatedSince": "CREATED", "CreatedAt": "CREATED AT", "Size": "SIZE",
           "Containers": "CONTAINERS", "SharedSize": "SHARED SIZE", "UniqueSize": "UNIQUE SIZE",
           "VirtualSize": "VIRTUAL SIZE"}


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
        if not sep:
            raise UsageError(f'invalid argument "{f}" for "-f, --filter" flag: bad format of '
                             "filter (expected name=value)\nSee 'teu images --help'.")
        if key not in ("dangling", "reference", "label", "before", "since"):
            raise TeuError(f"invalid filter '{key}'")  # docker's daemon: exit 1
        if key == "dangling" and value not in ("true", "false", "1", "0"):
            raise TeuError(f"invalid filter 'dangling={value}'")
        filters.setdefault(key, []).append(value)
    if args.repository:
        filters.setdefault("reference", []).append(args.repository)
    from teu.engine.timefmt import parse_rfc3339

    def created(row) -> float:  # noqa: ANN001
        return parse_rfc3339(row.created) if row.created else 0.0

    # docker: before/since take an image (the last one given counts)
    bounds = {k: created(st.lookup(filters[k][-1])) for k in ("before", "since")
              if k in filters}
    want_labels = "label" in filters or bool(args.format and "Label" in args.format)
    out = []
    for row in st.images():
        iid = row.id if args.no_trunc else row.id[7:19]
        base = {"ID": iid, "CreatedSince": since(row.created), "CreatedAt": row.created or "",
                "Size": human_size(row.size), "Containers": "N/A",
                # docker's imageContext fields (sizes shared between images: not counted)
                "SharedSize": "N/A", "UniqueSize": "N/A", "VirtualSize": human_size(row.size)}
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
        if want_labels:  # .Label "k" and label filters: the image config's labels
            from teu.image.inspect import inspect

            base["_labels"] = (inspect(st, row).get("Config") or {}).get("Labels") or {}
            labels = base["_labels"]
            if any(k not in labels or (eq and labels[k] != v) for k, eq, v in
                   (f.partition("=") for f in filters.get("label", []))):
                continue  # docker: every label filter must hold
        if "before" in bounds and not created(row) < bounds["before"]:
            continue
        if "since" in bounds and not created(row) > bounds["since"]:
            continue
        dangling = not row.tags
        if "dangling" in filters and not any(
                (v in ("true", "1")) == dangling for v in filters["dangling"]):
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
    default = ("table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t"
               "{{.Size}}" if args.digests else
               "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}")
    from teu.cli.formatting import context

    contexts = [context("*formatter.imageContext",
                        {k: v for k, v in r.items() if k != "_labels"}, r.get("_labels", {}))
                for r in rows]
    sys.stdout.write(render(args.format, default, HEADERS, contexts))
    return 0
