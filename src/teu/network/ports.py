"""Published ports: docker's -p grammar, -P, and host port allocation.

    -p [IP:][HOSTPORT[-END]:]CONTAINERPORT[-END][/tcp|udp|sctp]

HostConfig.PortBindings keeps what the user asked for (docker's shape: {"80/tcp":
[{"HostIp": "", "HostPort": "8080"}]}); at start each binding becomes a
mapping with a real host port (an empty HostPort, or -P, takes a free one from
the ephemeral range; a HOSTPORT range takes its first free port). A host port
is free unless another container's mapping holds it (same protocol, same or
wildcard address) or a process of this host listens on it: either way the
error says who, as docker's "port is already allocated" does not.
"""

from __future__ import annotations

import os

from teu.network.errors import NetworkError

PROTOCOLS = ("tcp", "udp", "sctp")
EPHEMERAL = (32768, 60999)


def _port_range(text: str, what: str, spec: str) -> tuple[int, int]:
    lo, dash, hi = text.partition("-")
    try:
        a = int(lo)
        b = int(hi) if dash else a
    except ValueError:
        raise NetworkError(f"invalid {what}: {text!r} in -p {spec}") from None
    if not (0 < a <= 65535 and 0 < b <= 65535) or b < a:
        raise NetworkError(f"invalid {what}: {text!r} in -p {spec}")
    return a, b


def parse_publish(spec: str) -> dict[str, list[dict]]:
    """One -p value -> PortBindings entries."""
    out: dict[str, list[dict]] = {}
    for host_ip, hp, port, proto in publish_entries(spec):
        out.setdefault(f"{port}/{proto}", []).append({"HostIp": host_ip, "HostPort": hp})
    return out


def publish_entries(spec: str) -> list[tuple[str, str, int, str]]:
    """One -p value -> (host IP, host port or range or "", container port, protocol) per
    container port, in order (teu.compose reads a service's short `ports:` with it)."""
    rest, slash, proto = spec.rpartition("/") if "/" in spec else (spec, "", "tcp")
    proto = proto.lower() if slash else "tcp"
    if proto not in PROTOCOLS:
        raise NetworkError(f"invalid proto: {proto} in -p {spec}")
    host_ip = ""
    if rest.startswith("["):
        end = rest.find("]")
        if end < 0:
            raise NetworkError(f"invalid IP address in -p {spec}")
        host_ip, rest = rest[1:end], rest[end + 2:]
    parts = rest.split(":")
    if len(parts) == 3:
        host_ip, host, ctr = parts
    elif len(parts) == 2:
        host, ctr = parts
    elif len(parts) == 1:
        host, ctr = "", parts[0]
    else:
        raise NetworkError(f"invalid port format for -p: {spec}")
    if host_ip:
        import ipaddress

        try:
            ipaddress.ip_address(host_ip)
        except ValueError:
            raise NetworkError(f"invalid IP address: {host_ip} in -p {spec}") from None
    if not ctr:
        raise NetworkError(f"no port specified: {spec}<empty>")
    c_lo, c_hi = _port_range(ctr, "containerPort", spec)
    out: list[tuple[str, str, int, str]] = []
    if host:
        h_lo, h_hi = _port_range(host, "hostPort", spec)
        if c_hi != c_lo and (h_hi - h_lo) != (c_hi - c_lo):
            raise NetworkError(f"invalid ranges specified for container and host ports: {spec}")
    for i, port in enumerate(range(c_lo, c_hi + 1)):
        if not host:
            hp = ""
        elif c_hi != c_lo:
            hp = str(h_lo + i)
        else:
            hp = host if h_hi != h_lo else str(h_lo)
        out.append((host_ip, hp, port, proto))
    return out


def parse_all(specs: list[str]) -> dict[str, list[dict]]:
    bindings: dict[str, list[dict]] = {}
    for spec in specs:
        for key, items in parse_publish(spec).items():
            bindings.setdefault(key, []).extend(items)
    return bindings


def parse_expose(specs: list[str]) -> dict[str, dict]:
    out = {}
    for spec in specs:
        port, slash, proto = spec.partition("/")
        proto = proto or "tcp"
        if proto not in PROTOCOLS:
            raise NetworkError(f"invalid proto: {proto} in --expose {spec}")
        lo, hi = _port_range(port, "port", spec)
        for p in range(lo, hi + 1):
            out[f"{p}/{proto}"] = {}
    return out


class InUse:
    """Host ports held by other containers' mappings: (proto, port) -> [(host ip, holder)]."""

    def __init__(self) -> None:
        self.held: dict[tuple[str, int], list[tuple[str, str]]] = {}

    def add(self, proto: str, port: int, host_ip: str, holder: str) -> None:
        self.held.setdefault((proto, port), []).append((host_ip or "", holder))

    def holder(self, proto: str, port: int, host_ip: str) -> str | None:
        for ip, who in self.held.get((proto, port), []):
            if not ip or not host_ip or ip in ("0.0.0.0", "::") or \
                    host_ip in ("0.0.0.0", "::") or ip == host_ip:
                return who
        listener = listening_process(proto, port, host_ip)
        return listener


def allocate(bindings: dict[str, list[dict]], exposed: dict, publish_all: bool,
             used: InUse) -> list[dict]:
    """PortBindings (+ -P's exposed ports) -> CNI portMappings, each with a host port."""
    wanted: list[tuple[str, dict]] = []
    for key, items in bindings.items():
        for b in items or [{"HostIp": "", "HostPort": ""}]:
            wanted.append((key, b))
    if publish_all:
        for key in exposed or {}:
            if key not in bindings:
                wanted.append((key, {"HostIp": "", "HostPort": ""}))
    out: list[dict] = []
    mine = InUse()
    for key, b in wanted:
        port, _, proto = key.partition("/")
        proto = proto or "tcp"
        host_ip = b.get("HostIp") or ""
        host = b.get("HostPort") or ""
        if host and "-" not in host:
            candidates = [int(host)]
        elif host:
            lo, hi = host.split("-", 1)
            candidates = list(range(int(lo), int(hi) + 1))
        else:
            candidates = []
        chosen = None
        for hp in candidates or _ephemeral():
            who = mine.holder(proto, hp, host_ip) or used.holder(proto, hp, host_ip)
            if who is None:
                chosen = hp
                break
            if len(candidates) == 1:
                addr = host_ip or "0.0.0.0"
                raise NetworkError(f"Bind for {addr}:{hp} failed: port is already allocated "
                                   f"(by {who})")
        if chosen is None:
            raise NetworkError(f"no free host port for {key} in {host or 'the ephemeral range'}")
        mine.add(proto, chosen, host_ip, "this container")
        out.append({"hostPort": chosen, "containerPort": int(port), "protocol": proto,
                    "hostIP": host_ip})
    return out


def _ephemeral():  # noqa: ANN202 - a generator of ports
    import random

    lo, hi = EPHEMERAL
    start = random.randint(lo, hi)
    yield from range(start, hi + 1)
    yield from range(lo, start)


def to_docker(mappings: list[dict], exposed: dict | None = None) -> dict:
    """NetworkSettings.Ports: {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}]}."""
    out: dict = {k: None for k in exposed or {}}
    for m in mappings:
        key = f"{m['containerPort']}/{m['protocol']}"
        host_ip = m.get("hostIP") or "0.0.0.0"
        out.setdefault(key, None)
        binds = [] if ":" in host_ip else [{"HostIp": host_ip, "HostPort": str(m["hostPort"])}]
        if m.get("containerIP6") and (":" in host_ip or not m.get("hostIP")):
            # published on IPv6 too (a dual-stack network): docker lists [::] beside it
            binds.append({"HostIp": m.get("hostIP") or "::", "HostPort": str(m["hostPort"])})
        out[key] = (out[key] or []) + binds
    return out


def listening_process(proto: str, port: int, host_ip: str = "") -> str | None:
    """'process 1234 (httpd)' if a socket of this network namespace is bound to the port."""
    files = {"tcp": ("tcp", "tcp6"), "udp": ("udp", "udp6")}.get(proto, ())
    inodes = set()
    for name in files:
        try:
            with open(f"/proc/net/{name}") as f:
                lines = f.read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            if len(cols) < 10:
                continue
            local, state = cols[1], cols[3]
            if proto == "tcp" and state != "0A":  # LISTEN
                continue
            if int(local.rsplit(":", 1)[1], 16) == port:
                inodes.add(cols[9])
    if not inodes:
        return None
    wanted = {f"socket:[{i}]" for i in inodes}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                if os.readlink(f"/proc/{pid}/fd/{fd}") in wanted:
                    with open(f"/proc/{pid}/comm") as f:
                        return f"process {pid} ({f.read().strip()})"
        except OSError:
            continue
    return "a process of this host"
