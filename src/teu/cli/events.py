"""`teu events [--since T] [--until T] [--filter K=V] [--format T]`: the store's event
journal (teu.journal), the same history and stream as the Engine API's /events."""

from __future__ import annotations

import sys

from teu.cli._engine import engine, guarded, parse_or_help
from teu.cli._flags import LIST, STR, Flag, UsageError

FLAGS = [Flag("filter", "f", LIST, "Filter output based on conditions provided"),
         Flag("format", None, STR, "Format the output using the given Go template"),
         Flag("since", None, STR, "Show all events created since timestamp"),
         Flag("until", None, STR, "Stream events until this timestamp")]


def _when(value: str | None, flag: str) -> float | None:
    """docker's timestamps: seconds (fractions too), RFC 3339, or a duration ago (10m)."""
    if not value:
        return None
    from teu.engine.errors import InvalidArgument
    from teu.engine.timefmt import since

    try:
        return since(value, flag=flag)
    except InvalidArgument as e:
        raise UsageError(str(e)) from None


def main(argv: list[str]) -> int:
    parsed = parse_or_help(argv, FLAGS, "teu events", "[OPTIONS]",
                           "Get real time events from the server", True, 0, 0)
    if parsed is None:
        return 0
    opts, _ = parsed
    filters: dict[str, list[str]] = {}
    for f in opts.get("filter") or []:
        key, eq, value = f.partition("=")
        if not eq:
            raise UsageError(f'invalid argument "{f}" for "-f, --filter" flag: bad format of '
                             "filter (expected name=value)\nSee 'teu events --help'.")
        filters.setdefault(key, []).append(value)

    def go() -> int:
        from teu.engine.views import events as E

        bad = sorted(set(filters) - set(E.FILTERS))
        if bad:
            raise UsageError(f"Error response from daemon: invalid filter '{bad[0]}'")
        show = _formatter(opts.get("format"))
        for ev in E.stream(engine().paths.root, filters, _when(opts.get("since"), "since"),
                           _when(opts.get("until"), "until")):
            sys.stdout.write(show(ev) + "\n")
            sys.stdout.flush()
        return 0

    try:
        return guarded(go)
    except KeyboardInterrupt:
        return 0


def _formatter(fmt: str | None):  # noqa: ANN202 - event -> line
    from teu.engine.views.events import text

    if not fmt:
        return text
    from teu.cli.formatting import Struct, parse

    t = parse("{{json .}}" if fmt == "json" else fmt)

    def show(ev: dict) -> str:
        actor = Struct("events.Actor", {"ID": ev["Actor"]["ID"],
                                        "Attributes": ev["Actor"]["Attributes"]})
        fields = {**{k: v for k, v in ev.items() if k != "Actor"}, "Actor": actor}
        fields.setdefault("status", "")
        fields.setdefault("id", "")
        fields.setdefault("from", "")
        return t.execute(Struct("events.Message", fields))

    return show
