"""`teu compose`: Compose projects, with docker compose v2's flags and output.

Global flags (-f, -p, --project-directory, --env-file, --profile) come before the
verb, as in docker compose; the loader (teu.compose.loader) does the work.
"""

from __future__ import annotations

import sys

from teu.cli._flags import BOOL, INT, LIST, STR, Flag, UsageError, parse, parse_or_help

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
  down        Stop and remove containers, networks
  ps          List containers
  up          Create and start containers (-d)
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
    fn = {"config": _config, "convert": _config, "up": _up, "ps": _ps,
          "down": _down}.get(verb)
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


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _load_model(global_opts: dict) -> dict:
    from teu.compose.loader import load

    return load(options(global_opts)).model


def _up(global_opts: dict, argv: list[str]) -> int:
    flags = [Flag("detach", "d", BOOL, "Detached mode: Run containers in the background")]
    parsed = parse_or_help(argv, flags, "teu compose up", "[OPTIONS] [SERVICE...]",
                           "Create and start containers", max_args=0)
    if parsed is None:
        return 0
    opts, _ = parsed
    if not opts.get("detach"):
        raise UsageError("teu compose up: only detached mode (-d) is there yet", 1)
    from teu.cli._engine import engine, guarded
    from teu.compose.run import up

    model = _load_model(global_opts)
    return guarded(lambda: up(engine(), model, _say) or 0)


def _ps(global_opts: dict, argv: list[str]) -> int:
    flags = [Flag("all", "a", BOOL, "Show all stopped containers"),
             Flag("quiet", "q", BOOL, "Only display IDs"),
             Flag("services", None, BOOL, "Display services")]
    parsed = parse_or_help(argv, flags, "teu compose ps", "[OPTIONS] [SERVICE...]",
                           "List containers", max_args=0)
    if parsed is None:
        return 0
    opts, _ = parsed
    from teu.cli._engine import engine, guarded
    from teu.compose.run import ps

    model = _load_model(global_opts)

    def go() -> int:
        items = ps(engine(), model, bool(opts.get("all")))
        if opts.get("quiet"):
            for it in items:
                print(it["ID"])
        elif opts.get("services"):
            for name in sorted({it["Service"] for it in items}):
                print(name)
        else:
            from teu.cli._table import rows_text

            keys = ["Names", "Image", "Command", "Service", "RunningFor", "Status", "Ports"]
            rows = [["NAME", "IMAGE", "COMMAND", "SERVICE", "CREATED", "STATUS", "PORTS"]]
            rows += [[str(it[k]) for k in keys] for it in items]
            sys.stdout.write(rows_text(rows))
        return 0

    return guarded(go)


def _down(global_opts: dict, argv: list[str]) -> int:
    flags = [Flag("volumes", "v", BOOL, "Remove named volumes declared in the \"volumes\" "
                  "section of the Compose file"),
             Flag("timeout", "t", INT, "Specify a shutdown timeout in seconds")]
    parsed = parse_or_help(argv, flags, "teu compose down", "[OPTIONS] [SERVICES]",
                           "Stop and remove containers, networks", max_args=0)
    if parsed is None:
        return 0
    opts, _ = parsed
    from teu.cli._engine import engine, guarded
    from teu.compose.run import down

    model = _load_model(global_opts)
    return guarded(lambda: down(engine(), model, _say, bool(opts.get("volumes")),
                                opts.get("timeout")) or 0)
