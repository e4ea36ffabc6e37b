"""`teu compose` verbs on a project's containers (docker compose's flags and output):
logs, start, stop, restart, kill, pause, unpause, rm, top, port, exec, cp, wait, images,
pull, push, ls, version. `up`, `down`, `ps`, `config`, `build` are in teu.cli.compose,
`run`/`create` in teu.cli.compose_run; the work is in teu.compose."""

from __future__ import annotations

import sys

from teu.cli._flags import BOOL, INT, LIST, STR, Flag, UsageError, parse_or_help


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _parse(argv: list[str], flags: list[Flag], verb: str, synopsis: str, what: str,
           min_args: int = 0, max_args: int | None = None, interspersed: bool = True):  # noqa: ANN202
    return parse_or_help(argv, flags, f"teu compose {verb}", synopsis, what, interspersed,
                         min_args, max_args)


def _model(global_opts: dict, services: list[str] | None = None) -> dict:
    from teu.cli.compose import load_project

    return load_project(global_opts, services).model


def _guarded(fn, **kw) -> int:  # noqa: ANN001
    from teu.cli._engine import guarded

    return guarded(fn, **kw)


def _engine():  # noqa: ANN202
    from teu.cli._engine import engine

    return engine()


def lifecycle(verb: str):  # noqa: ANN201
    """start/stop/restart/kill/pause/unpause [SERVICE...]."""
    what = {"start": "Start services", "stop": "Stop services",
            "restart": "Restart service containers", "kill": "Force stop service containers",
            "pause": "Pause services", "unpause": "Unpause services"}[verb]

    def main(global_opts: dict, argv: list[str]) -> int:
        flags = []
        if verb in ("stop", "restart"):
            flags.append(Flag("timeout", "t", INT, "Specify a shutdown timeout in seconds"))
        if verb == "kill":
            flags += [Flag("signal", "s", STR, "SIGNAL to send to the container"),
                      Flag("remove-orphans", None, BOOL, "Remove containers for services "
                           "not defined in the Compose file")]
        parsed = _parse(argv, flags, verb, "[OPTIONS] [SERVICE...]", what)
        if parsed is None:
            return 0
        opts, services = parsed
        from teu.compose.containers import act

        model = _model(global_opts, services)
        return _guarded(lambda: act(_engine(), model, verb, services, _say,
                                    opts.get("timeout"), opts.get("signal") or "SIGKILL")
                        and 0)

    return main


def rm(global_opts: dict, argv: list[str]) -> int:
    flags = [Flag("force", "f", BOOL, "Don't ask to confirm removal"),
             Flag("stop", "s", BOOL, "Stop the containers, if required, before removing"),
             Flag("volumes", "v", BOOL, "Remove any anonymous volumes attached to containers")]
    parsed = _parse(argv, flags, "rm", "[OPTIONS] [SERVICE...]",
                    "Removes stopped service containers")
    if parsed is None:
        return 0
    opts, services = parsed
    from teu.compose.containers import remove

    def confirm(names: list[str]) -> bool:
        if opts.get("force"):
            return True
        print(f"Going to remove {', '.join(names)}")
        sys.stdout.write("? Are you sure? (y/N) ")
        sys.stdout.flush()
        answer = sys.stdin.readline().strip().lower()
        return answer in ("y", "yes")

    model = _model(global_opts, services)

    def go() -> int:
        remove(_engine(), model, services, _say, bool(opts.get("stop")),
               bool(opts.get("volumes")), confirm)
        return 0

    return _guarded(go)


def logs(global_opts: dict, argv: list[str]) -> int:
    flags = [Flag("follow", "f", BOOL, "Follow log output"),
             Flag("tail", "n", STR, "Number of lines to show from the end of the logs for "
                  "each container"),
             Flag("timestamps", "t", BOOL, "Show timestamps"),
             Flag("since", None, STR, "Show logs since timestamp (e.g. 2013-01-02T13:23:37Z) "
                  "or relative (e.g. 42m for 42 minutes)"),
             Flag("until", None, STR, "Show logs before a timestamp or relative"),
             Flag("no-color", None, BOOL, "Produce monochrome output"),
             Flag("no-log-prefix", None, BOOL, "Don't print prefix in logs"),
             Flag("index", None, INT, "index of the container if service has multiple "
                  "replicas")]
    parsed = _parse(argv, flags, "logs", "[OPTIONS] [SERVICE...]",
                    "View output from containers")
    if parsed is None:
        return 0
    opts, services = parsed
    model = _model(global_opts, services)

    def go() -> int:
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

    return _guarded(go)


def top(global_opts: dict, argv: list[str]) -> int:
    parsed = _parse(argv, [], "top", "[SERVICES...]", "Display the running processes")
    if parsed is None:
        return 0
    model = _model(global_opts, parsed[1])

    def go() -> int:
        from teu.cli._table import rows_text
        from teu.compose.containers import find
        from teu.engine.views.top import top as ps

        e = _engine()
        first = True
        for r in find(e, model, parsed[1]):
            if r["status"] != "running":
                continue
            titles, rows = ps(e, r["id"], None)
            print(("" if first else "\n") + r["name"])
            print(rows_text([titles, *rows]), end="")
            first = False
        return 0

    return _guarded(go)


def port(global_opts: dict, argv: list[str]) -> int:
    flags = [Flag("index", None, INT, "Index of the container if service has multiple "
                  "replicas"),
             Flag("protocol", None, STR, "tcp or udp")]
    parsed = _parse(argv, flags, "port", "[OPTIONS] SERVICE PRIVATE_PORT",
                    "Print the public port for a port binding", 2, 2)
    if parsed is None:
        return 0
    opts, (service, private) = parsed
    model = _model(global_opts, [service])

    def go() -> int:
        from teu.compose.containers import one
        from teu.compose.errors import ComposeError
        from teu.engine.network import network_settings

        e = _engine()
        row = one(e, model, service, opts.get("index") or 1)
        key = f"{private}/{opts.get('protocol') or 'tcp'}"
        bindings = (network_settings(e, row).get("Ports") or {}).get(key)
        if not bindings:
            raise ComposeError(f"no port {key} for container {row['name']}")
        b = bindings[0]
        print(f"{b['HostIp'] or '0.0.0.0'}:{b['HostPort']}")
        return 0

    return _guarded(go)


def exec_(global_opts: dict, argv: list[str]) -> int:
    flags = [Flag("detach", "d", BOOL, "Detached mode: Run command in the background"),
             Flag("no-TTY", "T", BOOL, "Disable pseudo-TTY allocation. By default "
                  "`docker compose exec` allocates a TTY."),
             Flag("user", "u", STR, "Run the command as this user"),
             Flag("workdir", "w", STR, "Path to workdir directory for this command"),
             Flag("env", "e", LIST, "Set environment variables"),
             Flag("index", None, INT, "Index of the container if service has multiple "
                  "replicas"),
             Flag("privileged", None, BOOL, "Give extended privileges to the process"),
             Flag("interactive", "i", BOOL, "Keep STDIN open even if not attached "
                  "(the default)")]
    parsed = _parse(argv, flags, "exec", "[OPTIONS] SERVICE COMMAND [ARGS...]",
                    "Execute a command in a running container", 2, interspersed=False)
    if parsed is None:
        return 0
    opts, args = parsed
    model = _model(global_opts, [args[0]])

    def go() -> int:
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

    return _guarded(go, command_codes=True)


def cp(global_opts: dict, argv: list[str]) -> int:
    flags = [Flag("index", None, INT, "Index of the container if service has multiple "
                  "replicas"),
             Flag("archive", "a", BOOL, "Archive mode (copy all uid/gid information)"),
             Flag("follow-link", "L", BOOL, "Always follow symbol link in SRC_PATH")]
    parsed = _parse(argv, flags, "cp", "[OPTIONS] SERVICE:SRC_PATH DEST_PATH|-\n"
                    "       teu compose cp [OPTIONS] SRC_PATH|- SERVICE:DEST_PATH",
                    "Copy files/folders between a service container and the local "
                    "filesystem", 2, 2)
    if parsed is None:
        return 0
    opts, (src, dest) = parsed
    side = src if ":" in src and not src.startswith(("/", ".")) else dest
    service = side.partition(":")[0]
    if ":" not in side or not service:
        raise UsageError("copying between services is not supported; one of SRC and DEST "
                         "must be SERVICE:PATH", 1)
    model = _model(global_opts, [service])

    def go() -> int:
        from teu.compose.containers import one
        from teu.engine.files.cp import copy

        e = _engine()
        name = one(e, model, service, opts.get("index") or 1)["name"]
        fix = (lambda p: name + p[len(service):] if p is side else p)  # noqa: E731
        copy(e, fix(src), fix(dest))
        return 0

    return _guarded(go)


def wait(global_opts: dict, argv: list[str]) -> int:
    flags = [Flag("down-project", None, BOOL, "Drops project when the first container "
                  "stops")]
    parsed = _parse(argv, flags, "wait", "SERVICE [SERVICE...] [OPTIONS]",
                    "Block until containers of all (or specified) services stop.", 1)
    if parsed is None:
        return 0
    opts, services = parsed
    model = _model(global_opts, services)

    def go() -> int:
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

    return _guarded(go)


def images(global_opts: dict, argv: list[str]) -> int:
    flags = [Flag("quiet", "q", BOOL, "Only display IDs"),
             Flag("format", None, STR, "Format the output. Values: [table | json]")]
    parsed = _parse(argv, flags, "images", "[OPTIONS] [SERVICE...]",
                    "List images used by the created containers")
    if parsed is None:
        return 0
    opts, services = parsed
    model = _model(global_opts, services)

    def go() -> int:
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

    return _guarded(go)


def pull(global_opts: dict, argv: list[str]) -> int:
    flags = [Flag("quiet", "q", BOOL, "Pull without printing progress information"),
             Flag("ignore-buildable", None, BOOL, "Ignore images that can be built"),
             Flag("ignore-pull-failures", None, BOOL, "Pull what it can and ignores images "
                  "with pull failures"),
             Flag("include-deps", None, BOOL, "Also pull services declared as dependencies")]
    parsed = _parse(argv, flags, "pull", "[OPTIONS] [SERVICE...]", "Pull service images")
    if parsed is None:
        return 0
    opts, services = parsed
    model = _model(global_opts, services)

    def go() -> int:
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
                say_skip = f" Service {s}  Skipped - No image to be pulled"
                _say(say_skip)
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

    return _guarded(go)


def push(global_opts: dict, argv: list[str]) -> int:
    flags = [Flag("ignore-push-failures", None, BOOL, "Push what it can and ignores images "
                  "with push failures"),
             Flag("quiet", "q", BOOL, "Push without printing progress information")]
    parsed = _parse(argv, flags, "push", "[OPTIONS] [SERVICE...]", "Push service images")
    if parsed is None:
        return 0
    opts, services = parsed
    model = _model(global_opts, services)
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


def ls(global_opts: dict, argv: list[str]) -> int:
    flags = [Flag("all", "a", BOOL, "Show all stopped Compose projects"),
             Flag("quiet", "q", BOOL, "Only display project names"),
             Flag("format", None, STR, "Format the output. Values: [table | json]"),
             Flag("filter", None, LIST, "Filter output based on conditions provided")]
    parsed = _parse(argv, flags, "ls", "[OPTIONS]", "List running compose projects", 0, 0)
    if parsed is None:
        return 0
    opts, _ = parsed

    def go() -> int:
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
        wanted = [f.partition("=")[2] for f in opts.get("filter") or []
                  if f.startswith("name=")]
        out = []
        for name in sorted(projects):
            p = projects[name]
            if not opts.get("all") and "running" not in p["states"]:
                continue
            if wanted and not any(w in name for w in wanted):
                continue
            status = ", ".join(f"{k}({v})" for k, v in sorted(p["states"].items()))
            out.append({"Name": name, "Status": status,
                        "ConfigFiles": ",".join(sorted(p["files"]))})
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

    return _guarded(go)


def version(global_opts: dict, argv: list[str]) -> int:
    flags = [Flag("short", None, BOOL, "Shows only Compose's version number"),
             Flag("format", "f", STR, "Format the output. Values: [pretty | json]")]
    parsed = _parse(argv, flags, "version", "[OPTIONS]", "Show the Docker Compose version "
                    "information", 0, 0)
    if parsed is None:
        return 0
    from teu import __version__
    from teu.compose.images import COMPOSE_VERSION

    opts = parsed[0]
    if opts.get("short"):
        print(__version__)
    elif opts.get("format") == "json":
        import json

        print(json.dumps({"version": __version__, "compatible": f"v{COMPOSE_VERSION}"}))
    else:
        print(f"teu compose version {__version__} (docker compose v{COMPOSE_VERSION}'s "
              "files, flags and output)")
    return 0
