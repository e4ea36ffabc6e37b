"""`teu compose` verbs on a project's containers (docker compose's flags and output):
logs, start, stop, restart, kill, pause, unpause, rm, top, port, exec, cp, wait, images,
pull, push, ls, version. `up`, `down`, `ps`, `config`, `build` are in teu.cli.compose,
`run`/`create` in teu.cli.compose_run; the work is in teu.compose."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from teu.cli._flags import BOOL, INT, LIST, STR, Flag, UsageError, parse_or_help


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _guarded(fn, **kw) -> int:  # noqa: ANN001
    from teu.cli._engine import guarded

    return guarded(fn, **kw)


def _engine():  # noqa: ANN202
    from teu.cli._engine import engine

    return engine()


def verb(name: str, synopsis: str, what: str, flags: list[Flag] | None = None,
         min_args: int = 0, max_args: int | None = None, interspersed: bool = True,
         load: str = "model", services: Callable[[list[str]], list[str]] = list,
         command_codes: bool = False) -> Callable:
    """The skeleton every verb here shares: its flags parsed (`-h`: the help, 0), then
    (load="model") the model of the project with the services it names
    (`services(args)`) enabled, or (load="project") the loaded project, or nothing
    (load=""), then body(opts, args, loaded) under the CLI's error guard."""
    def wrap(body: Callable[[dict, list[str], Any], int]) -> Callable[[dict, list[str]], int]:
        def main(global_opts: dict, argv: list[str]) -> int:
            parsed = parse_or_help(argv, list(flags or []), f"teu compose {name}", synopsis,
                                   what, interspersed, min_args, max_args)
            if parsed is None:
                return 0
            opts, args = parsed
            loaded = None
            if load:
                from teu.cli.compose import load_project

                project = load_project(global_opts, services(args))
                loaded = project.model if load == "model" else project
            return _guarded(lambda: body(opts, args, loaded), command_codes=command_codes)

        main.__doc__ = body.__doc__
        return main

    return wrap


_LIFECYCLE_WHAT = {"start": "Start services", "stop": "Stop services",
                   "restart": "Restart service containers",
                   "kill": "Force stop service containers", "pause": "Pause services",
                   "unpause": "Unpause services"}


def lifecycle(name: str) -> Callable[[dict, list[str]], int]:
    """start/stop/restart/kill/pause/unpause [SERVICE...]."""
    flags = []
    if name in ("stop", "restart"):
        flags.append(Flag("timeout", "t", INT, "Specify a shutdown timeout in seconds"))
    if name == "kill":
        flags += [Flag("signal", "s", STR, "SIGNAL to send to the container"),
                  Flag("remove-orphans", None, BOOL, "Remove containers for services "
                       "not defined in the Compose file")]

    @verb(name, "[OPTIONS] [SERVICE...]", _LIFECYCLE_WHAT[name], flags)
    def main(opts: dict, services: list[str], model: dict) -> int:
        from teu.compose.containers import act

        act(_engine(), model, name, services, _say, opts.get("timeout"),
            opts.get("signal") or "SIGKILL")
        return 0

    return main


@verb("rm", "[OPTIONS] [SERVICE...]", "Removes stopped service containers",
      [Flag("force", "f", BOOL, "Don't ask to confirm removal"),
       Flag("stop", "s", BOOL, "Stop the containers, if required, before removing"),
       Flag("volumes", "v", BOOL, "Remove any anonymous volumes attached to containers")])
def rm(opts: dict, services: list[str], model: dict) -> int:
    from teu.compose.containers import remove

    def confirm(names: list[str]) -> bool:
        if opts.get("force"):
            return True
        print(f"Going to remove {', '.join(names)}")
        sys.stdout.write("? Are you sure? (y/N) ")
        sys.stdout.flush()
        answer = sys.stdin.readline().strip().lower()
        return answer in ("y", "yes")

    remove(_engine(), model, services, _say, bool(opts.get("stop")),
           bool(opts.get("volumes")), confirm)
    return 0


@verb("logs", "[OPTIONS] [SERVICE...]", "View output from containers",
      [Flag("follow", "f", BOOL, "Follow log output"),
       Flag("tail", "n", STR, "Number of lines to show from the end of the logs for "
            "each container"),
       Flag("timestamps", "t", BOOL, "Show timestamps"),
       Flag("since", None, STR, "Show logs since timestamp (e.g. 2013-01-02T13:23:37Z) "
            "or relative (e.g. 42m for 42 minutes)"),
       Flag("until", None, STR, "Show logs before a timestamp or relative"),
       Flag("no-color", None, BOOL, "Produce monochrome output"),
       Flag("no-log-prefix", None, BOOL, "Don't print prefix in logs"),
       Flag("index", None, INT, "index of the container if service has multiple "
            "replicas")])
def logs(opts: dict, services: list[str], model: dict) -> int:
    from teu.cli.compose import printer_opts
    from teu.compose import plan
    from teu.compose.containers import find, labels_of
    from teu.compose.logs import Printer, short_name, show
    from teu.engine.config import units
    from teu.engine.timefmt import since

    e = _engine()
    rows = find(e, model, services)
    if opts.get("index"):
        rows = [r for r in rows if labels_of(r).get(plan.NUMBER) == str(opts["index"])]
    pairs = [(short_name(model["name"], r["name"]), r["id"]) for r in rows]
    tail = opts.get("tail")
    tail_n = None if tail in (None, "all") else units.integer(tail, "--tail")
    printer = Printer([n for n, _ in pairs], **printer_opts(opts))
    show(e, pairs, printer, bool(opts.get("follow")), tail_n,
         since(opts["since"]) if opts.get("since") else None,
         since(opts["until"]) if opts.get("until") else None)
    return 0


@verb("top", "[SERVICES...]", "Display the running processes")
def top(opts: dict, services: list[str], model: dict) -> int:
    from teu.cli._table import rows_text
    from teu.compose.containers import find
    from teu.engine.views.top import top as ps

    e = _engine()
    first = True
    for r in find(e, model, services):
        if r["status"] != "running":
            continue
        titles, rows = ps(e, r["id"], None)
        print(("" if first else "\n") + r["name"])
        print(rows_text([titles, *rows]), end="")
        first = False
    return 0


_INDEX = Flag("index", None, INT, "Index of the container if service has multiple replicas")


@verb("port", "[OPTIONS] SERVICE PRIVATE_PORT", "Print the public port for a port binding",
      [_INDEX, Flag("protocol", None, STR, "tcp or udp")], 2, 2, services=lambda a: a[:1])
def port(opts: dict, args: list[str], model: dict) -> int:
    from teu.compose.containers import one
    from teu.compose.errors import ComposeError
    from teu.engine.network import network_settings

    service, private = args
    e = _engine()
    row = one(e, model, service, opts.get("index") or 1)
    key = f"{private}/{opts.get('protocol') or 'tcp'}"
    bindings = (network_settings(e, row).get("Ports") or {}).get(key)
    if not bindings:
        raise ComposeError(f"no port {key} for container {row['name']}")
    b = bindings[0]
    print(f"{b['HostIp'] or '0.0.0.0'}:{b['HostPort']}")
    return 0


@verb("exec", "[OPTIONS] SERVICE COMMAND [ARGS...]", "Execute a command in a running container",
      [Flag("detach", "d", BOOL, "Detached mode: Run command in the background"),
       Flag("no-TTY", "T", BOOL, "Disable pseudo-TTY allocation. By default "
            "`docker compose exec` allocates a TTY."),
       Flag("user", "u", STR, "Run the command as this user"),
       Flag("workdir", "w", STR, "Path to workdir directory for this command"),
       Flag("env", "e", LIST, "Set environment variables"),
       _INDEX,
       Flag("privileged", None, BOOL, "Give extended privileges to the process"),
       Flag("interactive", "i", BOOL, "Keep STDIN open even if not attached "
            "(the default)")],
      2, interspersed=False, services=lambda a: a[:1], command_codes=True)
def exec_(opts: dict, args: list[str], model: dict) -> int:
    from teu.compose.containers import one
    from teu.engine.config.options import env_list
    from teu.engine.lifecycle.execute import exec_in

    e = _engine()
    row = one(e, model, args[0], opts.get("index") or 1)
    tty = not opts.get("no_TTY") and not opts.get("detach") and sys.stdin.isatty()
    return exec_in(e, row["id"], args[1:], interactive=not opts.get("detach"),
                   tty=tty, user=opts.get("user"), env=env_list(opts.get("env") or [], []),
                   workdir=opts.get("workdir"), detach=bool(opts.get("detach")),
                   privileged=bool(opts.get("privileged")))


def _cp_side(args: list[str]) -> str:
    """The SERVICE:PATH one of cp's two arguments (UsageError if neither is)."""
    src, dest = args
    side = src if ":" in src and not src.startswith(("/", ".")) else dest
    if ":" not in side or not side.partition(":")[0]:
        raise UsageError("copying between services is not supported; one of SRC and DEST "
                         "must be SERVICE:PATH", 1)
    return side


@verb("cp", "[OPTIONS] SERVICE:SRC_PATH DEST_PATH|-\n"
      "       teu compose cp [OPTIONS] SRC_PATH|- SERVICE:DEST_PATH",
      "Copy files/folders between a service container and the local filesystem",
      [_INDEX, Flag("archive", "a", BOOL, "Archive mode (copy all uid/gid information)"),
       Flag("follow-link", "L", BOOL, "Always follow symbol link in SRC_PATH")], 2, 2,
      services=lambda a: [_cp_side(a).partition(":")[0]])
def cp(opts: dict, args: list[str], model: dict) -> int:
    from teu.compose.containers import one
    from teu.engine.files.cp import copy

    src, dest = args
    side = _cp_side(args)
    service = side.partition(":")[0]
    e = _engine()
    name = one(e, model, service, opts.get("index") or 1)["name"]
    fix = (lambda p: name + p[len(service):] if p is side else p)  # noqa: E731
    copy(e, fix(src), fix(dest))
    return 0


@verb("wait", "SERVICE [SERVICE...] [OPTIONS]",
      "Block until containers of all (or specified) services stop.",
      [Flag("down-project", None, BOOL, "Drops project when the first container stops")], 1)
def wait(opts: dict, services: list[str], model: dict) -> int:
    import time

    from teu.compose.attached import exit_code
    from teu.compose.containers import find

    e = _engine()
    rows = find(e, model, services)
    while True:
        for r in rows:
            code = exit_code(e, r["id"])
            if code is not None:
                if opts.get("down_project"):
                    from teu.compose.run import down

                    down(e, model, _say)
                return code
        time.sleep(0.2)


@verb("images", "[OPTIONS] [SERVICE...]", "List images used by the created containers",
      [Flag("quiet", "q", BOOL, "Only display IDs"),
       Flag("format", None, STR, "Format the output. Values: [table | json]")])
def images(opts: dict, services: list[str], model: dict) -> int:
    import json

    from teu.cli._table import rows_text
    from teu.compose.containers import find
    from teu.image.store import Store

    e = _engine()
    out = []
    with Store(e.paths.root) as store:
        for r in find(e, model, services):
            ref = r.settings["Config"].get("Image") or ""
            repo, _, tag = ref.rpartition(":") if ":" in ref.rsplit("/", 1)[-1] \
                else (ref, "", "latest")
            image_id = r["image_id"] or ""
            row = store.db.image(image_id) if image_id else None
            out.append({"ContainerName": r["name"], "Repository": repo, "Tag": tag,
                        "ID": image_id, "Size": row.size if row is not None else 0})
    if opts.get("quiet"):
        for i in dict.fromkeys(x["ID"] for x in out):
            print(i.partition(":")[2][:12])
    elif opts.get("format") == "json":
        print(json.dumps(out))
    else:
        from teu.image.progress import human_size

        rows = [["CONTAINER", "REPOSITORY", "TAG", "IMAGE ID", "SIZE"]]
        rows += [[x["ContainerName"], x["Repository"], x["Tag"],
                  x["ID"].partition(":")[2][:12], human_size(x["Size"])] for x in out]
        sys.stdout.write(rows_text(rows))
    return 0


@verb("pull", "[OPTIONS] [SERVICE...]", "Pull service images",
      [Flag("quiet", "q", BOOL, "Pull without printing progress information"),
       Flag("ignore-buildable", None, BOOL, "Ignore images that can be built"),
       Flag("ignore-pull-failures", None, BOOL, "Pull what it can and ignores images "
            "with pull failures"),
       Flag("include-deps", None, BOOL, "Also pull services declared as dependencies")])
def pull(opts: dict, services: list[str], model: dict) -> int:
    from teu.compose.images import image_of
    from teu.compose.run import selected
    from teu.engine.lifecycle.create import pull_image
    from teu.errors import TeuError

    e = _engine()
    failed = 0
    for s in selected(model, services, not opts.get("include_deps")):
        svc = model["services"][s]
        if svc.get("build") is not None and (opts.get("ignore_buildable")
                                             or not svc.get("image")):
            _say(f" Service {s}  Skipped - No image to be pulled")
            continue
        try:
            pull_image(e, image_of(model, s))
            _say(f" Service {s}  Pulled")
        except TeuError as err:
            if svc.get("build") is not None or opts.get("ignore_pull_failures"):
                _say(f" Service {s}  Warning {err}")
                continue
            failed += 1
            _say(f" Service {s}  Error {err}")
    return 1 if failed else 0


@verb("push", "[OPTIONS] [SERVICE...]", "Push service images",
      [Flag("ignore-push-failures", None, BOOL, "Push what it can and ignores images "
            "with push failures"),
       Flag("quiet", "q", BOOL, "Push without printing progress information")])
def push(opts: dict, services: list[str], model: dict) -> int:
    from teu.cli import push as push_cli
    from teu.compose.run import selected

    failed = 0
    for s in selected(model, services, True):
        svc = model["services"][s]
        if svc.get("build") is None or not svc.get("image"):
            continue  # docker compose pushes the images it builds and names
        code = push_cli.main(([] if not opts.get("quiet") else ["-q"]) + [svc["image"]])
        if code and not opts.get("ignore_push_failures"):
            failed = code
    return failed


@verb("ls", "[OPTIONS]", "List running compose projects",
      [Flag("all", "a", BOOL, "Show all stopped Compose projects"),
       Flag("quiet", "q", BOOL, "Only display project names"),
       Flag("format", None, STR, "Format the output. Values: [table | json]"),
       Flag("filter", None, LIST, "Filter output based on conditions provided")],
      0, 0, load="")
def ls(opts: dict, _args: list[str], _none: None) -> int:
    import json

    from teu.compose import plan
    from teu.engine import state

    projects: dict[str, dict] = {}
    for r in state.refresh_all(_engine()):
        lab = r.settings["Config"].get("Labels") or {}
        name = lab.get(plan.PROJECT)
        if not name:
            continue
        p = projects.setdefault(name, {"states": {}, "files": set()})
        p["states"][r["status"]] = p["states"].get(r["status"], 0) + 1
        if lab.get(plan.CONFIG_FILES):
            p["files"].add(lab[plan.CONFIG_FILES])
    wanted = [f.partition("=")[2] for f in opts.get("filter") or [] if f.startswith("name=")]
    out = []
    for name in sorted(projects):
        p = projects[name]
        if not opts.get("all") and "running" not in p["states"]:
            continue
        if wanted and not any(w in name for w in wanted):
            continue
        status = ", ".join(f"{k}({v})" for k, v in sorted(p["states"].items()))
        out.append({"Name": name, "Status": status, "ConfigFiles": ",".join(sorted(p["files"]))})
    if opts.get("quiet"):
        for x in out:
            print(x["Name"])
    elif opts.get("format") == "json":
        print(json.dumps(out))
    else:
        from teu.cli._table import rows_text

        rows = [["NAME", "STATUS", "CONFIG FILES"]]
        rows += [[x["Name"], x["Status"], x["ConfigFiles"]] for x in out]
        sys.stdout.write(rows_text(rows))
    return 0


@verb("version", "[OPTIONS]", "Show the Docker Compose version information",
      [Flag("short", None, BOOL, "Shows only Compose's version number"),
       Flag("format", "f", STR, "Format the output. Values: [pretty | json]")], 0, 0, load="")
def version(opts: dict, _args: list[str], _none: None) -> int:
    from teu import __version__
    from teu.compose.images import COMPOSE_VERSION

    if opts.get("short"):
        print(__version__)
    elif opts.get("format") == "json":
        import json

        print(json.dumps({"version": __version__, "compatible": f"v{COMPOSE_VERSION}"}))
    else:
        print(f"teu compose version {__version__} (docker compose v{COMPOSE_VERSION}'s "
              "files, flags and output)")
    return 0


@verb("watch", "[SERVICE...]", "Watch build context for service and rebuild/refresh "
      "containers when files are updated",
      [Flag("no-up", None, BOOL, "Do not build & start services before watching"),
       Flag("prune", None, BOOL, "Prune dangling images on rebuild (accepted)"),
       Flag("quiet", None, BOOL, "hide build output")], load="project")
def watch(opts: dict, services: list[str], project) -> int:  # noqa: ANN001
    from teu.cli.compose import project_labels
    from teu.compose.images import build
    from teu.compose.run import UpOptions, up
    from teu.compose.watch import rules
    from teu.compose.watch import watch as poll

    model = project.model
    rules(model, services)  # no rule: docker compose's error before anything starts
    e = _engine()
    labels = project_labels(project)
    if not opts.get("no_up"):
        up(e, model, _say, UpOptions(services=services, environ=project.environment,
                                     labels=labels))

    def rebuild(service: str) -> None:
        build(e, model, [service], (lambda _: None) if opts.get("quiet") else _say,
              quiet=bool(opts.get("quiet")), environ=project.environment)
        up(e, model, _say, UpOptions(services=[service], no_deps=True,
                                     environ=project.environment, labels=labels))

    try:
        poll(e, model, services, _say, rebuild)
    except KeyboardInterrupt:
        return 0  # the project keeps running, as after docker compose watch
    return 0


@verb("events", "[OPTIONS] [SERVICE...]", "Receive real time events from containers",
      [Flag("json", None, BOOL, "Output events as a stream of json objects"),
       Flag("since", None, STR, "Show all events created since timestamp"),
       Flag("until", None, STR, "Stream events until this timestamp")])
def events(opts: dict, services: list[str], model: dict) -> int:
    import json

    from teu.compose.events import events as project_events
    from teu.compose.events import text
    from teu.engine.timefmt import since

    def emit(event: dict) -> None:
        if opts.get("json"):
            line = json.dumps(event, separators=(",", ":"), ensure_ascii=False)
            line = line.replace("<", "\\u003c").replace(">", "\\u003e").replace(
                "&", "\\u0026")  # Go's encoder escapes these
        else:
            line = text(event)
        print(line, flush=True)

    try:
        project_events(_engine(), model["name"], services, emit,
                       since(opts["since"]) if opts.get("since") else None,
                       since(opts["until"]) if opts.get("until") else None)
    except KeyboardInterrupt:
        return 0
    return 0


def _scale_counts(items: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in items:
        svc, eq, num = item.partition("=")
        if not eq or not num.isdigit():
            raise UsageError(f"invalid scale specifier: {item}", 1)
        counts[svc] = int(num)
    return counts


@verb("scale", "[SERVICE=REPLICAS...]", "Scale services ",
      [Flag("no-deps", None, BOOL, "Don't start linked services")], 1, load="project",
      services=lambda items: list(_scale_counts(items)))
def scale(opts: dict, items: list[str], project) -> int:  # noqa: ANN001
    from teu.cli.compose import project_labels
    from teu.compose.run import UpOptions, up

    counts = _scale_counts(items)
    for svc in counts:
        if svc not in project.model["services"]:
            raise UsageError(f"no such service: {svc}", 1)
    up(_engine(), project.model, _say, UpOptions(
        services=list(counts), scale=counts, no_recreate=True,
        no_deps=bool(opts.get("no_deps")), environ=project.environment,
        labels=project_labels(project)))
    return 0


@verb("volumes", "[OPTIONS] [SERVICE...]", "List volumes",
      [Flag("quiet", "q", BOOL, "Only display volume names"),
       Flag("format", None, STR, "Format the output. Values: [table | json]")])
def volumes(opts: dict, services: list[str], model: dict) -> int:
    import json

    e = _engine()
    wanted = set()
    for name, svc in model["services"].items():
        if services and name not in services:
            continue
        for v in svc.get("volumes") or []:
            if v.get("type") == "volume" and v.get("source"):
                wanted.add((model.get("volumes") or {}).get(v["source"], {}).get(
                    "name", v["source"]))
    rows = []
    for name in sorted(wanted):
        if e.db.volume(name) is not None:
            rows.append({"Name": name, "Driver": "local"})
    if opts.get("quiet"):
        for r in rows:
            print(r["Name"])
    elif opts.get("format") == "json":
        for r in rows:
            print(json.dumps(r))
    else:
        from teu.cli._table import rows_text

        sys.stdout.write(rows_text([["DRIVER", "VOLUME NAME"],
                                    *[[r["Driver"], r["Name"]] for r in rows]]))
    return 0
