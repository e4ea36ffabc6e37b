"""`teu compose run SERVICE [COMMAND...]` (a one-off container of a service, its
dependencies started first) and `teu compose create` (up --no-start)."""

from __future__ import annotations

import sys

from teu.cli._flags import BOOL, LIST, STR, Flag, UsageError, parse_or_help

RUN_FLAGS = [
    Flag("detach", "d", BOOL, "Run container in background and print container ID"),
    Flag("rm", None, BOOL, "Automatically remove the container when it exits"),
    Flag("name", None, STR, "Assign a name to the container"),
    Flag("entrypoint", None, STR, "Override the entrypoint of the image"),
    Flag("env", "e", LIST, "Set environment variables"),
    Flag("label", "l", LIST, "Add or override a label"),
    Flag("volume", "v", LIST, "Bind mount a volume"),
    Flag("publish", "p", LIST, "Publish a container's port(s) to the host"),
    Flag("service-ports", "P", BOOL, "Run command with all service's ports enabled and "
         "mapped to the host"),
    Flag("use-aliases", None, BOOL, "Use the service's network useAliases in the network(s) "
         "the container connects to"),
    Flag("user", "u", STR, "Run as specified username or uid"),
    Flag("workdir", "w", STR, "Working directory inside the container"),
    Flag("no-TTY", "T", BOOL, "Disable pseudo-TTY allocation (default: auto-detected)"),
    Flag("interactive", "i", BOOL, "Keep STDIN open even if not attached (the default)"),
    Flag("tty", "t", BOOL, "Allocate a pseudo-TTY"),
    Flag("no-deps", None, BOOL, "Don't start linked services"),
    Flag("build", None, BOOL, "Build image before starting container"),
    Flag("pull", None, STR, "Pull image before running (\"always\"|\"missing\"|\"never\")"),
    Flag("remove-orphans", None, BOOL, "Remove containers for services not defined in the "
         "Compose file"),
    Flag("quiet-pull", None, BOOL, "Pull without printing progress information"),
]


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def run(global_opts: dict, argv: list[str]) -> int:
    parsed = parse_or_help(argv, RUN_FLAGS, "teu compose run",
                           "[OPTIONS] SERVICE [COMMAND] [ARGS...]",
                           "Run a one-off command on a service", False, 1)
    if parsed is None:
        return 0
    opts, args = parsed
    service, command = args[0], args[1:]
    from teu.cli._engine import engine, guarded
    from teu.cli.compose import load_project, project_labels

    project = load_project(global_opts, [service])
    model = project.model
    if service not in model["services"]:
        raise UsageError(f"no such service: {service}", 1)

    def go() -> int:
        import secrets

        from teu.compose import images, plan
        from teu.compose.normalize import with_dependencies
        from teu.compose.run import UpOptions, secret_flags, up, wait_condition
        from teu.engine.lifecycle.run import run as engine_run

        e = engine()
        svc = model["services"][service]
        deps = sorted(with_dependencies(model["services"], [service]) - {service})
        ids: dict[str, list[str]] = {}
        if deps and not opts.get("no_deps"):
            ids = up(e, model, _say, UpOptions(
                services=deps, environ=project.environment, labels=project_labels(project),
                remove_orphans=bool(opts.get("remove_orphans"))))
            for dep, spec in (svc.get("depends_on") or {}).items():
                if ids.get(dep):
                    wait_condition(e, dep, ids[dep][0], spec.get("condition", ""), _say)
        images.ensure(e, model, [service], _say, "build" if opts.get("build") else "",
                      environ=project.environment)
        from teu.compose.run import _image

        image_id = _image(e, model, service, opts.get("pull") or "missing")
        o = plan.run_options(model, service, 1, image_id)
        name = opts.get("name") or f"{model['name']}-{service}-run-{secrets.token_hex(6)}"
        o["name"] = name
        labels = dict(x.split("=", 1) for x in o["label"])
        labels[plan.ONEOFF] = "True"
        labels.update(project_labels(project))
        labels.update(dict(x.partition("=")[::2] for x in opts.get("label") or []))
        o["label"] = [f"{k}={v}" for k, v in labels.items()]
        if command:
            o["command"] = command
        if opts.get("entrypoint") is not None:
            o["entrypoint"] = opts["entrypoint"]
            if not command:
                o["command"] = None  # docker compose: a new entrypoint drops the command
        o["env"] = [*o.get("env", []), *(opts.get("env") or [])]
        o["volume"] = [*o.get("volume", []), *(opts.get("volume") or [])]
        if not opts.get("service_ports"):
            o.pop("publish", None)
        if opts.get("publish"):
            o["publish"] = [*o.get("publish", []), *opts["publish"]]
        if not opts.get("use_aliases"):
            o.pop("network_alias", None)
        o.pop("restart", None)  # a one-off is never restarted
        for key in ("user", "workdir"):
            if opts.get(key):
                o[key] = opts[key]
        files = secret_flags(e, model, service, project.environment)
        if files:
            o["secret"] = files
        detach = bool(opts.get("detach"))
        o["detach"] = detach
        o["rm"] = bool(opts.get("rm"))
        tty = (bool(opts.get("tty")) or sys.stdin.isatty()) and not opts.get("no_TTY")
        o["interactive"] = not detach
        o["tty"] = tty and not detach
        cid, code = engine_run(e, o)
        if detach:
            print(name)
        return code

    return guarded(go, 125, command_codes=True)


def create(global_opts: dict, argv: list[str]) -> int:
    from teu.cli.compose import UP_FLAGS

    keep = {"build", "no-build", "pull", "force-recreate", "no-recreate", "remove-orphans",
            "scale", "quiet-pull"}
    flags = [f for f in UP_FLAGS if f.name in keep]
    parsed = parse_or_help(argv, flags, "teu compose create", "[OPTIONS] [SERVICE...]",
                           "Creates containers for a service")
    if parsed is None:
        return 0
    opts, services = parsed
    from teu.cli.compose import up_verb

    return up_verb(global_opts, {**opts, "detach": True, "no_start": True}, services)
