"""A container's attachments to networks: made at start, gone when it stops.

The engine calls three things:

    session = begin(root, cid, name, settings, bundle)   before the runtime's create
    session.finish()                                      after it, before the start
    detach(root, cid)                                     once the container stopped

`begin` makes the network namespace (teu.network.netns), allocates host ports,
writes each attachment's record to the CNI cache *before* running anything
(so a teu killed at any point leaves a record that the next `detach` undoes)
and starts the first network's ADD: the bridge plugin configures the veth
while the runtime builds the container, and `finish` only collects it. Then
the other networks (a second --network, in order), published ports (one
nftables element each, teu.network.nft), icc=false (bridge port isolation),
and the names (teu.network.hosts). `detach` runs DEL for every record,
newest first, and removes the port elements; it is idempotent and works from
the records alone, so `rm -f`, `network prune` or a crash recovery can run
it in any later teu.

Settings are docker's: HostConfig.NetworkMode (bridge, a network name or ID),
NetworkingConfig.EndpointsConfig (more networks, IPAMConfig.IPv4Address,
Aliases, MacAddress), HostConfig.PortBindings / PublishAllPorts, Dns*,
ExtraHosts.
"""

from __future__ import annotations

import os

from teu.network import cni
from teu.network.config import Network
from teu.network.errors import NetworkError
from teu.network.store import Store

NO_NETWORK = ("none", "host", "")


def attached_networks(settings: dict) -> list[tuple[str, dict]]:
    """[(network name or ID, endpoint config)] in attach order; [] for none/host/container:."""
    host = settings["HostConfig"]
    mode = host.get("NetworkMode") or "none"
    if mode in NO_NETWORK or mode.startswith("container:"):
        return []
    endpoints = (settings.get("NetworkingConfig") or {}).get("EndpointsConfig") or {}
    out = [(mode, endpoints.get(mode) or {})]
    out += [(n, e or {}) for n, e in endpoints.items() if n != mode]
    return out


def validate(root: str, settings: dict) -> None:
    """At create: every network exists, --ip fits its subnet, user IPs only on user networks.
    Network names are replaced by their canonical names (an ID prefix becomes the name)."""
    nets = attached_networks(settings)
    if not nets:
        return
    from teu.network import subnets

    store = Store(root)
    canonical: dict = {}
    for ref, ep in nets:
        net = store.get(ref)
        ipam = ep.get("IPAMConfig") or {}
        for key, subnet in (("IPv4Address", net.subnet), ("IPv6Address", net.subnet6)):
            if ipam.get(key):
                if net.is_default:
                    raise NetworkError("user specified IP address is supported on user "
                                       "defined networks only")
                subnets.check_address(ipam[key], subnet, "--ip" if key == "IPv4Address"
                                      else "--ip6")
        if ep.get("Aliases") and net.is_default:
            raise NetworkError("network-scoped aliases are supported only for containers in "
                               "user defined networks")
        canonical[net.name] = ep
    first_net = store.get(nets[0][0])
    if (settings.get("Teu") or {}).get("Bandwidth"):
        _check_bandwidth(first_net)
    host = settings["HostConfig"]
    if not first_net.subnet6 and first_net.external is None:
        for key, binds in (host.get("PortBindings") or {}).items():
            for b in binds or []:
                if ":" in (b.get("HostIp") or ""):
                    raise NetworkError(
                        f"-p [{b['HostIp']}]:{b.get('HostPort') or ''}:{key.split('/')[0]}: "
                        f"network {first_net.name} has no IPv6 (teu network create --ipv6)")
    host["NetworkMode"] = first_net.name
    settings["NetworkingConfig"] = {"EndpointsConfig": canonical}


def _check_bandwidth(net: Network) -> None:
    """--ingress/--egress-bandwidth shape the host end of the container's veth (the CNI
    bandwidth plugin), on its first network."""
    if net.external is not None:
        if "bandwidth" not in _capabilities(net):
            raise NetworkError(f"network {net.name} has no bandwidth limits: its conflist "
                               f"({net.source}) needs a plugin with capabilities "
                               '{"bandwidth": true}')
    elif net.driver not in ("bridge", "overlay"):
        raise NetworkError(f"bandwidth limits need a bridge network ({net.name} is "
                           f"{net.driver}: no host end of a veth to shape)")


def _ifname(i: int) -> str:
    return f"eth{i}"


class Session:
    def __init__(self, store: Store, cid: str, name: str, settings: dict, bundle: str) -> None:
        self.store = store
        self.cid = cid
        self.name = name
        self.settings = settings
        self.bundle = bundle
        self.cache = cni.Cache(store.results_dir)
        self.netns = None
        self.pending: cni.Pending | None = None
        self.plan: list[tuple[Network, cni.RuntimeConf, dict]] = []

    @property
    def path(self) -> str:
        return self.netns.path if self.netns is not None else ""

    def begin(self) -> None:
        from teu.network import netns

        nets = attached_networks(self.settings)
        host = self.settings["HostConfig"]
        config = self.settings["Config"]
        self.netns = netns.new(loopback=False)
        mappings: list[dict] = []
        if host.get("PortBindings") or (host.get("PublishAllPorts") and
                                        config.get("ExposedPorts")):
            from teu.network import ports

            with self.store.lock():
                mappings = ports.allocate(host.get("PortBindings") or {},
                                          config.get("ExposedPorts") or {},
                                          bool(host.get("PublishAllPorts")),
                                          self._ports_in_use())
                self._make_plan(nets, mappings)
                self._save_intents()
        else:
            self._make_plan(nets, mappings)
            self._save_intents()
        for net, _rt, _ in self.plan:
            ensure_host_side(net, self.store)
        net, rt, _ = self.plan[0]
        self.pending = cni.begin_add(net.conflist(self.store.ipam_dir), rt)

    def _make_plan(self, nets: list[tuple[str, dict]], mappings: list[dict]) -> None:
        config = self.settings["Config"]
        host = self.settings["HostConfig"]
        me = {"name": self.name, "hostname": config.get("Hostname") or self.cid[:12],
              "extraHosts": list(host.get("ExtraHosts") or []),
              "hostsFile": os.path.join(self.bundle, "hosts"),
              "exposed": config.get("ExposedPorts") or {}}
        bandwidth = (self.settings.get("Teu") or {}).get("Bandwidth")
        for i, (ref, ep) in enumerate(nets):
            net = self.store.get(ref)
            if bandwidth and i == 0 and net.external is None:
                net = net.with_bandwidth()
            ipam = ep.get("IPAMConfig") or {}
            caps_declared = _capabilities(net)
            caps: dict = {}
            args: list[tuple[str, str]] = []
            ips = [a for a in (ipam.get("IPv4Address"), ipam.get("IPv6Address")) if a]
            if ips:
                if "ips" in caps_declared:
                    caps["ips"] = [_with_prefix(a, net) for a in ips]
                else:
                    args.append(("IP", ips[0]))
            mac = ep.get("MacAddress") or (config.get("MacAddress") if i == 0 else "")
            if mac:
                if "mac" in caps_declared:
                    caps["mac"] = mac
                else:
                    args.append(("MAC", mac))
            net_ports = mappings if i == 0 else []
            if net_ports and "portMappings" in caps_declared:
                caps["portMappings"] = [dict(m, containerIP="") for m in net_ports]
            if bandwidth and i == 0 and "bandwidth" in caps_declared:
                caps["bandwidth"] = bandwidth
            rt = cni.RuntimeConf(self.cid, self.path, _ifname(i), args, caps)
            extra = dict(me, network=net.name, networkId=net.id, aliases=list(
                ep.get("Aliases") or []), resolves=net.resolves_names, ports=net_ports,
                portsByPlugin=net.ports_by_plugin(), bridge=net.bridge, icc=net.icc,
                ipam=ipam, driver=net.driver)
            self.plan.append((net, rt, extra))

    def _save_intents(self) -> None:
        for net, _, _ in self.plan:
            cni.check_plugins(net.conflist())
        for net, rt, extra in self.plan:
            self.cache.save(net.conflist(self.store.ipam_dir), rt, None, extra)

    def _ports_in_use(self):  # noqa: ANN202 - a ports.InUse
        from teu.network.ports import InUse

        used = InUse()
        for cid in self.cache.containers():
            if cid == self.cid:
                continue
            for rec in self.cache.records(cid):
                extra = rec.get("teu") or {}
                for m in extra.get("ports") or []:
                    used.add(m["protocol"], m["hostPort"], m.get("hostIP") or "",
                             f"container {extra.get('name') or cid[:12]}")
        from teu.network import service_nat

        for _, rec in service_nat.records(self.store.root):  # kube play's spread ports:
            try:  # a later -p is refused; a record without its fields holds nothing
                used.add(str(rec["proto"]).lower(), int(rec["port"]),
                         rec.get("host_ip") or "", f"kube play {rec.get('owner')}")
            except (KeyError, TypeError, ValueError):
                continue
        return used

    def finish(self, pid: int = 0) -> dict:
        """Collect the ADDs, publish ports, write the names; NetworkError undoes all.
        `pid`: the container's init, whose /proc/<pid>/ns/net names the namespace from now
        on (the cached result says so, for CHECK and DEL)."""
        try:
            results = []
            if self.netns is not None:
                self.netns.loopback_up()  # while the first plugin still runs
            for i, (net, rt, extra) in enumerate(self.plan):
                conflist = net.conflist(self.store.ipam_dir)
                if i == 0:
                    pending, self.pending = self.pending, None
                    result = pending.finish()  # type: ignore[union-attr]
                else:
                    result = cni.add(conflist, rt)
                self._complete(net, rt, extra, result)
                if pid:
                    rt.netns = f"/proc/{pid}/ns/net"
                    for iface in result.get("interfaces") or []:
                        if iface.get("sandbox"):
                            iface["sandbox"] = rt.netns
                self.cache.save(conflist, rt, result, extra)
                results.append(result)
            self.write_files()
            refresh_names(self.store, [n.name for n, _, _ in self.plan if n.resolves_names])
            return {"results": results}
        except BaseException:
            self.abort()
            raise
        finally:
            if self.netns is not None:
                self.netns.close()
                self.netns = None

    def _complete(self, net: Network, rt: cni.RuntimeConf, extra: dict, result: dict) -> None:
        addrs = [ip["address"].split("/")[0] for ip in result.get("ips") or []]
        ips = [a for a in addrs if ":" not in a]
        ips6 = [a for a in addrs if ":" in a]
        if extra["ports"]:
            for m in extra["ports"]:
                m["containerIP"] = ips[0] if ips else ""
                if ips6 and not extra["portsByPlugin"]:
                    m["containerIP6"] = ips6[0]  # NAT66: the ip6 table's maps
                elif ":" in (m.get("hostIP") or ""):
                    raise NetworkError(
                        f"-p [{m['hostIP']}]:{m['hostPort']}:{m['containerPort']}: network "
                        f"{net.name} has no IPv6 (teu network create --ipv6)")
            if not extra["portsByPlugin"]:
                from teu.network import nft

                _fast_path(extra["ports"], result, self._fast_path_misfit(net))
                nft.run(nft.ports_script(extra["ports"], add=True))
                if os.environ.get("TEU_SOCKET_LB_CGROUP"):
                    _redirect(extra["ports"])
        if not net.icc and net.bridge:
            veth = host_veth(result)
            if veth:
                _ip(["link", "set", "dev", veth, "type", "bridge_slave", "isolated", "on"])

    def _fast_path_misfit(self, net: Network) -> str:
        """Why the loopback fast path (teu.network.fastpath) cannot serve this network's
        ports ('' if it can): it needs a bridge of teu's own whose veth the container's
        replies leave by (its default route) and no shaping on that veth."""
        if net.external is not None or net.driver != "bridge":
            return f"a {'user conflist' if net.external is not None else net.driver} network"
        if net.internal:
            return "an --internal network"
        if (self.settings.get("Teu") or {}).get("Bandwidth"):
            return "a bandwidth limit on the veth"
        return ""

    def write_files(self) -> None:
        from teu.network import hosts

        host = self.settings["HostConfig"]
        hosts.write_in_place(os.path.join(self.bundle, "resolv.conf"), hosts.resolv_text(
            host.get("Dns") or [], host.get("DnsSearch") or [], host.get("DnsOptions") or []))
        write_hosts(self.store, self.cache, self.cid)

    def abort(self) -> None:
        if self.pending is not None:
            self.pending.cancel()
            self.pending = None
        if self.netns is not None:
            self.netns.close()
            self.netns = None
        for _, _, extra in self.plan:  # published before their records were saved
            mapped = [m for m in extra.get("ports") or [] if m.get("containerIP")]
            _unredirect(mapped, [])
            if mapped and not extra.get("portsByPlugin"):
                from teu.network import nft

                try:  # add-then-delete: elements never added are no error
                    nft.run(nft.ports_script(mapped, add=False))
                except NetworkError:
                    pass
            _unfast_path(mapped, [])
        try:
            detach(self.store.root, self.cid)
        except NetworkError:
            pass  # the first error is the one to report; the records stay for `rm`


def _redirect(mappings: list[dict]) -> None:
    """The socket-level redirect beside the DNAT (teu.network.socklb): opt-in; when it
    cannot be used the mappings say why and the DNAT serves every client."""
    from teu.network import socklb

    why = socklb.publish(mappings)
    if why:
        for m in mappings:
            m["socketLBUnused"] = why


def _unredirect(mappings: list[dict], errors: list[str] | None = None) -> None:
    if any(m.get("socketLB") for m in mappings):
        from teu.network import socklb

        _undo(socklb.unpublish, mappings, "socket redirect", errors)


def _undo(unpublish, mappings: list[dict], what: str,  # noqa: ANN001 - a function
          errors: list[str] | None) -> None:
    """A BPF side's unpublish: its error raised, or added to `errors` if given."""
    try:
        unpublish(mappings)
    except OSError as e:
        if errors is None:
            raise NetworkError(f"{what}: {e.strerror or e}") from None
        errors.append(f"{what}: {e.strerror or e}")


def _fast_path(mappings: list[dict], result: dict, misfit: str) -> None:
    """The loopback fast path beside the DNAT: when it cannot be used the mappings say
    why and the DNAT serves every client."""
    from teu.network import fastpath

    why = misfit or fastpath.publish(mappings, result, host_veth(result))
    if why:
        for m in mappings:
            if fastpath.eligible(m):
                m["fastPathUnused"] = why


def _unfast_path(mappings: list[dict], errors: list[str] | None = None) -> None:
    """After the nftables `fastpath` elements are gone."""
    if any(m.get("fastPath") for m in mappings):
        from teu.network import fastpath

        _undo(fastpath.unpublish, mappings, "loopback fast path", errors)


def tidy_fast_path(errors: list[str] | None) -> None:
    """The fast path's elements of veths that are gone (a setup killed before its record
    named them) go too, and its programs with the last; an error goes to `errors`
    (dropped if None)."""
    from teu.network import fastpath

    try:
        fastpath.tidy()
    except OSError as e:
        if errors is not None:
            errors.append(f"loopback fast path: {e.strerror or e}")


def _capabilities(net: Network) -> set[str]:
    out: set[str] = set()
    for p in net.conflist()["plugins"]:
        out.update(k for k, v in (p.get("capabilities") or {}).items() if v)
    return out


def _with_prefix(addr: str, net: Network) -> str:
    subnet = net.subnet6 if ":" in addr else net.subnet
    return f"{addr}/{subnet.partition('/')[2]}" if subnet else addr


def host_veth(result: dict) -> str:
    """The host end of the container's veth in a bridge plugin's result."""
    ifaces = result.get("interfaces") or []
    for i, iface in enumerate(ifaces):
        if not iface.get("sandbox") and i > 0:
            return iface.get("name") or ""
    return ""


def begin(root: str, cid: str, name: str, settings: dict, bundle: str) -> Session | None:
    """Start attaching the container (None if it has no network of its own to attach)."""
    if not attached_networks(settings):
        return None
    session = Session(Store(root), cid, name, settings, bundle)
    try:
        session.begin()
    except BaseException:
        session.abort()
        if session.netns is not None:
            session.netns.close()
        raise
    return session


def detach(root: str, cid: str, netns_path: str = "", force: bool = False) -> None:
    """DEL every attachment of the container, newest first; ports unpublished; records go.
    A record whose DEL fails stays for a later try, unless `force` (network prune of a
    container that is gone: the plugin's error is reported and the record dropped)."""
    pending = begin_detach(root, cid, netns_path, force)
    if pending is not None:
        pending.wait()


class Detaching:
    """A detach under way: ports are unpublished and the newest attachment's DEL runs
    while the caller removes other things; wait() finishes (and raises the first error)."""

    def __init__(self, store: Store, cid: str, records: list[dict], netns_path: str,
                 force: bool = False) -> None:
        self.force = force
        self.store = store
        self.cache = cni.Cache(store.results_dir)
        self.cid = cid
        self.errors: list[str] = []
        self.steps = []
        for rec in reversed(records):
            rt = cni.RuntimeConf.from_json(rec)
            rt.netns = netns_path if netns_path and os.path.exists(netns_path) else ""
            self._unpublish(rec)
            self.steps.append((rec, rt))
        self.first = cni.begin_delete(self.steps[0][0]["config"], self.steps[0][1],
                                      self.steps[0][0].get("result")) if self.steps else None

    def _unpublish(self, rec: dict) -> None:
        extra = rec.get("teu") or {}
        mapped = [m for m in extra.get("ports") or [] if m.get("containerIP")]
        if mapped and not extra.get("portsByPlugin"):
            from teu.network import nft

            _unredirect(mapped, self.errors)
            try:
                nft.run(nft.ports_script(mapped, add=False))
            except NetworkError as e:
                self.errors.append(str(e))
            _unfast_path(mapped, self.errors)

    def wait(self) -> None:
        names = set()
        for i, (rec, rt) in enumerate(self.steps):
            try:
                if i == 0:
                    self.first.finish()  # type: ignore[union-attr]
                else:
                    cni.delete(rec["config"], rt, rec.get("result"))
            except NetworkError as e:
                self.errors.append(str(e))
                if not (self.force or getattr(e, "missing", False)):
                    continue  # kept for the next try; a plugin that is gone can undo nothing
            self.cache.remove(self.cid, rt.ifname)
            if (rec.get("teu") or {}).get("resolves"):
                names.add(rec["networkName"])
        if names:
            refresh_names(self.store, sorted(names))
        if any((rec.get("teu") or {}).get("ports") for rec, _ in self.steps):
            tidy_fast_path(self.errors)
        if self.errors:
            raise NetworkError(f"container {self.cid[:12]}: network teardown: "
                               f"{self.errors[0]}")


def begin_detach(root: str, cid: str, netns_path: str = "",
                 force: bool = False) -> Detaching | None:
    store = Store(root)
    records = cni.Cache(store.results_dir).records(cid)
    return Detaching(store, cid, records, netns_path, force) if records else None


TMP_BRIDGE = "teutmp"


def ensure_host_side(net: Network, store: Store) -> None:
    """The bridge (made before the plugin, so route_localnet can be set on it), the
    overlay's tunnel, and the network's nftables chains: once per boot or test host,
    skipped when the bridge exists (one read of /proc/net/dev). The bridge is built under
    a temporary name and renamed last: a teu killed halfway leaves no bridge of the
    network's name (the next start builds all again; this root's next build or
    `network prune` removes the temporary one), never one with half its rules."""
    if net.external is not None or not net.bridge or net.driver not in ("bridge", "overlay"):
        return
    if net.bridge in interfaces():
        return
    with store.lock():
        present = interfaces()
        if net.bridge in present:
            return
        remove_stale_bridges(store, present)
        tmp = _building(store)
        args = ["link", "add", "name", tmp]
        if net.mtu:
            args += ["mtu", str(net.mtu)]
        try:
            _ip([*args, "type", "bridge"])
        except BaseException:
            _unlink(os.path.join(store.dir, "building", tmp))
            raise
        try:
            if net.driver == "overlay":
                from teu.network import overlay

                overlay.setup(net, tmp)
            _sysctl(f"net/ipv4/conf/{tmp}/route_localnet", "1")
            _sysctl("net/ipv4/ip_forward", "1")
            if net.subnet6:
                # as docker does for --ipv6 (its NAT66 out and ports from other hosts
                # are forwarded); a host taking router advertisements wants accept_ra=2
                _sysctl("net/ipv6/conf/all/forwarding", "1")
            from teu.network import nft

            nft.run(nft.network_script(net.bridge, net.subnet, net.internal, net.subnet6))
            _ip(["link", "set", "dev", tmp, "name", net.bridge])
        except BaseException:
            if tmp in interfaces():
                _ip(["link", "del", "dev", tmp])
            remove_host_side(net)  # all or nothing: the next start tries again from scratch
            raise
        finally:
            _unlink(os.path.join(store.dir, "building", tmp))


def _building(store: Store) -> str:
    """A temporary bridge name no other teu uses, noted in this root's store (who builds
    it, in which network namespace) before the bridge exists: only this root's sweep
    ever removes it, and only once its builder is dead."""
    from teu.runtime.state import process_start_time

    d = os.path.join(store.dir, "building")
    os.makedirs(d, mode=0o700, exist_ok=True)
    name = TMP_BRIDGE + os.urandom(5).hex()[:15 - len(TMP_BRIDGE)]  # IFNAMSIZ - 1
    me = os.getpid()
    with open(os.path.join(d, name), "w") as f:
        f.write(f"{me} {process_start_time(me)} {_netns()}")
    return name


def remove_stale_bridges(store: Store, present: set[str] | None = None) -> None:
    """Half-built bridges of this root's teus killed while making them (under the networks
    lock), in this network namespace; never one another root or anything else made."""
    from teu.runtime.state import process_start_time

    d = os.path.join(store.dir, "building")
    try:
        names = os.listdir(d)
    except FileNotFoundError:
        return
    here = _netns()
    for name in names:
        try:
            with open(os.path.join(d, name)) as f:
                pid, started, netns = f.read().split()
        except (OSError, ValueError):
            continue
        if netns != here or (pid.isdigit() and str(process_start_time(int(pid))) == started):
            continue  # another namespace's, or its builder is still at it
        if name in (present if present is not None else interfaces()):
            try:
                _ip(["link", "del", "dev", name])
            except NetworkError:
                continue
        _unlink(os.path.join(d, name))


def _netns() -> str:
    return str(os.stat("/proc/self/ns/net").st_ino)


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def remove_host_side(net: Network) -> None:
    """`network rm`: the bridge, the tunnel and the network's chains go."""
    if net.external is not None or not net.bridge:
        return
    if net.driver == "overlay":
        from teu.network import overlay

        overlay.teardown(net)
    if net.bridge in interfaces():
        _ip(["link", "del", "dev", net.bridge])
    from teu.network import nft

    if not nft.table_exists():
        return  # nothing of teu's here: do not make the table just to empty it
    try:
        nft.run(nft.remove_network_script(
            net.bridge, bool(net.subnet6) and nft.table_exists(nft.FAMILY6)))
    except NetworkError:
        pass


def interfaces() -> set[str]:
    """Interface names of this network namespace (/proc/net/dev follows the reader's)."""
    try:
        with open("/proc/net/dev") as f:
            lines = f.read().splitlines()[2:]
    except OSError:
        return set()
    return {line.split(":", 1)[0].strip() for line in lines}


def _sysctl(key: str, value: str) -> None:
    try:
        with open(f"/proc/sys/{key}", "w") as f:
            f.write(value)
    except OSError as e:
        raise NetworkError(f"sysctl {key.replace('/', '.')}={value}: {e.strerror}") from None


def _ip(args: list[str]) -> None:
    import subprocess

    p = subprocess.run(["ip", *args], capture_output=True)
    if p.returncode != 0:
        lines = p.stderr.decode(errors="replace").strip().splitlines()
        raise NetworkError(f"ip {' '.join(args)}: {lines[0] if lines else 'failed'}")


def write_hosts(store: Store, cache: cni.Cache, cid: str) -> None:
    from teu.network import hosts

    records = cache.records(cid)
    if not records:
        return
    me = records[0].get("teu") or {}
    peers: dict[str, list[dict]] = {}
    if any((r.get("teu") or {}).get("resolves") for r in records):
        peers = records_by_network(cache)
    if me.get("hostsFile"):
        hosts.write_in_place(me["hostsFile"], hosts.hosts_text(me, records, peers))


def records_by_network(cache: cni.Cache) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for cid in cache.containers():
        for rec in cache.records(cid):
            if rec.get("result") is not None:
                out.setdefault(rec["networkName"], []).append(rec)
    return out


def refresh_names(store: Store, networks: list[str]) -> None:
    """Rewrite the hosts file of every container attached to one of these networks."""
    if not networks:
        return
    cache = cni.Cache(store.results_dir)
    by_net = records_by_network(cache)
    wanted = set(networks)
    done = set()
    for name in wanted:
        for rec in by_net.get(name, []):
            cid = rec["containerId"]
            if cid not in done:
                done.add(cid)
                write_hosts(store, cache, cid)


def records(root: str, cid: str) -> list[dict]:
    return cni.Cache(Store(root).results_dir).records(cid)


def all_records(root: str) -> dict[str, list[dict]]:
    cache = cni.Cache(Store(root).results_dir)
    return {cid: cache.records(cid) for cid in cache.containers()}


def connect(root: str, cid: str, name: str, settings: dict, bundle: str, pid: int,
            network: str) -> None:
    """`network connect` of a running container: one more interface (eth<N>) in its
    namespace, /proc/<pid>/ns/net; its names and everyone's on that network updated."""
    store = Store(root)
    cache = cni.Cache(store.results_dir)
    taken = {r["ifName"] for r in cache.records(cid)}
    index = 0
    while _ifname(index) in taken:
        index += 1
    session = Session(store, cid, name, settings, bundle)
    ep = ((settings.get("NetworkingConfig") or {}).get("EndpointsConfig") or {}).get(network)
    session._make_plan([(network, ep or {})], [])
    net, rt, extra = session.plan[0]
    rt.ifname = _ifname(index)
    rt.netns = f"/proc/{pid}/ns/net"
    ensure_host_side(net, store)
    conflist = net.conflist(store.ipam_dir)
    cache.save(conflist, rt, None, extra)
    try:
        result = cni.add(conflist, rt)
    except BaseException:
        cache.remove(cid, rt.ifname)
        raise
    cache.save(conflist, rt, result, extra)
    write_hosts(store, cache, cid)
    refresh_names(store, [net.name] if net.resolves_names else [])


def disconnect(root: str, cid: str, network: str, pid: int = 0) -> bool:
    """DEL the container's attachment to one network; False if it had none."""
    store = Store(root)
    cache = cni.Cache(store.results_dir)
    for rec in cache.records(cid):
        if rec["networkName"] != network:
            continue
        rt = cni.RuntimeConf.from_json(rec)
        rt.netns = f"/proc/{pid}/ns/net" if pid else ""
        extra = rec.get("teu") or {}
        if extra.get("ports") and not extra.get("portsByPlugin"):
            from teu.network import nft

            mapped = [m for m in extra["ports"] if m.get("containerIP")]
            _unredirect(mapped)
            nft.run(nft.ports_script(mapped, add=False))
            _unfast_path(mapped)
        cni.delete(rec["config"], rt, rec.get("result"))
        cache.remove(cid, rt.ifname)
        write_hosts(store, cache, cid)
        if extra.get("resolves"):
            refresh_names(store, [network])
        return True
    return False
