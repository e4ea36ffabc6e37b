"""Names: /etc/hosts and /etc/resolv.conf of containers, kept current by teu.

The choice (issue 9): no resolver process. On a user-defined network every
container's /etc/hosts lists every other container attached to that network:
its name, its short ID and its aliases. teu rewrites these files in place (the
same inode, which the container has bind-mounted) whenever an attachment
appears or goes: a start, an exit, a restart, `network connect/disconnect`.
So names resolve through the C library's `files` source with nothing running
beside the containers, and a container started later, restarted (new IP) or
disconnected is seen by the others at once. The default `bridge` network does
not resolve names (docker's rule): there a container's hosts file has itself
only. `/etc/resolv.conf` is the host's (loopback resolvers dropped, as docker
does, since they cannot be reached from another namespace) or --dns,
--dns-search and --dns-option: upstream names go straight to the host's
resolvers.
"""

from __future__ import annotations

import os

BASE = ("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
        "fe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\n"
        "ff02::2\tip6-allrouters\n")
FALLBACK_DNS = ("8.8.8.8", "8.8.4.4")  # docker's, when the host has only loopback resolvers


def record_addresses(rec: dict) -> list[str]:
    result = rec.get("result") or {}
    return [ip["address"].split("/")[0] for ip in result.get("ips") or []]


def hosts_text(me: dict, records: list[dict], peers: dict[str, list[dict]]) -> str:
    """me: the container's `teu` extra (name, hostname, extraHosts...); records: its own
    attachments; peers: network name -> the other containers' records on it."""
    lines = [BASE]
    own = [a for rec in records for a in record_addresses(rec)]
    hostname = me.get("hostname") or ""
    names = [hostname] + ([me["name"]] if me.get("name") and me["name"] != hostname and
                          any(_resolves(r) for r in records) else [])
    if own:
        lines.append(f"{own[0]}\t{' '.join(n for n in names if n)}\n")
    else:
        lines.append(f"127.0.0.1\t{hostname}\n")
    seen = set()
    for rec in records:
        if not _resolves(rec):
            continue
        for peer in peers.get(rec["networkName"], []):
            extra = peer.get("teu") or {}
            if peer.get("containerId") == rec.get("containerId"):
                continue
            for addr in record_addresses(peer)[:1]:
                entry = [extra.get("name") or "", (peer.get("containerId") or "")[:12],
                         *(extra.get("aliases") or [])]
                if extra.get("hostname") and extra["hostname"] not in entry:
                    entry.append(extra["hostname"])
                line = f"{addr}\t{' '.join(e for e in entry if e)}\n"
                if line not in seen:
                    seen.add(line)
                    lines.append(line)
    gateway = next((ip.get("gateway") for rec in records
                    for ip in (rec.get("result") or {}).get("ips") or [] if ip.get("gateway")),
                   "")
    for item in me.get("extraHosts") or []:
        host, _, addr = item.partition(":")
        if addr == "host-gateway":
            addr = gateway  # the host, as the container's first network reaches it
        if addr:
            lines.append(f"{addr}\t{host}\n")
    return "".join(lines)


def _resolves(rec: dict) -> bool:
    return bool((rec.get("teu") or {}).get("resolves"))


def resolv_text(dns: list[str], search: list[str], options: list[str],
                host_file: str = "/etc/resolv.conf") -> str:
    host_ns, host_search, host_opts = [], [], []
    try:
        with open(host_file) as f:
            for line in f:
                parts = line.split()
                if not parts or parts[0].startswith(("#", ";")):
                    continue
                if parts[0] == "nameserver" and len(parts) > 1:
                    host_ns.append(parts[1])
                elif parts[0] in ("search", "domain"):
                    host_search = parts[1:]
                elif parts[0] == "options":
                    host_opts += parts[1:]
    except OSError:
        pass
    servers = list(dns) or [s for s in host_ns if not _loopback(s)] or list(FALLBACK_DNS)
    out = [f"nameserver {s}\n" for s in servers]
    search = list(search) or host_search
    if search and search != ["."]:
        out.append(f"search {' '.join(search)}\n")
    opts = list(options) or host_opts
    if opts:
        out.append(f"options {' '.join(opts)}\n")
    return "".join(out)


def _loopback(addr: str) -> bool:
    return addr.startswith("127.") or addr == "::1"


def write_in_place(path: str, text: str) -> None:
    """Truncate and write: the container bind-mounted this inode, a rename would hide it."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
    except FileNotFoundError:
        return  # the container's files are gone already
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)
