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
  build       Build or rebuild services
  config      Parse, resolve and render compose file in canonical format
  cp          Copy files/folders between a service container and the local filesystem
  create      Creates containers for a service
  down        Stop and remove containers, networks
  events      Receive real time events from containers
  exec        Execute a command in a running container
  images      List images used by the created containers
  kill        Force stop service containers
  logs        View output from containers
  ls          List running compose projects
  pause       Pause services
  port        Print the public port for a port binding
  ps          List containers
  pull        Pull service images
  push        Push service images
  restart     Restart service containers
  rm          Removes stopped service containers
  run         Run a one-off command on a service
  scale       Scale services
  start       Start services
  stop        Stop services
  top         Display the running processes
  unpause     Unpause services
  up          Create and start containers
  version     Show the Docker Compose version information
  volumes     List volumes
  wait        Block until containers of all (or specified) services stop.
  watch       Watch build context for service and rebuild/refresh containers when files are updated
"""

# The verbs in other modules: (module, function).
LIFECYCLE = ("start", "stop", "restart", "kill", "pause", "unpause")
VERBS = {**{v: ("compose_verbs", "lifecycle") for v in LIFECYCLE},
         **{v: ("compose_verbs", v.rstrip("_")) for v in
            ("rm", "logs", "top", "port", "cp", "wait", "images", "pull", "push", "ls",
             "version", "watch", "events", "scale", "volumes")},
         "exec": ("compose_verbs", "exec_"), "run": ("compose_run", "run"),
         "create": ("compose_run", "create")}

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
    try:
        opts, rest = parse(argv, GLOBAL, interspersed=False, prog="teu compose")
    except UsageError as e:
        raise UsageError(str(e), 1) from None  # docker compose answers 1 for a bad flag
    if opts.get("help") or not rest:
        sys.stdout.write(USAGE)
        return 0
    verb, args = rest[0], rest[1:]
    fn = {"config": _config, "convert": _config, "up": _up, "ps": _ps,
          "down": _down, "build": _build}.get(verb)
    if fn is None and verb in VERBS:
        import importlib

        module, name = VERBS[verb]
        fn = getattr(importlib.import_module(f"teu.cli.{module}"), name)
        if verb in LIFECYCLE:
            fn = fn(verb)
    if fn is None:
        raise UsageError(f"unknown docker command: \"compose {verb}\"\n"
                         "See 'teu compose --help'", 1)
    try:
        return fn(opts, args)
    except UsageError as e:
        if e.exit_code != 125:
            raise
        raise UsageError(str(e), 1) from None  # docker compose answers 1 for a bad flag


def options(global_opts: dict, interpolate: bool = True):  # noqa: ANN201
    """The loader's ProjectOptions from the global flags."""
    from teu.compose.project import ProjectOptions

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
        from teu.compose.hashing import declared_hash

        wanted = opts["hash"].split(",") if opts["hash"] != "*" else sorted(model["services"])
        lines = [f"{n} {declared_hash(model['services'][n], project.declared_env[n])}"
                 for n in wanted if n in model["services"]]
    escape = not opts.get("no_interpolate")
    text = "\n".join(lines) + "\n" if lines else ("" if lines is not None else (
        to_json(model, escape) + "\n" if fmt == "json" else to_yaml(model, escape)))
    if opts.get("output"):
        with open(opts["output"], "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


def progress(global_opts: dict, verb: str = "Running"):  # noqa: ANN201
    """The progress reporter the global --progress asks for (auto: a redrawn block on a
    terminal, plain lines elsewhere; quiet: nothing)."""
    from teu.compose.progress import Progress

    mode = global_opts.get("progress") or "auto"
    if mode == "quiet":
        import io

        return Progress(io.StringIO(), tty=False)
    return Progress(sys.stderr, tty={"tty": True, "plain": False}.get(mode), verb=verb)


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def load_project(global_opts: dict, services: list[str] | None = None):  # noqa: ANN201
    """The project the global flags name; `services` named on the command line are
    enabled whatever their profiles. From the model cache when the files, environment
    and options are those of an earlier load (teu.compose.modelcache)."""
    from teu.compose.modelcache import load
    from teu.engine.paths import Paths

    o = options(global_opts)
    o.services = list(services or [])
    return load(o, Paths().runroot)


def _load_model(global_opts: dict) -> dict:
    return load_project(global_opts).model


def project_labels(project) -> dict[str, str]:  # noqa: ANN001
    """docker compose's labels of the project on every container: its files and dir."""
    from teu.compose import plan

    return {plan.CONFIG_FILES: ",".join(project.files), plan.WORKING_DIR: project.directory}


UP_FLAGS = [
    Flag("detach", "d", BOOL, "Detached mode: Run containers in the background"),
    Flag("scale", None, LIST, "Scale SERVICE to NUM instances. Overrides the `scale` "
         "setting in the Compose file if present.", "scale"),
    Flag("build", None, BOOL, "Build images before starting containers"),
    Flag("no-build", None, BOOL, "Don't build an image, even if it's policy"),
    Flag("pull", None, STR, "Pull image before running (\"always\"|\"missing\"|\"never\")"),
    Flag("force-recreate", None, BOOL, "Recreate containers even if their configuration "
         "and image haven't changed"),
    Flag("no-recreate", None, BOOL, "If containers already exist, don't recreate them"),
    Flag("no-deps", None, BOOL, "Don't start linked services"),
    Flag("remove-orphans", None, BOOL, "Remove containers for services not defined in the "
         "Compose file"),
    Flag("no-start", None, BOOL, "Don't start the services after creating them"),
    Flag("timeout", "t", INT, "Use this timeout in seconds for container shutdown when "
         "attached or when containers are already running"),
    Flag("quiet-pull", None, BOOL, "Pull without printing progress information"),
    Flag("wait", None, BOOL, "Wait for services to be running|healthy. Implies detached "
         "mode."),
    Flag("wait-timeout", None, INT, "Maximum duration in seconds to wait for the project "
         "to be running|healthy"),
    Flag("abort-on-container-exit", None, BOOL, "Stops all containers if any container was "
         "stopped. Incompatible with -d"),
    Flag("exit-code-from", None, STR, "Return the exit code of the selected service "
         "container. Implies --abort-on-container-exit"),
    Flag("attach", None, LIST, "Restrict attaching to the specified services"),
    Flag("no-attach", None, LIST, "Do not attach (stream logs) to the specified services"),
    Flag("attach-dependencies", None, BOOL, "Automatically attach to log output of "
         "dependent services"),
    Flag("no-color", None, BOOL, "Produce monochrome output"),
    Flag("no-log-prefix", None, BOOL, "Don't print prefix in logs"),
    Flag("timestamps", None, BOOL, "Show timestamps"),
]


def up_options(opts: dict, services: list[str]):  # noqa: ANN201
    """UpOptions from `up`'s parsed flags; a bad combination is docker compose's error."""
    from teu.compose.run import UpOptions

    scale: dict[str, int] = {}
    for item in opts.get("scale") or []:
        svc, eq, num = item.partition("=")
        if not eq or not num.isdigit():
            raise UsageError(f"invalid --scale {item!r}: SERVICE=NUM expected", 1)
        scale[svc] = int(num)
    if opts.get("build") and opts.get("no_build"):
        raise UsageError("--build and --no-build are incompatible", 1)
    if opts.get("force_recreate") and opts.get("no_recreate"):
        raise UsageError("--force-recreate and --no-recreate are incompatible", 1)
    pull = opts.get("pull") or "missing"
    if pull not in ("always", "missing", "never", "build"):
        raise UsageError(f"invalid --pull option {pull!r}", 1)
    return UpOptions(
        services=services, scale=scale,
        build="build" if opts.get("build") else ("no-build" if opts.get("no_build") else ""),
        pull=pull, force_recreate=bool(opts.get("force_recreate")),
        no_recreate=bool(opts.get("no_recreate")), no_deps=bool(opts.get("no_deps")),
        remove_orphans=bool(opts.get("remove_orphans")), no_start=bool(opts.get("no_start")),
        timeout=opts.get("timeout"))


def _up(global_opts: dict, argv: list[str]) -> int:
    parsed = parse_or_help(argv, UP_FLAGS, "teu compose up", "[OPTIONS] [SERVICE...]",
                           "Create and start containers")
    if parsed is None:
        return 0
    return up_verb(global_opts, *parsed)


def up_verb(global_opts: dict, opts: dict, services: list[str]) -> int:
    """`up` (and `create`, which is up --no-start) from its parsed flags."""
    detach = bool(opts.get("detach") or opts.get("wait") or opts.get("no_start"))
    abort = bool(opts.get("abort_on_container_exit") or opts.get("exit_code_from"))
    if detach and abort:
        raise UsageError("--abort-on-container-exit and --detach are incompatible", 1)
    o = up_options(opts, services)
    from teu.cli._engine import engine, guarded
    from teu.compose.run import up, wait_ready

    project = load_project(global_opts, services)
    model = project.model
    o.environ = project.environment
    o.labels = project_labels(project)
    code_from = opts.get("exit_code_from") or ""
    if code_from and code_from not in model["services"]:
        raise UsageError(f"no such service: {code_from}", 1)

    say = progress(global_opts)

    def go() -> int:
        import time

        began = time.time()
        e = engine()
        try:
            ids = up(e, model, say, o)
        except KeyboardInterrupt:
            if detach:
                raise
            # Attached: Ctrl-C while the project starts stops what has started.
            from teu.compose.attached import stop_forceable
            from teu.compose.containers import find

            say.close()
            say("Gracefully stopping... (press Ctrl+C again to force)")
            stop_forceable(e, [r["id"] for r in find(e, model) if r["status"] == "running"],
                           say, o.timeout)
            return 130
        if o.no_start:
            return 0
        if opts.get("wait"):
            wait_ready(e, model, ids, say, opts.get("wait_timeout"))
        say.close()  # attached: the logs follow, plain lines from here on
        if detach:
            return 0
        from teu.compose.attached import attach

        attach_to = opts.get("attach") or (
            [s for s in ids if s in services] if services and not
            opts.get("attach_dependencies") else list(ids))
        attach_to = [s for s in attach_to if s not in (opts.get("no_attach") or [])]
        return attach(e, model["name"], ids, attach_to, say, printer_opts(opts),
                      abort=abort, exit_code_from=code_from, timeout=o.timeout,
                      since=began)

    return guarded(go)


def printer_opts(opts: dict) -> dict:
    """The log printer's settings from --no-color, --no-log-prefix, -t (colour only on a
    terminal, as docker compose)."""
    return {"colour": not opts.get("no_color") and sys.stdout.isatty(),
            "prefix": not opts.get("no_log_prefix"),
            "timestamps": bool(opts.get("timestamps"))}


def _build(global_opts: dict, argv: list[str]) -> int:
    flags = [Flag("no-cache", None, BOOL, "Do not use cache when building the image"),
             Flag("pull", None, BOOL, "Always attempt to pull a newer version of the image"),
             Flag("quiet", "q", BOOL, "Don't print anything to STDOUT"),
             Flag("build-arg", None, LIST, "Set build-time variables for services"),
             Flag("with-dependencies", None, BOOL, "Also build dependencies "
                  "(transitively)")]
    parsed = parse_or_help(argv, flags, "teu compose build", "[OPTIONS] [SERVICE...]",
                           "Build or rebuild services")
    if parsed is None:
        return 0
    opts, services = parsed
    import os

    from teu.cli._engine import engine, guarded
    from teu.compose.images import build
    from teu.compose.run import selected

    args = {}
    for item in opts.get("build_arg") or []:
        k, eq, v = item.partition("=")
        if eq:
            args[k] = v
        elif k in os.environ:
            args[k] = os.environ[k]
    project = load_project(global_opts, services)
    model = project.model
    names = selected(model, services, not opts.get("with_dependencies"))
    quiet = bool(opts.get("quiet"))

    def go() -> int:
        build(engine(), model, names, (lambda _: None) if quiet else _say,
              no_cache=bool(opts.get("no_cache")), pull=bool(opts.get("pull")),
              build_args=args, quiet=quiet, environ=project.environment)
        return 0

    return guarded(go)


def _ps(global_opts: dict, argv: list[str]) -> int:
    flags = [Flag("all", "a", BOOL, "Show all stopped containers"),
             Flag("quiet", "q", BOOL, "Only display IDs"),
             Flag("services", None, BOOL, "Display services"),
             Flag("status", None, LIST, "Filter services by status. Values: [paused | "
                  "restarting | removing | running | dead | created | exited]"),
             Flag("filter", None, LIST, "Filter services by a property (supported filters: "
                  "status)"),
             Flag("format", None, STR, "Format output using a custom template: 'table' "
                  "(default), 'json', or a Go template"),
             Flag("no-trunc", None, BOOL, "Don't truncate output"),
             Flag("orphans", None, BOOL, "Include orphaned services (default true)")]
    parsed = parse_or_help(argv, flags, "teu compose ps", "[OPTIONS] [SERVICE...]",
                           "List containers")
    if parsed is None:
        return 0
    opts, services = parsed
    from teu.cli._engine import engine, guarded
    from teu.compose.run import ps

    model = _load_model(global_opts)
    for s in services:
        if s not in model["services"]:
            raise UsageError(f"no such service: {s}", 1)
    status = list(opts.get("status") or [])
    for f in opts.get("filter") or []:
        key, _, value = f.partition("=")
        if key != "status":
            raise UsageError(f"unknown filter {key}", 1)
        status.append(value)

    def go() -> int:
        items = ps(engine(), model, bool(opts.get("all")) or bool(status))
        if services:
            items = [it for it in items if it["Service"] in services]
        if status:
            items = [it for it in items if it["State"] in status]
        fmt = opts.get("format")
        if fmt == "json":
            import json

            for it in items:
                print(json.dumps(ps_json(it, model["name"]), separators=(",", ":")))
        elif fmt and fmt != "table":
            from teu.cli._table import render

            sys.stdout.write(render(fmt, "", {}, [ps_json(it, model["name"])
                                                  for it in items]))
        elif opts.get("quiet"):
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


def ps_json(it: dict, project: str) -> dict:
    """docker compose ps's JSON object of a container (its keys and order)."""
    return {"Command": it["Command"], "CreatedAt": it.get("CreatedAt", ""),
            "ExitCode": it.get("ExitCode", 0), "Health": it.get("Health", ""),
            "ID": it["ID"], "Image": it["Image"], "Labels": it.get("Labels", ""),
            "LocalVolumes": "0", "Mounts": it.get("Mounts", ""), "Name": it["Names"],
            "Names": it["Names"], "Networks": it.get("Networks", ""),
            "Ports": it["Ports"], "Project": project, "RunningFor": it["RunningFor"],
            "Service": it["Service"], "Size": it.get("Size", "0B"), "State": it["State"],
            "Status": it["Status"]}


def _down(global_opts: dict, argv: list[str]) -> int:
    flags = [Flag("volumes", "v", BOOL, "Remove named volumes declared in the \"volumes\" "
                  "section of the Compose file"),
             Flag("timeout", "t", INT, "Specify a shutdown timeout in seconds"),
             Flag("remove-orphans", None, BOOL, "Remove containers for services not defined "
                  "in the Compose file"),
             Flag("rmi", None, STR, "Remove images used by services. \"local\" remove only "
                  "images that don't have a custom tag (\"local\"|\"all\")")]
    parsed = parse_or_help(argv, flags, "teu compose down", "[OPTIONS] [SERVICES]",
                           "Stop and remove containers, networks")
    if parsed is None:
        return 0
    opts, services = parsed
    if opts.get("rmi") not in (None, "local", "all"):
        raise UsageError(f"invalid --rmi option {opts['rmi']!r}", 1)
    from teu.cli._engine import engine, guarded
    from teu.compose.run import down

    model = _load_model(global_opts)
    for s in services:
        if s not in model["services"]:
            raise UsageError(f"no such service: {s}", 1)
    say = progress(global_opts)
    return guarded(lambda: down(engine(), model, say, bool(opts.get("volumes")),
                                opts.get("timeout"), services,
                                bool(opts.get("remove_orphans")), opts.get("rmi") or "")
                   or 0)
