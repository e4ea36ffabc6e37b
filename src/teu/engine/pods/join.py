"""What the container verbs below the pod verbs need of pods (create, launch, remove
import this, never teu.engine.pods.lifecycle, which imports them): the options a member
takes from its pod, its infra to start, the infra's files, the infra's guard."""

from __future__ import annotations

import shutil

from teu.engine import state as S
from teu.engine.context import Engine
from teu.engine.db import Row
from teu.engine.errors import Conflict, InvalidArgument
from teu.engine.pods import store

SHARE = ("ipc", "net", "uts")
# The infra container's network options: a pod's members cannot set their own.
NETWORK_OPTIONS = ("network", "publish", "publish_all", "expose", "ip", "ip6", "mac_address",
                   "network_alias", "add_host", "dns", "dns_search", "dns_option")


def member_options(engine: Engine, opts: dict) -> dict:
    """`run --pod POD`: the container joins the pod's shared namespaces; returns what goes
    into the container's settings["Teu"]. `opts` loses its pod keys."""
    infra_of = opts.pop("pod_infra", None)
    if infra_of:
        pod = store.get(engine.db, infra_of)
        parent = (pod.settings.get("CgroupParent") if pod else "") or ""
        return {"PodInfra": infra_of, **({"CgroupParent": parent} if parent else {})}
    pod = store.find(engine.db, opts.pop("pod"))
    share = pod.settings.get("Share") or list(SHARE)
    if "net" in share:
        given = [k for k in NETWORK_OPTIONS if opts.get(k) and k != "network"]
        nets = [n for n in opts.get("network") or [] if n not in ("", "default")]
        if given or nets:
            flag = "--" + (given[0] if given else "network").replace("_", "-")
            raise InvalidArgument(f"invalid config provided: {flag} cannot be set for a "
                                  "container in a pod: the network is the pod's (set it on "
                                  "`teu pod create`)")
        opts["network"] = [f"container:{pod.infra_id}"]
    if "ipc" in share:
        if opts.get("ipc"):
            raise InvalidArgument("invalid config provided: --ipc cannot be set for a "
                                  "container in a pod that shares its IPC namespace")
        opts["ipc"] = f"container:{pod.infra_id}"
    if "uts" in share:
        if opts.get("hostname") or opts.get("uts"):
            raise InvalidArgument("invalid config provided: cannot set a hostname or --uts "
                                  "for a container in a pod that shares its UTS namespace")
        opts["uts"] = f"container:{pod.infra_id}"
        opts["hostname"] = pod.settings.get("Hostname") or pod.name
    parent = pod.settings.get("CgroupParent") or ""
    return {"Pod": pod.id, **({"CgroupParent": parent} if parent else {})}


def stopped_infra(engine: Engine, row: Row) -> Row | None:
    """Before member `row` starts: its pod's infra, if that is not running (the caller
    starts it, then calls infra_started)."""
    pod = store.get(engine.db, row.settings["Teu"]["Pod"])
    if pod is None:
        raise Conflict(f"container {row['name']}: its pod {row.settings['Teu']['Pod'][:12]} "
                       "is gone")
    infra = S.refresh(engine, engine.find(pod.infra_id))
    return infra if infra is not None and infra["status"] not in S.RUNNING else None


def share_files(engine: Engine, row: Row) -> None:
    """The member's /etc/hosts is its infra's (a symlink the bind mount resolves: teu's
    networking rewrites that file in place as pods come and go, so every member sees
    the names current); resolv.conf a copy."""
    import os

    pod = store.get(engine.db, row.settings["Teu"]["Pod"])
    if pod is None or "net" not in (pod.settings.get("Share") or SHARE):
        return
    hosts = engine.paths.container(pod.infra_id, "hosts")
    mine = engine.paths.container(row["id"], "hosts")
    if os.path.exists(hosts):
        tmp = mine + ".pod"
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        os.symlink(hosts, tmp)
        os.replace(tmp, mine)
    src = engine.paths.container(pod.infra_id, "resolv.conf")
    if os.path.exists(src):
        shutil.copyfile(src, engine.paths.container(row["id"], "resolv.conf"))


def infra_started(engine: Engine, row: Row) -> None:
    """On --network none the infra's loopback comes up (the runtime leaves a fresh
    namespace's lo down, and a pod's containers talk to each other over it); a kube
    Service's port != targetPort gets its redirect in the pod's namespace."""
    import os

    fresh = engine.reload(row)
    if fresh is None or not fresh["pid"]:
        return
    if (row.settings["HostConfig"].get("NetworkMode") or "none") == "none":
        from teu.network.netns import NetNS

        ns = NetNS(os.open(f"/proc/{fresh['pid']}/ns/net", os.O_RDONLY | os.O_CLOEXEC))
        try:
            ns.loopback_up()
        finally:
            ns.close()
    pod = store.get(engine.db, (row.settings.get("Teu") or {}).get("PodInfra") or "")
    if pod is not None and pod.settings.get("CgroupParent"):
        from teu.engine.pods import cgroup

        cgroup.ensure(pod)  # its limits again, should the directories be new
    if pod is None or not pod.labels.get("io.teu.kube.play"):
        return
    from teu.engine.network import network_settings
    from teu.network import service_nat

    nets = (network_settings(engine, fresh).get("Networks") or {}).values()
    addresses = [n["IPAddress"] for n in nets if n.get("IPAddress")]
    redirects = [tuple(r) for r in (pod.settings.get("ServicePorts") or [])]
    if redirects:
        service_nat.apply_in_pod(fresh["pid"], addresses, redirects)  # type: ignore[arg-type]
    if addresses:  # behind a spread host port: its (new) address
        service_nat.refresh(engine.paths.root, pod.name, ip=addresses[0])


def infra_guard(engine: Engine, row: Row) -> None:
    """`rm` of an infra container whose pod still exists is refused (podman's rule)."""
    pod_id = (row.settings.get("Teu") or {}).get("PodInfra")
    if pod_id and store.get(engine.db, pod_id) is not None:
        raise Conflict(f"container {row['id']} is the infra container of pod {pod_id} and "
                       "cannot be removed without removing the pod")
