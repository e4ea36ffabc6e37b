"""docker's --format on top of Go templates (teu.cli.gotemplate): its functions, its
`table` and `json` formats, the table header, and how each command reports errors.

What docker does, and so teu:
- list commands (ps, images, volume ls, history, stats, system df): `table` at the
  start prints a header row and aligns columns (Go's tabwriter: minwidth 10, padding
  3); `\\t` and `\\n` written as two characters become a tab and a newline; `json`
  prints each row as one JSON object per line. Each row is a formatter *context*, a
  Go struct: an unknown field is an error (`can't evaluate field Foo in type
  *formatter.ContainerContext`), exit 1 with `template parsing error: ...`.
- inspect: the object is first a typed struct (so a missing field fails, while a
  missing key of a map field such as Config.Labels is `<no value>`); if that fails
  docker runs the template again on the raw JSON with missingkey=error, and that
  error is the one shown (`map has no entry for key "Foo"`). A template that does not
  parse is exit 64 there.
"""

from __future__ import annotations

import json as _json
from typing import Any

from teu.cli.gotemplate import ExecError, Func, ParseError, Struct, Template, TemplateError
from teu.cli.gotemplate.values import to_json


class FormatError(TemplateError):
    """A --format that docker would refuse; its text is docker's, shown as is."""


def _json_func(v: Any) -> str:
    return _json.dumps(to_json(v), ensure_ascii=False, separators=(",", ":"))


def _title(s: str) -> str:
    """strings.Title: upper-case the first letter of each word."""
    out = []
    prev_letter = False
    for ch in s:
        out.append(ch.upper() if not prev_letter else ch)
        prev_letter = ch.isalnum() or ch == "_" or ch == "'"
    return "".join(out)


def _split(s: str, sep: str) -> list[str]:
    return list(s) if sep == "" else s.split(sep)


def _pad(s: str, prefix: int, suffix: int) -> str:
    return s if s == "" else " " * prefix + s + " " * suffix


def _truncate(s: str, n: int) -> str:
    return s if len(s) < n else s[:n]


# docker/cli templates.basicFunctions
DOCKER_FUNCS: dict[str, Func] = {
    "json": Func(_json_func, ("any",)),
    "split": Func(_split, ("string", "string")),
    "join": Func(lambda items, sep: sep.join(items), ("[]string", "string")),
    "title": Func(_title, ("string",)),
    "lower": Func(str.lower, ("string",)),
    "upper": Func(str.upper, ("string",)),
    "pad": Func(_pad, ("string", "int", "int")),
    "truncate": Func(_truncate, ("string", "int")),
}

# docker/cli templates.HeaderFunctions: in a table's header row they return the
# column's title unchanged (all but pad)
HEADER_FUNCS: dict[str, Func] = {
    "json": Func(lambda v: v, ("string",)),
    "split": Func(lambda v, _s: v, ("string", "string")),
    "join": Func(lambda v, _s: v, ("string", "string")),
    "title": Func(lambda v: v, ("string",)),
    "lower": Func(lambda v: v, ("string",)),
    "upper": Func(lambda v: v, ("string",)),
    "truncate": Func(lambda v, _n: v, ("string", "int")),
    # pad is not replaced: a padded column keeps its header aligned with it
}


def parse(text: str, name: str = "", prefix: str = "template parsing error: ",
          exit_code: int = 1) -> Template:
    """A template with docker's functions; docker's message if it does not parse."""
    try:
        return Template(text, name, DOCKER_FUNCS)
    except ParseError as e:
        raise FormatError(f"{prefix}{e}", exit_code) from None


def context(type_name: str, fields: dict[str, Any],
            labels: dict[str, str] | None = None) -> Struct:
    """A row of a list command as docker's formatter context: fields are strings,
    `.Label "k"` (where the row has labels) the value of one label."""
    methods = {}
    if labels is not None:
        methods["Label"] = Func(lambda k: labels.get(k, ""), ("string",))
    return Struct(type_name, fields, methods, json_map=True)


def tabwrite(text: str, minwidth: int = 10, padding: int = 3) -> str:
    """Go's text/tabwriter as docker sets it up (minwidth 10, tabwidth 1, padding 3,
    spaces, no flags): a tab ends a cell; a column's width is set per block of
    consecutive lines that have a cell in it; the text after a line's last tab is
    written as it is."""
    lines = [line.split("\t") for line in text.split("\n")]
    out: list[str] = []
    widths: list[int] = []

    def write(start: int, end: int) -> None:
        for k in range(start, end):
            cells = lines[k]
            parts = []
            for j, cell in enumerate(cells):
                if j < len(cells) - 1 and j < len(widths):
                    parts.append(cell.ljust(widths[j]))
                else:
                    parts.append(cell)
            out.append("".join(parts))

    def fmt(line0: int, line1: int) -> None:
        column = len(widths)
        this = line0
        while this < line1:
            if column >= len(lines[this]) - 1:
                this += 1
                continue
            write(line0, this)
            line0 = this
            width = minwidth
            while this < line1 and column < len(lines[this]) - 1:
                width = max(width, len(lines[this][column]) + padding)
                this += 1
            widths.append(width)
            fmt(line0, this)
            widths.pop()
            line0 = this
        write(line0, line1)

    fmt(0, len(lines))
    return "\n".join(out)


def list_format(fmt: str | None, default: str) -> tuple[bool, str]:
    """(is a table, the template text) for a list command's --format (docker's
    preFormat): none or `table` alone is the command's default table."""
    if not fmt or fmt == "table":
        fmt = default
    if fmt == "json":
        fmt = "{{json .}}"
    table = fmt.startswith("table")
    if table:
        fmt = fmt[len("table"):]
    fmt = fmt.strip(" ").replace("\\t", "\t").replace("\\n", "\n")
    return table, fmt


def render(fmt: str | None, default: str, headers: dict[str, str], rows: list[Any]) -> str:
    """Rows (contexts, see `context`) through the --format, as docker's list commands."""
    table, text = list_format(fmt, default)
    t = parse(text)
    out = []
    for row in rows:
        try:
            out.append(t.execute(row) + "\n")
        except ExecError as e:
            raise FormatError(f"template parsing error: {e}") from None
    if not table:
        return "".join(out)
    try:
        head = t.execute(dict(headers), HEADER_FUNCS)
    except ExecError as e:
        head = e.partial  # docker ignores the header's error and keeps what it wrote
    return tabwrite(head + "\n" + "".join(out))


def validate(fmt: str | None, empty_row: Any) -> None:
    """`docker ps` runs its --format once on an empty row before listing: a broken
    template fails even when nothing would be listed."""
    if not fmt:
        return
    try:
        t = Template(fmt, "", DOCKER_FUNCS)
    except ParseError as e:
        raise FormatError(f"failed to parse template: {e}") from None
    try:
        t.execute(empty_row)
    except ExecError as e:
        raise FormatError(f"failed to execute template: {e}") from None


# Fields of docker's inspect types that are Go maps (missing key: <no value>); every
# other JSON object in an inspect result is a struct (missing field: an error).
MAP_FIELDS = {"Labels", "Volumes", "ExposedPorts", "Ports", "PortBindings", "Networks",
              "Sysctls", "Options", "Data", "StorageOpt", "Tmpfs", "DriverOpts",
              "Annotations", "Status", "Containers", "Peers", "IPAMOptions"}
# maps whose values are structs (Networks: map[string]*EndpointSettings)
STRUCT_VALUED = {"Networks", "Containers"}


# Fields of docker's inspect structs that its JSON omits when empty (omitempty): the Go
# struct has them all the same, so `{{with .State.Health}}` is false, not an error.
OMITTED = {"State": ("Health",), "": ("Node", "SizeRw", "SizeRootFs"),
           "Config": ("Healthcheck", "ArgsEscaped", "NetworkDisabled", "MacAddress",
                      "StopSignal", "StopTimeout", "Shell", "OnBuild"),
           "ContainerConfig": ("Healthcheck", "StopSignal"),
           "HostConfig": ("Annotations",)}


def typed(value: Any, key: str = "", parent: str = "", type_name: str = "struct") -> Any:
    """An inspect result as docker's typed Go value: JSON objects become Structs (the
    top one named type_name), but for the map fields above (and LogConfig.Config),
    which stay maps."""
    if isinstance(value, dict) and type_name != "struct":
        return Struct(type_name, {k: typed(v, k, key) for k, v in value.items()})
    if isinstance(value, dict):
        if key in MAP_FIELDS or (key == "Config" and parent == "LogConfig"):
            if key in STRUCT_VALUED:
                return {k: typed(v, "[]", key) for k, v in value.items()}
            return value
        fields = {k: typed(v, k, key) for k, v in value.items()}
        omitted = OMITTED.get(key, ())
        for name in omitted:
            fields.setdefault(name, None)
        return Struct("struct", fields, omitempty=omitted)
    if isinstance(value, list):
        return [typed(v, "[]", key) for v in value]
    return value


def inspect_template(fmt: str, name: str = "") -> Template:
    """docker inspect's template: a parse error is exit 64."""
    return parse(fmt, name, exit_code=64)


def inspect_one(t: Template, obj: Any) -> str:
    """One inspect object through the template, with docker's raw-JSON fallback."""
    try:
        return t.execute(typed(obj))
    except ExecError:
        pass
    try:
        return t.execute(obj, missingkey="error")
    except ExecError as e:
        raise FormatError(f"template parsing error: {e}") from None
