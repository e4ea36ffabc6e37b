"""Kubernetes Services for `kube play`, in nftables tables of their own (kube's module;
teu's `table ip teu` of teu.network.nft is never touched):

- `table ip teu_service`, inside a pod's network namespace: a Service's `port` that
  differs from its `targetPort` answers on the pod's own addresses (traffic to
  POD_IP:port is DNATed to POD_IP:targetPort, from other pods and from the pod
  itself), so `NAME:port` works where NAME, the Service's name, resolves to the pods
  it selects. It goes with the namespace; a pod start puts it back.
- `table ip teu_kube`, in teu's own namespace (the host's, or a test host's): a host
  port (a NodePort, or the hostPort of a Deployment's replicas) spread over several
  pods, as kube-proxy spreads a Service: `numgen inc` picks the next pod for each new
  connection. One chain per host port `lb-PROTO-PORT`, reached through the verdict map
  `lb` from prerouting and output (priority dstnat - 1: before teu's published ports),
  for traffic to any local address; teu's network chains masquerade 127.0.0.1 and
  hairpin traffic into the bridge, as for its own published ports. Each spread port is
  recorded in <root>/kube/lb/PROTO-PORT.json with its pods; a pod that restarts (a new
  address) or whose readiness changes (its prober) rewrites the chain: as a Service's
  endpoints, only ready pods get connections, and none ready is a TCP reset.
"""

from __future__ import annotations

import json
import os
import subprocess

from teu.network.nft import nft_binary, run

POD_TABLE = "teu_service"
HOST_TABLE = "teu_kube"

_HOST_BASE = f"""add table ip {HOST_TABLE}
add map ip {HOST_TABLE} lb {{ type inet_proto . inet_service : verdict; }}
add chain ip {HOST_TABLE} pre {{ type nat hook prerouting priority dstnat - 1; policy accept; }}
flush chain ip {HOST_TABLE} pre
add rule ip {HOST_TABLE} pre fib daddr type local meta l4proto . th dport vmap @lb
add chain ip {HOST_TABLE} out {{ type nat hook output priority -101; policy accept; }}
flush chain ip {HOST_TABLE} out
add rule ip {HOST_TABLE} out fib daddr type local meta l4proto . th dport vmap @lb
"""  # noqa: E501 - nft's own syntax, one rule a line


def pod_script(addresses: list[str], redirects: list[tuple[str, int, int]]) -> str:
    """The pod's table: for each IPv4 address and (proto, port, target), port -> target."""
    t = f"ip {POD_TABLE}"
    lines = [f"add table {t}", f"flush table {t}",
             f"add chain {t} pre {{ type nat hook prerouting priority dstnat; policy accept; }}",
             f"add chain {t} out {{ type nat hook output priority -100; policy accept; }}"]
    for addr in addresses:
        if ":" in addr:
            continue  # IPv4 only: the kube network is IPv4
        for proto, port, target in redirects:
            for chain in ("pre", "out"):
                lines.append(f"add rule {t} {chain} ip daddr {addr} {proto} dport {port} "
                             f"dnat to {addr}:{target}")
    return "\n".join(lines) + "\n"


def apply_in_pod(infra_pid: int, addresses: list[str],
                 redirects: list[tuple[str, int, int]]) -> None:
    """Write the pod's table inside the namespace of its infra process."""
    from teu.network.errors import NetworkError

    p = subprocess.run(["nsenter", f"--net=/proc/{infra_pid}/ns/net", nft_binary(), "-f",
                        "-"], input=pod_script(addresses, redirects).encode(),
                       capture_output=True)
    if p.returncode != 0:
        msg = p.stderr.decode(errors="replace").strip().splitlines()
        raise NetworkError(f"nftables in the pod: {msg[0] if msg else 'nft failed'}")


def chain_name(proto: str, port: int) -> str:
    return f"lb-{proto.lower()}-{port}"


def balance_script(proto: str, port: int, backends: list[tuple[str, int]],
                   host_ip: str = "") -> str:
    """Host port `port` spread over `backends` (pod address, target port); none: reset."""
    proto = proto.lower()
    chain = chain_name(proto, port)
    match = f"ip daddr {host_ip} " if host_ip and host_ip != "0.0.0.0" else ""
    targets = ", ".join(f"{i} : {ip} . {p}" for i, (ip, p) in enumerate(backends))
    rule = (f"meta l4proto {proto} dnat to numgen inc mod {len(backends)} map "
            f"{{ {targets} }}") if backends else (
        "meta l4proto tcp reject with tcp reset" if proto == "tcp" else "drop")
    return _HOST_BASE + "\n".join([
        f"add chain ip {HOST_TABLE} {chain}", f"flush chain ip {HOST_TABLE} {chain}",
        f"add rule ip {HOST_TABLE} {chain} {match}{rule}",
        f"add element ip {HOST_TABLE} lb {{ {proto} . {port} : jump {chain} }}"]) + "\n"


def balance(proto: str, port: int, backends: list[tuple[str, int]], host_ip: str = "") -> None:
    run(balance_script(proto, port, backends, host_ip))


def unbalance(proto: str, port: int) -> None:
    """Remove a host port's chain (harmless when it is gone); the table goes with the
    last one."""
    proto = proto.lower()
    chain = chain_name(proto, port)
    run(_HOST_BASE + "\n".join([
        f"add element ip {HOST_TABLE} lb {{ {proto} . {port} : jump {chain} }}",
        f"delete element ip {HOST_TABLE} lb {{ {proto} . {port} }}",
        f"add chain ip {HOST_TABLE} {chain}", f"delete chain ip {HOST_TABLE} {chain}"]) + "\n")
    import json

    p = subprocess.run([nft_binary(), "-j", "list", "table", "ip", HOST_TABLE],
                       capture_output=True)
    items = json.loads(p.stdout or b"{}").get("nftables", []) if p.returncode == 0 else []
    chains = [i["chain"]["name"] for i in items if "chain" in i]
    if not any(c.startswith("lb-") for c in chains):
        run(f"delete table ip {HOST_TABLE}\n")


# --- the records: which pods a spread port goes to (kube play writes, kube down drops)


def records_dir(root: str) -> str:
    return os.path.join(root, "kube", "lb")


def records(root: str) -> list[tuple[str, dict]]:
    """Every spread port's record, as (its path, the record), in name order; one that
    cannot be read (a half-written or hand-edited file) is left out, not fatal."""
    d = records_dir(root)
    try:
        names = sorted(os.listdir(d))
    except OSError:
        return []
    out = []
    for name in names:
        if not name.endswith(".json"):
            continue
        path = os.path.join(d, name)
        try:
            with open(path) as f:
                out.append((path, json.load(f)))
        except (OSError, ValueError):
            continue
    return out


def record(root: str, owner: str, proto: str, port: int, host_ip: str,
           backends: list[dict]) -> str:
    """Record and apply a spread port; `backends`: {"pod", "ip", "port", "ready"}.
    The record's path (ValueError if another object holds that port)."""
    path = os.path.join(records_dir(root), f"{proto.lower()}-{port}.json")
    if os.path.exists(path):
        with open(path) as f:
            raise ValueError(f"host port {port}/{proto} is already spread over the pods of "
                             f"{json.load(f).get('owner')}")
    os.makedirs(os.path.dirname(path), 0o755, exist_ok=True)
    rec = {"owner": owner, "proto": proto, "port": port, "host_ip": host_ip,
           "backends": backends}
    _save(path, rec)
    _apply(rec)
    return path


def _save(path: str, rec: dict) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(rec, f)
    os.replace(tmp, path)


def _apply(rec: dict) -> None:
    live = [(b["ip"], int(b["port"])) for b in rec["backends"]
            if b.get("ip") and b.get("ready", True)]
    run(balance_script(rec["proto"], int(rec["port"]), live, rec.get("host_ip") or ""))


def refresh(root: str, pod: str, ip: str | None = None, ready: bool | None = None) -> None:
    """A pod's new address (it restarted) or readiness: every spread port it is behind
    is rewritten. Cheap when nothing is spread (no records)."""
    d = records_dir(root)
    if not os.path.isdir(d):
        return
    import fcntl

    with open(os.path.join(d, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for path, rec in records(root):
            changed = False
            for b in rec["backends"]:
                if b["pod"] != pod:
                    continue
                if ip is not None and b.get("ip") != ip:
                    b["ip"], changed = ip, True
                if ready is not None and b.get("ready", True) != ready:
                    b["ready"], changed = ready, True
            if changed:
                _save(path, rec)
                _apply(rec)


def drop(root: str, owners: set[str]) -> list[str]:
    """The spread ports of these objects go (kube down); "PORT/proto" of each."""
    d = records_dir(root)
    gone = []
    for path, rec in records(root):
        if rec.get("owner") in owners:
            unbalance(rec["proto"], int(rec["port"]))
            os.unlink(path)
            gone.append(f"{rec['port']}/{rec['proto'].lower()}")
    if os.path.isdir(d) and not [n for n in os.listdir(d) if n.endswith(".json")]:
        import shutil

        shutil.rmtree(d, ignore_errors=True)
    return gone
