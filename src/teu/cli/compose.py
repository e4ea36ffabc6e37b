"""`teu compose`: Compose projects, with docker compose v2's flags and output.

Global flags (-f, -p, --project-directory, --env-file, --profile) come before the
verb, as in docker compose; the loader (teu.compose.loader) does the work.
"""

from __future__ import annotations

import sys

from teu.cli._flags import BOOL, LIST, STR, Flag, UsageError, parse, parse_or_help

USAGE = """
Usage:  teu compose [OPTIONS] COMMAND

Define and run multi-container applications with teu

Options:
      --env-file stringArray       Specify an alternate environment file
  -f, --file stringArray           Compose configuration files
      --profile stringArray        Specify a profile to enable
      --project-directory string   Specify an alternate working directory
                                   (default: the path of the, first specified, Compose file)
  -p, --project-name string        Project name

Commands:
  config      Parse, resolve and render compose file in canonical format
"""

GLOBAL = [
    Flag("file", "f", LIST, "Compose configuration files"),
    Flag("project-name", "p", STR, "Project name"),
    Flag("project-directory", None, STR, "Specify an alternate working directory"),
    Flag("env-file", None, LIST, "Specify an alternate environment file"),
    Flag("profile", None, LIST, "Specify a profile to enable"),
    Flag("ansi", None, STR, "Control when to print ANSI control characters (accepted)"),
    Flag("progress", None, STR, "Set type of progress output (accepted)"),
    Flag("parallel", None, STR, "Control max parallelism (accepted)"),
    Flag("compatibility", None, BOOL, "Run compose in backward compatibility mode (accepted)"),
    Flag("help", "h", BOOL, "Print usage"),
]


def main(argv: list[str]) -> int:
    opts, rest = parse(argv, GLOBAL, interspersed=False, prog="teu compose")
    if opts.get("help") or not rest:
        sys.stdout.write(USAGE)
        return 0
    verb, args = rest[0], rest[1:]
    fn = {"config": _config, "convert": _config}.get(verb)
    if fn is None:
        raise UsageError(f"unknown docker command: \"compose {verb}\"\n"
                         "See 'teu compose --help'", 1)
    return fn(opts, args)


def options(global_opts: dict, interpolate: bool = True):  # noqa: ANN201
    """The loader's ProjectOptions from the global flags."""
    from teu.compose.loader import ProjectOptions

    return ProjectOptions(
        files=global_opts.get("file") or [],
        project_directory=global_opts.get("project_directory") or "",
        project_name=global_opts.get("project_name") or "",
        env_files=global_opts.get("env_file") or [],
        profiles=[p for v in global_opts.get("profile") or [] for p in v.split(",")],
        interpolate=interpolate,
        warn=lambda m: print(f'WARN[0000] {m}', file=sys.stderr))


def _config(global_opts: dict, argv: list[str]) -> int:
    flags = [
        Flag("format", None, STR, "Format the output. Values: [yaml | json]"),
        Flag("services", None, BOOL, "Print the service names, one per line."),
        Flag("volumes", None, BOOL, "Print the volume names, one per line."),
        Flag("networks", None, BOOL, "Print the network names, one per line."),
        Flag("profiles", None, BOOL, "Print the profile names, one per line."),
        Flag("images", None, BOOL, "Print the image names, one per line."),
        Flag("hash", None, STR, "Print the service config hash, one per line."),
        Flag("no-interpolate", None, BOOL, "Don't interpolate environment variables"),
        Flag("quiet", "q", BOOL, "Only validate the configuration, don't print anything"),
        Flag("output", "o", STR, "Save to file (default to stdout)"),
    ]
    parsed = parse_or_help(argv, flags, "teu compose config", "[OPTIONS] [SERVICE...]",
                           "Parse, resolve and render compose file in canonical format")
    if parsed is None:
        return 0
    opts, services = parsed
    fmt = opts.get("format") or "yaml"
    if fmt not in ("yaml", "json"):
        raise UsageError(f"unsupported format {fmt!r}", 1)
    from teu.compose.errors import ComposeError
    from teu.compose.loader import load
    from teu.compose.render import to_json, to_yaml

    project = load(options(global_opts, not opts.get("no_interpolate")))
    model = project.model
    if services:
        unknown = [s for s in services if s not in model["services"]]
        if unknown:
            raise ComposeError(f"no such service: {unknown[0]}")
        from teu.compose.normalize import with_dependencies

        keep = with_dependencies(model["services"], services)
        model = {**model, "services": {k: v for k, v in model["services"].items()
                                       if k in keep}}
    if opts.get("quiet"):
        return 0
    lines: list[str] | None = None
    if opts.get("services"):
        lines = sorted(model["services"])
    elif opts.get("volumes"):
        lines = sorted(model.get("volumes") or {})
    elif opts.get("networks"):
        lines = sorted(model.get("networks") or {})
    elif opts.get("profiles"):
        every = {**project.disabled, **model["services"]}
        lines = sorted({p for s in every.values() for p in s.get("profiles") or []})
    elif opts.get("images"):
        lines = [s.get("image") or f"{project.name}-{n}"
                 for n, s in sorted(model["services"].items())]
    elif opts.get("hash") is not None:
        from teu.compose.hashing import config_hash

        wanted = opts["hash"].split(",") if opts["hash"] != "*" else sorted(model["services"])
        lines = [f"{n} {config_hash(model['services'][n])}" for n in wanted
                 if n in model["services"]]
    escape = not opts.get("no_interpolate")
    text = "\n".join(lines) + "\n" if lines else ("" if lines is not None else (
        to_json(model, escape) + "\n" if fmt == "json" else to_yaml(model, escape)))
    if opts.get("output"):
        with open(opts["output"], "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0
