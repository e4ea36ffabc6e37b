"""teu's own nftables table (`table ip teu`): NAT out, published ports, isolation.

teu never touches another table or chain. Everything is in one table:

    set bridges              every teu bridge (isolation: no forwarding between them)
    map ports_any            proto . host port : container address . port (-p PORT:PORT)
    map ports_addr           host address . proto . host port : ... (-p IP:PORT:PORT)
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
"""

from __future__ import annotations

import os

from teu.network.errors import NetworkError

TABLE = "teu"
FAMILY = "ip"
MAPS = ("ports_any", "ports_addr")

_BASE = """add table ip teu
add set ip teu bridges { type ifname; }
add map ip teu ports_any { type inet_proto . inet_service : ipv4_addr . inet_service; }
add map ip teu ports_addr { type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service; }
add chain ip teu dnat_pre { type nat hook prerouting priority dstnat; policy accept; }
flush chain ip teu dnat_pre
add rule ip teu dnat_pre fib daddr type local dnat ip to ip daddr . meta l4proto . th dport map @ports_addr
add rule ip teu dnat_pre fib daddr type local dnat ip to meta l4proto . th dport map @ports_any
add chain ip teu dnat_out { type nat hook output priority -100; policy accept; }
flush chain ip teu dnat_out
add rule ip teu dnat_out fib daddr type local dnat ip to ip daddr . meta l4proto . th dport map @ports_addr
add rule ip teu dnat_out fib daddr type local dnat ip to meta l4proto . th dport map @ports_any
"""  # noqa: E501 - nft's own syntax, one rule a line


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


def listing() -> dict:
    """The table as `nft -j -a list table ip teu` shows it ({} if there is none)."""
    import json
    import subprocess

    p = subprocess.run([nft_binary(), "-j", "-a", "list", "table", FAMILY, TABLE],
                       capture_output=True)
    if p.returncode != 0:
        return {}
    return json.loads(p.stdout or b"{}")


def network_script(bridge: str, subnet: str, internal: bool) -> str:
    chain = f"net-{bridge}"
    lines = [_BASE,
             f'add element ip teu bridges {{ "{bridge}" }}',
             f"add chain ip teu {chain}-nat {{ type nat hook postrouting priority srcnat; "
             "policy accept; }",
             f"flush chain ip teu {chain}-nat",
             f"add chain ip teu {chain}-fwd {{ type filter hook forward priority filter; "
             "policy accept; }",
             f"flush chain ip teu {chain}-fwd"]
    nat, fwd = f"add rule ip teu {chain}-nat", f"add rule ip teu {chain}-fwd"
    if subnet and not internal:
        lines.append(f'{nat} ip saddr {subnet} oifname != "{bridge}" masquerade')
    lines.append(f'{nat} oifname "{bridge}" ip saddr 127.0.0.0/8 masquerade')
    if subnet:
        lines.append(f'{nat} oifname "{bridge}" ct status dnat ip saddr {subnet} masquerade')
    if internal:
        lines.append(f'{fwd} iifname "{bridge}" oifname != "{bridge}" drop')
        lines.append(f'{fwd} oifname "{bridge}" iifname != "{bridge}" drop')
    else:
        lines.append(f'{fwd} iifname "{bridge}" oifname @bridges oifname != "{bridge}" drop')
    return "\n".join(lines) + "\n"


def remove_network_script(bridge: str) -> str:
    chain = f"net-{bridge}"
    return "\n".join([
        _BASE,
        f"add chain ip teu {chain}-nat", f"delete chain ip teu {chain}-nat",
        f"add chain ip teu {chain}-fwd", f"delete chain ip teu {chain}-fwd",
        f'add element ip teu bridges {{ "{bridge}" }}',
        f'delete element ip teu bridges {{ "{bridge}" }}']) + "\n"


def element(m: dict) -> tuple[str, str]:
    """A port mapping -> (map, element text)."""
    key = f"{m['protocol']} . {m['hostPort']} : {m['containerIP']} . {m['containerPort']}"
    host_ip = m.get("hostIP") or ""
    if host_ip in ("", "0.0.0.0"):
        return "ports_any", key
    return "ports_addr", f"{host_ip} . {key}"


def ports_script(mappings: list[dict], add: bool) -> str:
    lines = [_BASE]
    for m in mappings:
        if ":" in (m.get("hostIP") or "") or ":" in m["containerIP"]:
            continue  # IPv6: the ip table's maps hold IPv4 only
        name, text = element(m)
        if add:
            lines.append(f"add element ip teu {name} {{ {text} }}")
        else:
            # add-then-delete: deleting an element that is gone is then no error
            lines.append(f"add element ip teu {name} {{ {text} }}")
            lines.append(f"delete element ip teu {name} {{ {text} }}")
    return "\n".join(lines) + "\n"


def table_exists() -> bool:
    return bool(listing())
