"""`teu pod create|ls|ps|inspect|start|stop|kill|rm|exists` (podman's verbs, flags and
output; teu.engine.pods does the work)."""

from __future__ import annotations

import sys

from teu.cli._engine import engine, guarded, parse_or_help
from teu.cli._flags import BOOL, INT, LIST, STR, Flag

USAGE = """Usage:  teu pod COMMAND

Manage pods (containers sharing network, IPC and UTS namespaces)

Commands:
  create      Create a new empty pod
  exists      Check if a pod exists
  inspect     Display detailed information on one or more pods
  kill        Send the specified signal or SIGKILL to containers in pod
  ls          List pods (also: ps, list)
  pause       Pause one or more pods
  restart     Restart one or more pods
  rm          Remove one or more pods
  start       Start one or more pods
  stop        Stop one or more pods
  unpause     Unpause one or more pods

Containers join a pod with `teu run --pod POD` (or `teu create --pod POD`).
"""

DEFAULT = ("table {{.ID}}\t{{.Name}}\t{{.Status}}\t{{.Created}}\t{{.InfraID}}\t"
           "{{.NumberOfContainers}}")
HEADERS = {"ID": "POD ID", "Name": "NAME", "Status": "STATUS", "Created": "CREATED",
           "InfraID": "INFRA ID", "NumberOfContainers": "# OF CONTAINERS",
           "ContainerNames": "NAMES", "ContainerIDs": "IDS", "Labels": "LABELS"}


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        sys.stdout.write(USAGE)
        return 0 if argv else 125
    verb = {"list": "ls", "ps": "ls", "remove": "rm"}.get(argv[0], argv[0])
    fn = {"create": _create, "ls": _ls, "inspect": _inspect, "start": _start, "stop": _stop,
          "kill": _kill, "rm": _rm, "exists": _exists, "restart": _restart, "pause": _pause,
          "unpause": _unpause, "probe": _probe}.get(verb)
    if fn is None:
        print(f"teu pod: unknown command {argv[0]!r}\nSee 'teu pod --help'", file=sys.stderr)
        return 125
    return fn(argv[1:])


def _create(argv: list[str]) -> int:
    flags = [Flag("name", "n", STR, "Assign a name to the pod"),
             Flag("hostname", None, STR, "Set the pod's hostname (default: its name)"),
             Flag("label", "l", LIST, "Set metadata on the pod"),
             Flag("network", None, LIST, "Connect the pod to a network (bridge, none, host, "
                  "a network's name)"),
             Flag("publish", "p", LIST, "Publish a port or a range of ports to the host"),
             Flag("ip", None, STR, "The pod's IPv4 address"),
             Flag("mac-address", None, STR, "The pod's MAC address"),
             Flag("network-alias", None, LIST, "Add a network-scoped alias for the pod"),
             Flag("add-host", None, LIST, "Add a custom host-to-IP mapping (host:ip)"),
             Flag("dns", None, LIST, "Set custom DNS servers"),
             Flag("dns-search", None, LIST, "Set custom DNS search domains"),
             Flag("dns-option", None, LIST, "Set custom DNS options"),
             Flag("share", None, STR, "Namespaces to share: ipc, net, uts (default "
                  "ipc,net,uts)"),
             Flag("cpus", None, STR, "Number of CPUs the pod's containers share (the pod's "
                  "cgroup)"),
             Flag("memory", "m", STR, "Memory limit of the pod's containers together (the "
                  "pod's cgroup)"),
             Flag("memory-swap", None, STR, "Memory plus swap limit of the pod ('-1': "
                  "unlimited swap)"),
             Flag("infra-name", None, STR, "The name of the pod's infra container"),
             Flag("pod-id-file", None, STR, "Write the pod ID to the file")]
    parsed = parse_or_help(argv, flags, "teu pod create", "[OPTIONS] [NAME]",
                           "Create a new empty pod", True, 0, 1)
    if parsed is None:
        return 0
    opts, args = parsed
    if args:
        opts.setdefault("name", args[0])
    opts["create_command"] = ["teu", "pod", "create", *argv]

    def go() -> int:
        from teu.engine.pods.lifecycle import create

        pod = create(engine(), opts)
        if opts.get("pod_id_file"):
            with open(opts["pod_id_file"], "w") as f:
                f.write(pod.id)
        print(pod.id)
        return 0

    return guarded(go, 125)


def _ls(argv: list[str]) -> int:
    flags = [Flag("quiet", "q", BOOL, "Print the numeric IDs of the pods only"),
             Flag("no-trunc", None, BOOL, "Do not truncate pod and container IDs"),
             Flag("format", None, STR, "Pretty-print pods to JSON or using a Go template"),
             Flag("filter", "f", LIST, "Filter output based on conditions given (name, id, "
                  "label, status)"),
             Flag("ctr-names", None, BOOL, "Display the container names"),
             Flag("ctr-ids", None, BOOL, "Display the container UUIDs"),
             Flag("noheading", None, BOOL, "Do not print headers")]
    parsed = parse_or_help(argv, flags, "teu pod ls", "[OPTIONS]", "List pods", True, 0, 0)
    if parsed is None:
        return 0
    opts, _ = parsed

    def go() -> int:
        from teu.cli.formatting import context, render
        from teu.engine.pods.view import listing

        items = listing(engine(), opts.get("filter") or [], bool(opts.get("no_trunc")))
        if opts.get("quiet"):
            for item in items:
                print(item["ID"])
            return 0
        default = DEFAULT
        if opts.get("ctr_names"):
            default += "\t{{.ContainerNames}}"
        if opts.get("ctr_ids"):
            default += "\t{{.ContainerIDs}}"
        fmt = opts.get("format")
        if fmt == "json":
            import json

            from teu.engine.pods.view import ls_json

            e = engine()
            print(json.dumps([ls_json(e, i["Pod"]) for i in items], indent=2))
            return 0
        if opts.get("noheading") and not fmt:
            fmt = default.removeprefix("table ")
        rows = [context("*entities.ListPodsReport", {k: i.get(k, "") for k in HEADERS},
                        i["LabelMap"]) for i in items]
        sys.stdout.write(render(fmt, default, HEADERS, rows))
        return 0

    return guarded(go)


def _inspect(argv: list[str]) -> int:
    from teu.cli._inspect_out import inspect_verb

    def look(e, name: str) -> dict:  # noqa: ANN001 - an Engine
        from teu.engine.pods import store, view

        return view.inspect(e, store.find(e.db, name))

    return inspect_verb(argv, "teu pod inspect", "[OPTIONS] POD [POD...]", "pods", look)


def _each(argv: list[str], prog: str, what: str, action, extra=()) -> int:  # noqa: ANN001
    flags = [Flag("all", "a", BOOL, f"{what} all pods"), *extra]
    parsed = parse_or_help(argv, flags, f"teu pod {prog}", "[OPTIONS] POD [POD...]",
                           f"{what} one or more pods", True, 0)
    if parsed is None:
        return 0
    opts, names = parsed
    from teu.cli._flags import UsageError

    if bool(names) == bool(opts.get("all")):
        raise UsageError("when using the --all switch, you may not pass any pod names or IDs"
                         if names else "you must provide at least one pod name or id", 125)

    def go() -> int:
        from teu.cli._engine import each
        from teu.engine.pods import store

        e = engine()
        refs = names or [p.id for p in store.all_pods(e.db)]
        return each(refs, lambda ref: action(e, ref, opts))

    return guarded(go)


def _start(argv: list[str]) -> int:
    from teu.engine.pods.lifecycle import start

    return _each(argv, "start", "Start", lambda e, ref, o: start(e, ref).id)


def _stop(argv: list[str]) -> int:
    from teu.engine.pods.lifecycle import stop

    return _each(argv, "stop", "Stop", lambda e, ref, o: stop(e, ref, o.get("time")).id,
                 [Flag("time", "t", INT, "Seconds to wait for pod stop before killing the "
                       "container")])


def _restart(argv: list[str]) -> int:
    from teu.engine.pods.lifecycle import restart

    return _each(argv, "restart", "Restart",
                 lambda e, ref, o: restart(e, ref, o.get("time")).id,
                 [Flag("time", "t", INT, "Seconds to wait for pod stop before killing the "
                       "container")])


def _pause(argv: list[str]) -> int:
    from teu.engine.pods.lifecycle import pause

    return _each(argv, "pause", "Pause", lambda e, ref, o: pause(e, ref).id)


def _unpause(argv: list[str]) -> int:
    from teu.engine.pods.lifecycle import unpause

    return _each(argv, "unpause", "Unpause", lambda e, ref, o: unpause(e, ref).id)


def _kill(argv: list[str]) -> int:
    from teu.engine.pods.lifecycle import kill

    return _each(argv, "kill", "Kill",
                 lambda e, ref, o: kill(e, ref, o.get("signal") or "SIGKILL").id,
                 [Flag("signal", "s", STR, "Signal to send to the containers in the pod")])


def _rm(argv: list[str]) -> int:
    from teu.engine.pods.lifecycle import remove

    flags = [Flag("force", "f", BOOL, "Force removal of a running pod by first stopping all "
                  "containers, then removing all containers in the pod"),
             Flag("ignore", "i", BOOL, "Ignore errors when a specified pod is missing"),
             Flag("volumes", "v", BOOL, "Remove anonymous volumes of the pod's containers")]

    def one(e, ref: str, o: dict) -> str:  # noqa: ANN001
        from teu.engine.errors import NotFound

        try:
            return remove(e, ref, bool(o.get("force")), bool(o.get("volumes")))
        except NotFound:
            if o.get("ignore"):
                return ref
            raise

    return _each(argv, "rm", "Remove", one, flags)


def _probe(argv: list[str]) -> int:
    """Hidden: the one-shot a probed pod's sh loop runs (teu.engine.pods.prober): every
    due probe once, then the seconds to sleep on stdout; exit 1 ends the loop."""
    if len(argv) != 1 or argv[0].startswith("-"):
        print("teu pod probe: one pod ID expected", file=sys.stderr)
        return 125

    def go() -> int:
        from teu.engine.pods import prober

        return prober.once_cli(engine(), argv[0])

    return guarded(go)


def _exists(argv: list[str]) -> int:
    parsed = parse_or_help(argv, [], "teu pod exists", "POD", "Check if a pod exists",
                           True, 1, 1)
    if parsed is None:
        return 0

    def go() -> int:
        from teu.engine.errors import NotFound
        from teu.engine.pods import store

        try:
            store.find(engine().db, parsed[1][0])
        except NotFound:
            return 1
        return 0

    return guarded(go)
