"""Subnet arithmetic for `network create`: checks, overlaps, the next free subnet."""

from __future__ import annotations

import ipaddress

from teu.network.errors import NetworkError


def check_subnet(text: str, taken: list[str]) -> str:
    try:
        net = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise NetworkError(f"invalid subnet {text!r}") from None
    if str(net) != text.strip():
        raise NetworkError(f"invalid subnet {text}: it should be {net} (host bits set)")
    for other in taken:
        o = ipaddress.ip_network(other)
        if o.version == net.version and net.overlaps(o):
            raise NetworkError(f"Pool overlaps with other one on this address space "
                               f"({text} and {other})")
    return str(net)


def check_gateway(text: str, subnet: str) -> str:
    net = ipaddress.ip_network(subnet)
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        raise NetworkError(f"invalid gateway address {text!r}") from None
    if ip not in net:
        raise NetworkError(f"no matching subnet for gateway {text} (subnet {subnet})")
    return str(ip)


def check_range(text: str, subnet: str) -> str:
    try:
        r = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise NetworkError(f"invalid ip-range {text!r}") from None
    if not r.subnet_of(ipaddress.ip_network(subnet)):  # type: ignore[arg-type]
        raise NetworkError(f"ip-range {text} is not within the subnet {subnet}")
    return str(r)


def check_address(text: str, subnet: str, what: str = "--ip") -> str:
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        raise NetworkError(f"invalid IP address in {what}: {text!r}") from None
    if subnet and ip not in ipaddress.ip_network(subnet):
        raise NetworkError(f"{what} {text} is not in the network's subnet {subnet}")
    return str(ip)


def free_subnet(pool: str, prefix: int, taken: list[str]) -> str:
    p = ipaddress.ip_network(pool)
    used = [ipaddress.ip_network(t) for t in taken if t]
    for cand in p.subnets(new_prefix=prefix):
        if not any(cand.version == u.version and cand.overlaps(u) for u in used):
            return str(cand)
    raise NetworkError(f"could not find an available, non-overlapping address pool in {pool}")


def host_routes() -> list[str]:
    """The IPv4 destinations this host routes (/proc/net/route: this network namespace)."""
    out = []
    try:
        with open("/proc/net/route") as f:
            lines = f.read().splitlines()[1:]
    except OSError:
        return out
    for line in lines:
        cols = line.split()
        if len(cols) < 8 or cols[1] == "00000000":
            continue
        dest = ipaddress.IPv4Address(int(cols[1], 16).to_bytes(4, "little"))
        mask = bin(int(cols[7], 16)).count("1")
        out.append(str(ipaddress.ip_network(f"{dest}/{mask}", strict=False)))
    return out


def host_address(cidr: str) -> tuple[str, int]:
    """'10.77.0.2/16' -> ('10.77.0.2', 16)."""
    addr, _, prefix = cidr.partition("/")
    return addr, int(prefix or 32)
