"""`teu network create|ls|inspect|rm|prune|connect|disconnect` (docker's output and JSON)."""

from __future__ import annotations

import sys

from teu.cli._engine import engine, guarded, parse_or_help
from teu.cli._flags import BOOL, LIST, STR, Flag

USAGE = """Usage:  teu network COMMAND

Manage networks

Commands:
  connect     Connect a container to a network
  create      Create a network
  disconnect  Disconnect a container from a network
  inspect     Display detailed information on one or more networks
  ls          List networks
  prune       Remove all unused networks
  rm          Remove one or more networks
"""


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        sys.stdout.write(USAGE)
        return 0 if argv else 125
    verb = {"list": "ls", "remove": "rm"}.get(argv[0], argv[0])
    fn = {"create": _create, "ls": _ls, "inspect": _inspect, "rm": _rm, "prune": _prune,
          "connect": _connect, "disconnect": _disconnect}.get(verb)
    if fn is None:
        print(f"teu network: unknown command {argv[0]!r}", file=sys.stderr)
        return 125
    return fn(argv[1:])


def _kv(items: list[str], what: str) -> dict[str, str]:
    from teu.engine.errors import InvalidArgument

    out = {}
    for item in items:
        k, eq, v = item.partition("=")
        if not k or not eq:
            raise InvalidArgument(f"invalid {what} {item!r}: KEY=VALUE expected")
        out[k] = v
    return out


def _create(argv: list[str]) -> int:
    flags = [Flag("driver", "d", STR, "Driver to manage the Network (bridge, overlay, "
                  "macvlan, ipvlan)"),
             Flag("subnet", None, LIST, "Subnet in CIDR format that represents a network "
                  "segment"),
             Flag("ip-range", None, STR, "Allocate container ip from a sub-range"),
             Flag("gateway", None, LIST, "IPv4 or IPv6 Gateway for the master subnet"),
             Flag("ipv6", None, BOOL, "Enable IPv6 networking"),
             Flag("internal", None, BOOL, "Restrict external access to the network"),
             Flag("label", None, LIST, "Set metadata on a network"),
             Flag("opt", "o", LIST, "Set driver specific options"),
             Flag("attachable", None, BOOL, "Enable manual container attachment (accepted)")]
    parsed = parse_or_help(argv, flags, "teu network create", "[OPTIONS] NETWORK",
                           "Create a network", True, 1)
    if parsed is None:
        return 0
    opts, args = parsed

    def go() -> int:
        from teu.engine.config.options import labels
        from teu.network.store import Store

        v4 = [s for s in opts.get("subnet") or [] if ":" not in s]
        v6 = [s for s in opts.get("subnet") or [] if ":" in s]
        gw4 = [g for g in opts.get("gateway") or [] if ":" not in g]
        gw6 = [g for g in opts.get("gateway") or [] if ":" in g]
        net = Store(engine().paths.root).create(
            args[0], opts.get("driver") or "bridge", v4[0] if v4 else "",
            gw4[0] if gw4 else "", opts.get("ip_range") or "", v6[0] if v6 else "",
            gw6[0] if gw6 else "", bool(opts.get("ipv6")), bool(opts.get("internal")),
            labels(opts.get("label") or []), _kv(opts.get("opt") or [], "option"))
        print(net.id)
        return 0

    return guarded(go)


def _ls(argv: list[str]) -> int:
    flags = [Flag("quiet", "q", BOOL, "Only display network IDs"),
             Flag("format", None, STR, "Format output using a custom template"),
             Flag("filter", "f", LIST, "Provide filter values (driver, id, label, name, type)"),
             Flag("no-trunc", None, BOOL, "Do not truncate the output")]
    parsed = parse_or_help(argv, flags, "teu network ls", "[OPTIONS]", "List networks")
    if parsed is None:
        return 0
    opts, _ = parsed

    def go() -> int:
        from teu.cli._table import render
        from teu.network import listing

        filters = listing.parse(opts.get("filter") or [])
        listing.check(filters)
        items = []
        e = engine()
        for net in listing.networks(e.paths.root):
            if not listing.matches(net, filters, lambda n: _in_use(e, n)):
                continue
            nid = net.id if opts.get("no_trunc") else net.id[:12]
            items.append({"ID": nid, "Name": net.name, "Driver": net.driver,
                          "Scope": listing.scope(net),
                          "IPv6": str(net.ipv6).lower(), "Internal": str(net.internal).lower(),
                          "CreatedAt": net.created,
                          "Labels": ",".join(f"{k}={v}" for k, v in net.labels.items())})
        if opts.get("quiet"):
            for item in items:
                print(item["ID"])
            return 0
        sys.stdout.write(render(opts.get("format"),
                                "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}",
                                {"ID": "NETWORK ID", "Name": "NAME", "Driver": "DRIVER",
                                 "Scope": "SCOPE", "IPv6": "IPV6", "Internal": "INTERNAL",
                                 "CreatedAt": "CREATED AT", "Labels": "LABELS"}, items,
                                "*formatter.networkContext"))
        return 0

    return guarded(go)


def _in_use(e, net) -> bool:  # noqa: ANN001 - an Engine, a teu.network.config.Network
    from teu.engine.network import inspect_network

    return bool(inspect_network(e, net.name).get("Containers"))


def _inspect(argv: list[str]) -> int:
    flags = [Flag("format", "f", STR, "Format output using a custom template"),
             Flag("verbose", "v", BOOL, "Verbose output for diagnostics")]
    parsed = parse_or_help(argv, flags, "teu network inspect", "[OPTIONS] NETWORK [NETWORK...]",
                           "Display detailed information on one or more networks", True, 1)
    if parsed is None:
        return 0
    opts, names = parsed

    def go() -> int:
        from teu.cli._inspect_out import inspect_each
        from teu.engine.network import inspect_network

        e = engine()
        return inspect_each(names, lambda name: inspect_network(e, name), opts.get("format"))

    return guarded(go)


def _rm(argv: list[str]) -> int:
    flags = [Flag("force", "f", BOOL, "Do not error if the network does not exist; "
                  "disconnect its containers")]
    parsed = parse_or_help(argv, flags, "teu network rm", "NETWORK [NETWORK...]",
                           "Remove one or more networks", True, 1)
    if parsed is None:
        return 0
    opts, names = parsed

    def go() -> int:
        from teu.cli._engine import each
        from teu.engine.network import remove_network
        from teu.network.errors import NetworkNotFound

        e = engine()

        def one(name: str) -> str:
            try:
                return remove_network(e, name, bool(opts.get("force")))
            except NetworkNotFound:
                if opts.get("force"):
                    return name
                raise

        return each(names, one)

    return guarded(go)


def _prune(argv: list[str]) -> int:
    flags = [Flag("force", "f", BOOL, "Do not prompt for confirmation"),
             Flag("filter", None, LIST, "Provide filter values")]
    parsed = parse_or_help(argv, flags, "teu network prune", "[OPTIONS]",
                           "Remove all unused networks")
    if parsed is None:
        return 0
    opts, _ = parsed

    def go() -> int:
        from teu.cli._confirm import asked
        from teu.engine.network import prune
        from teu.labelfilter import parse

        filters = parse(opts.get("filter") or [], allowed=("until",))
        if not asked(opts, "WARNING! This will remove all custom networks not used by at "
                           "least one container.\nAre you sure you want to continue?"):
            return 0
        removed = prune(engine(), filters)
        if removed:
            print("Deleted Networks:")
            for name in removed:
                print(name)
        return 0

    return guarded(go)


def _connect(argv: list[str]) -> int:
    flags = [Flag("ip", None, STR, "IPv4 address (e.g., 172.30.100.104)"),
             Flag("ip6", None, STR, "IPv6 address (e.g., 2001:db8::33)"),
             Flag("alias", None, LIST, "Add network-scoped alias for the container")]
    parsed = parse_or_help(argv, flags, "teu network connect", "[OPTIONS] NETWORK CONTAINER",
                           "Connect a container to a network", True, 2)
    if parsed is None:
        return 0
    opts, args = parsed

    def go() -> int:
        from teu.engine.network import connect

        connect(engine(), args[0], args[1], opts.get("ip") or "", opts.get("ip6") or "",
                opts.get("alias") or [])
        return 0

    return guarded(go)


def _disconnect(argv: list[str]) -> int:
    flags = [Flag("force", "f", BOOL, "Force the container to disconnect from a network")]
    parsed = parse_or_help(argv, flags, "teu network disconnect",
                           "[OPTIONS] NETWORK CONTAINER",
                           "Disconnect a container from a network", True, 2)
    if parsed is None:
        return 0
    opts, args = parsed

    def go() -> int:
        from teu.engine.network import disconnect

        disconnect(engine(), args[0], args[1], bool(opts.get("force")))
        return 0

    return guarded(go)
