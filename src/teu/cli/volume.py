"""`teu volume create|ls|inspect|rm|prune`: named volumes (<root>/volumes/<name>/_data)."""

from __future__ import annotations

import sys

from teu.cli._engine import engine, guarded, parse_or_help
from teu.cli._flags import BOOL, LIST, STR, Flag

USAGE = """Usage:  teu volume COMMAND

Commands:
  create      Create a volume
  inspect     Display detailed information on one or more volumes
  ls          List volumes
  prune       Remove unused local volumes
  rm          Remove one or more volumes
"""


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        sys.stdout.write(USAGE)
        return 0
    verb = {"list": "ls", "remove": "rm"}.get(argv[0], argv[0])
    fn = {"create": _create, "ls": _ls, "inspect": _inspect, "rm": _rm,
          "prune": _prune}.get(verb)
    if fn is None:
        sys.stdout.write(USAGE)
        print(f"teu volume: unknown command {argv[0]!r}", file=sys.stderr)
        return 1
    return fn(argv[1:])


def _create(argv: list[str]) -> int:
    flags = [Flag("label", None, LIST, "Set metadata for a volume"),
             Flag("driver", "d", STR, "Specify volume driver name (local)"),
             Flag("opt", "o", LIST, "Set driver specific options"),
             Flag("name", None, STR, "Specify volume name")]
    parsed = parse_or_help(argv, flags, "teu volume create", "[OPTIONS] [VOLUME]",
                           "Create a volume", True, 0, 1)
    if parsed is None:
        return 0
    opts, args = parsed

    def go() -> int:
        from teu.engine.config.options import labels
        from teu.engine.errors import InvalidArgument
        from teu.engine.storage import volumes

        if opts.get("driver") not in (None, "local"):
            raise InvalidArgument(f"volume driver {opts['driver']!r} is not available "
                                  "(only local)")
        e = engine()
        if opts.get("opt"):
            from teu.cli._flags import UsageError

            raise UsageError("volume driver options (-o) are not supported yet by the "
                             "local driver")
        options: dict[str, str] = {}
        print(volumes.create(e.paths, e.db, opts.get("name") or (args[0] if args else None),
                             labels(opts.get("label") or []), options))
        return 0

    return guarded(go)


def _ls(argv: list[str]) -> int:
    flags = [Flag("quiet", "q", BOOL, "Only display volume names"),
             Flag("format", None, STR, "Format output using a custom template"),
             Flag("filter", "f", LIST, "Provide filter values (dangling, driver, label, name)")]
    parsed = parse_or_help(argv, flags, "teu volume ls", "[OPTIONS]", "List volumes", True, 0, 0)
    if parsed is None:
        return 0
    opts, _ = parsed

    def go() -> int:
        from teu.cli._table import render
        from teu.engine.storage import volumes

        e = engine()
        used = set()
        for row in e.db.all():
            used.update(volumes.volume_names(row.settings))
        items = []
        for v in e.db.volumes():
            info = volumes.inspect(e.paths, e.db, v["name"])
            if not _match(info, opts.get("filter") or [], v["name"] in used):
                continue
            items.append({"Driver": info["Driver"], "Name": info["Name"],
                          "Mountpoint": info["Mountpoint"], "Scope": "local",
                          "Labels": ",".join(f"{k}={x}" for k, x in
                                             (info["Labels"] or {}).items()),
                          "Links": "N/A", "Size": "N/A"})  # docker's, without -v
        if opts.get("quiet"):
            for item in items:
                print(item["Name"])
            return 0
        sys.stdout.write(render(opts.get("format"), "table {{.Driver}}\t{{.Name}}",
                                {"Driver": "DRIVER", "Name": "VOLUME NAME",
                                 "Mountpoint": "MOUNTPOINT", "Scope": "SCOPE",
                                 "Labels": "LABELS", "Links": "LINKS", "Size": "SIZE"},
                                items, "*formatter.volumeContext"))
        return 0

    return guarded(go)


def _match(info: dict, filters: list[str], in_use: bool) -> bool:
    from teu.engine.errors import InvalidArgument

    for f in filters:
        key, _, value = f.partition("=")
        if key == "dangling":
            if (value in ("true", "1")) == in_use:
                return False
        elif key == "name":  # docker: a substring of the name
            if value not in info["Name"]:
                return False
        elif key == "driver":
            if info["Driver"] != value:
                return False
        elif key == "label":
            k, eq, v = value.partition("=")
            labels = info["Labels"] or {}
            if k not in labels or (eq and labels[k] != v):
                return False
        else:
            raise InvalidArgument(f"invalid filter '{key}'")
    return True


def _inspect(argv: list[str]) -> int:
    from teu.cli._inspect_out import inspect_verb

    def look(e, name: str) -> dict:  # noqa: ANN001 - an Engine
        from teu.engine.storage import volumes

        return volumes.inspect(e.paths, e.db, name)

    return inspect_verb(argv, "teu volume inspect", "[OPTIONS] VOLUME [VOLUME...]", "volumes",
                        look, "Format output using a custom template")  # docker's words


def _rm(argv: list[str]) -> int:
    flags = [Flag("force", "f", BOOL, "Force the removal of one or more volumes")]
    parsed = parse_or_help(argv, flags, "teu volume rm", "[OPTIONS] VOLUME [VOLUME...]",
                           "Remove one or more volumes", True, 1)
    if parsed is None:
        return 0
    opts, names = parsed

    def go() -> int:
        from teu.cli._engine import each
        from teu.engine.storage import volumes

        e = engine()

        def one(name: str) -> str:
            volumes.remove(e.paths, e.db, name, bool(opts.get("force")))
            return name

        return each(names, one)

    return guarded(go)


def _prune(argv: list[str]) -> int:
    flags = [Flag("force", "f", BOOL, "Do not prompt for confirmation"),
             Flag("all", "a", BOOL, "Remove all unused volumes, not just anonymous ones"),
             Flag("filter", None, LIST, "Provide filter values")]
    parsed = parse_or_help(argv, flags, "teu volume prune", "[OPTIONS]",
                           "Remove unused local volumes", True, 0, 0)
    if parsed is None:
        return 0
    opts, _ = parsed

    def go() -> int:
        from teu.cli._confirm import asked
        from teu.engine.config.units import size_text
        from teu.engine.storage import volumes
        from teu.labelfilter import parse

        # docker 23+'s words: without -a only anonymous volumes go (teu's rule too)
        what = "all local volumes" if opts.get("all") else "anonymous local volumes"
        if not asked(opts, f"WARNING! This will remove {what} not used by at least one "
                           "container.\nAre you sure you want to continue?"):
            return 0
        e = engine()
        removed, freed = volumes.prune(e.paths, e.db, bool(opts.get("all")),
                                       parse(opts.get("filter") or []))
        if removed:
            print("Deleted Volumes:")
            for name in removed:
                print(name)
            print()
        print(f"Total reclaimed space: {size_text(freed)}")
        return 0

    return guarded(go)
