"""`teu port --explain`: the path a packet to a published port takes, hop by hop, checked
against the kernel as it is now.

    host      the address and port the packet is sent to
    socket    the socket-level redirect (teu.network.socklb): whether a connect() from
              this host goes straight to the container (no NAT), or why not
    fast path the loopback fast path (teu.network.fastpath): whether a 127.0.0.1
              client's connection is translated by teu's tc programs past the bridge
              (its map element, the program on lo's egress), or why not
    dnat      the map element of `table ip teu` (and of `table ip6 teu` on a dual-stack
              network) and the rule (chain, handle) that rewrites the destination to
              the container's address
    bridge    the network's bridge: present, up
    veth      the host end of the container's veth: present, up, a port of that bridge
    container the container's address, and a socket listening on the port inside
              (read from /proc/<init pid>/net/tcp: the container's own namespace)
    cni check the plugins' CHECK with the cached result (their view of the interface)

Each hop is `ok`, or says what is missing or wrong; the answer is false if any is.
"""

from __future__ import annotations

import json
import subprocess

from teu.network import nft


def _link(name: str) -> dict | None:
    p = subprocess.run(["ip", "-j", "link", "show", "dev", name], capture_output=True)
    if p.returncode != 0:
        return None
    links = json.loads(p.stdout or b"[]")
    return links[0] if links else None


def _rules(table: dict) -> tuple[set[str], list[tuple[str, int, str]]]:
    """(elements of the port maps as text, [(chain, handle, map name)] of the DNAT rules)."""
    elements: set[str] = set()
    rules = []
    for item in table.get("nftables", []):
        if "map" in item and item["map"]["name"] in nft.MAPS:
            for elem in item["map"].get("elem") or []:
                key, value = elem
                keys = key["concat"] if isinstance(key, dict) and "concat" in key else [key]
                vals = value["concat"] if isinstance(value, dict) and "concat" in value \
                    else [value]
                elements.add(item["map"]["name"] + ":" + " . ".join(str(k) for k in keys)
                             + " : " + " . ".join(str(v) for v in vals))
        elif "rule" in item:
            text = json.dumps(item["rule"].get("expr"))
            for name in nft.MAPS:
                if f'"@{name}"' in text:
                    rules.append((item["rule"]["chain"], item["rule"]["handle"], name))
    return elements, rules


def listening(pid: int, proto: str, port: int) -> bool:
    for name in ((proto, proto + "6") if proto in ("tcp", "udp") else ()):
        try:
            with open(f"/proc/{pid}/net/{name}") as f:
                lines = f.read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            if len(cols) > 3 and int(cols[1].rsplit(":", 1)[1], 16) == port and \
                    (proto != "tcp" or cols[3] == "0A"):
                return True
    return False


def _cni_check(rec: dict, pid: int) -> tuple[str, bool, str]:
    """CNI CHECK of the attachment (the plugins' own view: interfaces, addresses, routes)."""
    from teu.network import cni
    from teu.network.errors import NetworkError

    if not pid or rec.get("result") is None:
        return ("cni check", False, "WRONG: no attachment to check")
    if str(rec["config"].get("disableCheck")).lower() == "true":
        return ("cni check", True, "skipped (the conflist says disableCheck)")
    rt = cni.RuntimeConf.from_json(rec)
    rt.netns = f"/proc/{pid}/ns/net"  # what the result's sandbox says (attach.finish)
    try:
        cni.check(rec["config"], rt, rec["result"])
    except NetworkError as e:
        return ("cni check", False, f"FAILED: {e}")
    names = ", ".join(p.get("type", "?") for p in rec["config"].get("plugins") or [])
    return ("cni check", True, f"CHECK passed ({names})")


def _dnat_hop(family: str, name: str, text: str, table: dict, elements: set[str],
              rules: list[tuple[str, int, str]]) -> tuple[str, bool, str]:
    where = f"{family} {nft.TABLE}"
    chains = [f"{c} handle {h}" for c, h, n in rules if n == name]
    if not table:
        return ("dnat", False, f"MISSING: no table {where}")
    if f"{name}:{text}" not in elements:
        return ("dnat", False, f"MISSING: no element {{ {text} }} in map {where} {name}")
    if not chains:
        return ("dnat", False, f"MISSING: no rule of table {where} uses map @{name}")
    return ("dnat", True, f"table {where} map {name} {{ {text} }}, rules {', '.join(chains)}")


def explain(records: list[dict], pid: int, wanted: str | None = None) -> tuple[str, bool]:
    """The text, and whether every hop of every port is in place."""
    out: list[str] = []
    good = True
    tables = {nft.FAMILY: nft.listing()}
    if any(m.get("containerIP6") for rec in records
           for m in (rec.get("teu") or {}).get("ports") or []):
        tables[nft.FAMILY6] = nft.listing(nft.FAMILY6)
    parsed = {f: _rules(t) for f, t in tables.items()}
    found_any = False
    for rec in records:
        extra = rec.get("teu") or {}
        result = rec.get("result") or {}
        for m in extra.get("ports") or []:
            key = f"{m['containerPort']}/{m['protocol']}"
            if wanted and key != wanted:
                continue
            found_any = True
            hops: list[tuple[str, bool, str]] = []
            host_ip = m.get("hostIP") or "0.0.0.0"
            out.append(f"{key} published on {host_ip}:{m['hostPort']} "
                       f"(network {rec['networkName']})\n")
            where = f"{host_ip}:{m['hostPort']}/{m['protocol']}"
            if m.get("containerIP6") and not m.get("hostIP"):
                where += f" and [::]:{m['hostPort']}/{m['protocol']}"
            if host_ip == "0.0.0.0":
                where += " (any local address, 127.0.0.1 included"
                if not m.get("containerIP6"):
                    where += ")"
                elif 6 in (m.get("fastPath") or {}).get("families", []):
                    where += "; [::1] by the fast path: the DNAT cannot reach it)"
                elif m.get("socketLB"):
                    where += ("; [::1] for the redirected clients of the socket hop only: "
                              "the kernel has no IPv6 route_localnet for the DNAT)")
                else:
                    where += "; not [::1]: the kernel has no IPv6 route_localnet)"
            hops.append(("host", True, where))
            if not extra.get("portsByPlugin"):
                from teu.network import fastpath, socklb

                hops.append(("socket", *socklb.state(m)))
                hops.append(("fast path", *fastpath.state(m)))
            if extra.get("portsByPlugin"):
                hops.append(("dnat", True, "by the network's own CNI plugin (portmap)"))
            else:
                for family, name, text in nft.elements(m) or [(nft.FAMILY, *nft.element(m))]:
                    hops.append(_dnat_hop(family, name, text, tables.get(family) or {},
                                          *parsed.get(family, (set(), []))))
            bridge = extra.get("bridge") or ""
            if bridge:
                link = _link(bridge)
                if link is None:
                    hops.append(("bridge", False, f"MISSING: bridge {bridge} does not exist"))
                elif "UP" not in link.get("flags", []):
                    hops.append(("bridge", False, f"WRONG: bridge {bridge} is down"))
                else:
                    hops.append(("bridge", True, f"{bridge} up"))
            from teu.network.attach import host_veth

            veth = host_veth(result)
            if veth:
                link = _link(veth)
                if link is None:
                    hops.append(("veth", False, f"MISSING: veth {veth} does not exist"))
                elif "UP" not in link.get("flags", []):
                    hops.append(("veth", False, f"WRONG: veth {veth} is down"))
                elif bridge and link.get("master") != bridge:
                    hops.append(("veth", False, f"WRONG: veth {veth} is not a port of "
                                 f"{bridge} (master {link.get('master') or 'none'})"))
                else:
                    hops.append(("veth", True, f"{veth} up, port of {bridge}, peer "
                                 f"{rec.get('ifName', 'eth0')} in the container"))
            addr = " and ".join(a for a in (m.get("containerIP"), m.get("containerIP6")) if a) \
                or "?"
            if not pid:
                hops.append(("container", False, f"WRONG: the container is not running "
                             f"({addr}:{m['containerPort']})"))
            elif listening(pid, m["protocol"], m["containerPort"]):
                hops.append(("container", True, f"{addr}:{m['containerPort']}, a socket "
                             "listens on it"))
            else:
                hops.append(("container", False, f"WRONG: nothing listens on "
                             f"{m['protocol']} port {m['containerPort']} in the container "
                             f"({addr})"))
            hops.append(_cni_check(rec, pid))
            for hop, ok, text in hops:
                good = good and ok
                out.append(f"  {hop:<10} {'ok   ' if ok else 'FAIL '} {text}\n")
    if not found_any:
        return (f"no published port{' ' + wanted if wanted else ''}\n", False)
    return "".join(out), good
