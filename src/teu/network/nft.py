"""teu's own nftables tables (`table ip teu`, and `table ip6 teu` once a network has IPv6):
NAT out, published ports, isolation.

teu never touches another table or chain. Everything is in these tables, the same
shape in both families (the ip6 one holds only the networks with an IPv6 subnet):

    set bridges              every teu bridge (isolation: no forwarding between them)
    map ports_any            proto . host port : container address . port (-p PORT:PORT)
    map ports_addr           host address . proto . host port : ... (-p IP:PORT:PORT)
    set fastpath             TCP host ports whose 127.0.0.1 -> 127.0.0.1 ([::1] -> [::1])
                             connections take the loopback fast path (teu.network.fastpath)
    chain dnat_pre           prerouting, dstnat: traffic to a local address -> the maps
    chain dnat_out           output, dstnat: the same for this host's own connections
                             (127.0.0.1 too: route_localnet on the bridge)
    chain net-<bridge>-nat   postrouting: masquerade out of the subnet (not --internal),
                             from 127.0.0.0/8, and hairpin (a container to its own port)
    chain net-<bridge>-fwd   forward: isolation from other teu bridges; --internal
                             drops everything leaving the bridge

A published port is one map element, added and deleted with the container: the
kernel forwards it (DNAT, conntrack); no process of teu stays in the data path.
Network chains are flushed and refilled, so applying them twice is harmless.

IPv6 (NAT66, as docker does with ip6tables): a dual-stack network's published ports
are also elements of the ip6 maps, to the container's IPv6 address, and its subnet is
masqueraded out. The one thing IPv6 cannot do is [::1]: the kernel has no IPv6
route_localnet and drops a ::1 source leaving loopback, so a port is reached on the
host's other IPv6 addresses (and 127.0.0.1 for IPv4); docker needs its user-space
proxy for [::1]; teu serves it with its loopback fast path (teu.network.fastpath, tc
programs: TCP), and its socket-level redirect (teu.network.socklb, opt-in) for the
clients it covers, rewriting connect() before any packet is sent.
"""

from __future__ import annotations

import os

from teu.network.errors import NetworkError

TABLE = "teu"
FAMILY = "ip"
FAMILY6 = "ip6"
MAPS = ("ports_any", "ports_addr")

_BASE_TEMPLATE = """add table {f} teu
add set {f} teu bridges {{ type ifname; }}
add map {f} teu ports_any {{ type inet_proto . inet_service : {a} . inet_service; }}
add map {f} teu ports_addr {{ type {a} . inet_proto . inet_service : {a} . inet_service; }}
add chain {f} teu dnat_pre {{ type nat hook prerouting priority dstnat; policy accept; }}
flush chain {f} teu dnat_pre
add rule {f} teu dnat_pre fib daddr type local dnat {f} to {f} daddr . meta l4proto . th dport map @ports_addr
add rule {f} teu dnat_pre fib daddr type local dnat {f} to meta l4proto . th dport map @ports_any
add chain {f} teu dnat_out {{ type nat hook output priority -100; policy accept; }}
flush chain {f} teu dnat_out
{fast}add rule {f} teu dnat_out fib daddr type local dnat {f} to {f} daddr . meta l4proto . th dport map @ports_addr
add rule {f} teu dnat_out fib daddr type local dnat {f} to meta l4proto . th dport map @ports_any
"""  # noqa: E501 - nft's own syntax, one rule a line
# the loopback fast path's connections are left alone (no DNAT): their translation is
# at loopback's egress
_FAST = ("add set {f} teu fastpath {{ type inet_service; }}\n"
         "add rule {f} teu dnat_out {f} saddr {lo} {f} daddr {lo} tcp dport @fastpath "
         "return\n")
_BASE = _BASE_TEMPLATE.format(f=FAMILY, a="ipv4_addr",
                              fast=_FAST.format(f=FAMILY, lo="127.0.0.1"))
_BASE6 = _BASE_TEMPLATE.format(f=FAMILY6, a="ipv6_addr",
                               fast=_FAST.format(f=FAMILY6, lo="::1"))


def nft_binary() -> str:
    for d in ("/usr/sbin", "/sbin", "/usr/bin"):
        path = os.path.join(d, "nft")
        if os.access(path, os.X_OK):
            return path
    raise NetworkError("nft not found: published ports and NAT need nftables "
                       "(apt-get install nftables)")


def run(script: str) -> None:
    """`nft -f -`: the script is one transaction (all of it applies, or nothing)."""
    import subprocess

    p = subprocess.run([nft_binary(), "-f", "-"], input=script.encode(), capture_output=True)
    if p.returncode != 0:
        msg = p.stderr.decode(errors="replace").strip().splitlines()
        raise NetworkError(f"nftables: {msg[0] if msg else 'nft failed'}")


def listing(family: str = FAMILY) -> dict:
    """The table as `nft -j -a list table FAMILY teu` shows it ({} if there is none)."""
    import json
    import subprocess

    p = subprocess.run([nft_binary(), "-j", "-a", "list", "table", family, TABLE],
                       capture_output=True)
    if p.returncode != 0:
        return {}
    return json.loads(p.stdout or b"{}")


def _network_chains(family: str, bridge: str, subnet: str, internal: bool,
                    localhost: bool) -> list[str]:
    chain, saddr = f"net-{bridge}", f"{family} saddr"
    lines = [f'add element {family} teu bridges {{ "{bridge}" }}',
             f"add chain {family} teu {chain}-nat {{ type nat hook postrouting priority "
             "srcnat; policy accept; }",
             f"flush chain {family} teu {chain}-nat",
             f"add chain {family} teu {chain}-fwd {{ type filter hook forward priority "
             "filter; policy accept; }",
             f"flush chain {family} teu {chain}-fwd"]
    nat, fwd = f"add rule {family} teu {chain}-nat", f"add rule {family} teu {chain}-fwd"
    if subnet and not internal:
        lines.append(f'{nat} {saddr} {subnet} oifname != "{bridge}" masquerade')
    if localhost:
        lines.append(f'{nat} oifname "{bridge}" {saddr} 127.0.0.0/8 masquerade')
    if subnet:
        lines.append(f'{nat} oifname "{bridge}" ct status dnat {saddr} {subnet} masquerade')
    if internal:
        lines.append(f'{fwd} iifname "{bridge}" oifname != "{bridge}" drop')
        lines.append(f'{fwd} oifname "{bridge}" iifname != "{bridge}" drop')
    else:
        lines.append(f'{fwd} iifname "{bridge}" oifname @bridges oifname != "{bridge}" drop')
    return lines


def network_script(bridge: str, subnet: str, internal: bool, subnet6: str = "") -> str:
    """The network's chains in `table ip teu`, and in `table ip6 teu` if it has IPv6."""
    lines = [_BASE, *_network_chains(FAMILY, bridge, subnet, internal, True)]
    if subnet6:
        lines += [_BASE6, *_network_chains(FAMILY6, bridge, subnet6, internal, False)]
    return "\n".join(lines) + "\n"


def remove_network_script(bridge: str, ipv6: bool = False) -> str:
    chain = f"net-{bridge}"
    lines = []
    for family, base in ((FAMILY, _BASE), (FAMILY6, _BASE6)) if ipv6 else ((FAMILY, _BASE),):
        lines += [
            base,
            f"add chain {family} teu {chain}-nat", f"delete chain {family} teu {chain}-nat",
            f"add chain {family} teu {chain}-fwd", f"delete chain {family} teu {chain}-fwd",
            f'add element {family} teu bridges {{ "{bridge}" }}',
            f'delete element {family} teu bridges {{ "{bridge}" }}']
    return "\n".join(lines) + "\n"


def _v6(addr: str) -> bool:
    return ":" in addr


def element(m: dict) -> tuple[str, str]:
    """A port mapping's IPv4 element -> (map, element text)."""
    key = f"{m['protocol']} . {m['hostPort']} : {m['containerIP']} . {m['containerPort']}"
    host_ip = m.get("hostIP") or ""
    if host_ip in ("", "0.0.0.0"):
        return "ports_any", key
    return "ports_addr", f"{host_ip} . {key}"


def elements(m: dict) -> list[tuple[str, str, str]]:
    """A port mapping -> [(family, map, element text)]: the IPv4 one (to containerIP),
    and on a dual-stack network the IPv6 one (to containerIP6). A host address says
    which family: "" is both (docker's -p 8080:80), 0.0.0.0 IPv4 only, :: IPv6 only."""
    host_ip = m.get("hostIP") or ""
    out = []
    if m.get("containerIP") and not _v6(m["containerIP"]) and not _v6(host_ip):
        out.append((FAMILY, *element(m)))
    ip6 = m.get("containerIP6") or ""
    if ip6 and host_ip != "0.0.0.0" and (not host_ip or _v6(host_ip)):
        key = f"{m['protocol']} . {m['hostPort']} : {ip6} . {m['containerPort']}"
        if host_ip in ("", "::"):
            out.append((FAMILY6, "ports_any", key))
        else:
            out.append((FAMILY6, "ports_addr", f"{host_ip} . {key}"))
    return out


def ports_script(mappings: list[dict], add: bool) -> str:
    lines = [_BASE]
    v6 = False
    for m in mappings:
        for family, name, text in elements(m):
            if family == FAMILY6 and not v6:
                lines.append(_BASE6)
                v6 = True
            lines.append(f"add element {family} teu {name} {{ {text} }}")
            if not add:
                # add-then-delete: deleting an element that is gone is then no error
                lines.append(f"delete element {family} teu {name} {{ {text} }}")
        fast_path = m.get("fastPath") or {}
        for family in fast_path.get("families", [4]) if fast_path else []:
            # in one transaction with its DNAT elements
            if family == 6 and not v6:
                lines.append(_BASE6)
                v6 = True
            fast = f"add element {FAMILY if family == 4 else FAMILY6} teu fastpath " \
                f"{{ {m['hostPort']} }}"
            lines += [fast] if add else [fast, fast.replace("add", "delete", 1)]
    return "\n".join(lines) + "\n"


def table_exists(family: str = FAMILY) -> bool:
    return bool(listing(family))
