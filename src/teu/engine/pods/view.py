"""What podman shows of a pod: its status (from its containers), `pod inspect`'s JSON
and `pod ls`'s rows."""

from __future__ import annotations

import time

from teu.engine.context import Engine
from teu.engine.db import Row
from teu.engine.pods import join, lifecycle, store
from teu.engine.pods.store import Pod


def status(rows: list[Row]) -> str:
    """podman's pod status: Running, Degraded, Paused, Exited or Created."""
    if not rows:
        return "Created"
    states = [r["status"] for r in rows]
    running = sum(s == "running" for s in states)
    if running == len(states):
        return "Running"
    if running:
        return "Degraded"
    if all(s == "paused" for s in states):
        return "Paused"
    if all(s == "created" for s in states):
        return "Created"
    return "Exited"


def _everything(engine: Engine, pod: Pod) -> list[Row]:
    inf = lifecycle.infra(engine, pod)
    return ([inf] if inf is not None else []) + lifecycle.members(engine, pod)


def inspect(engine: Engine, pod: Pod) -> dict:
    """podman pod inspect's keys (4.3)."""
    from teu.engine.timefmt import rfc3339

    rows = _everything(engine, pod)
    inf = rows[0] if rows and rows[0]["id"] == pod.infra_id else None
    host = inf.settings["HostConfig"] if inf is not None else {}
    opts = pod.settings.get("Infra") or {}
    nets = [n for n in opts.get("network") or [] if n not in ("", "default", "none", "host")
            and not n.startswith("container:")]
    mode = host.get("NetworkMode") or ""
    def listed(key: str) -> list | None:  # podman writes null for an empty list
        return list(opts.get(key) or []) or None

    out = {
        "Id": pod.id, "Name": pod.name, "Created": rfc3339(pod.created),
        "CreateCommand": pod.settings.get("CreateCommand") or [],
        "ExitPolicy": "continue", "State": status(rows),
        "Hostname": pod.settings.get("Hostname") or "" if pod.settings.get("HostnameGiven")
        else "",
        "Labels": pod.labels,
        "CreateCgroup": bool(pod.settings.get("CgroupParent")),
        "CgroupParent": "/teu" if pod.settings.get("CgroupParent") else "",
        **({"CgroupPath": pod.settings["CgroupParent"]} if pod.settings.get("CgroupParent")
           else {}),
        "CreateInfra": True,
        "InfraContainerID": pod.infra_id,
        "InfraConfig": {
            "PortBindings": host.get("PortBindings") or {},
            "HostNetwork": mode == "host",
            "StaticIP": opts.get("ip") or "", "StaticMAC": opts.get("mac_address") or "",
            "NoManageResolvConf": False,
            "DNSServer": listed("dns"), "DNSSearch": listed("dns_search"),
            "DNSOption": listed("dns_option"),
            "NoManageHosts": False, "HostAdd": listed("add_host"),
            "Networks": nets or ([mode] if mode and mode not in ("host", "none") else None),
            "NetworkOptions": None, **_cpu(pod), "pid_ns": "private", "userns": "host",
            "uts_ns": "private",
        },
        "SharedNamespaces": list(pod.settings.get("Share") or join.SHARE),
        "NumContainers": len(rows),
        "Containers": [{"Id": r["id"], "Name": r["name"], "State": r["status"]}
                       for r in rows],
    }
    if (pod.settings.get("Resources") or {}).get("Memory"):  # podman 5's key
        out["MemoryLimit"] = pod.settings["Resources"]["Memory"]
    if pod.settings.get("Probes"):  # kube play's probes: the kubelet's readiness
        for entry, r in zip(out["Containers"], rows, strict=True):
            entry["Ready"], entry["Health"] = readiness(r)
    if not out["Labels"]:
        del out["Labels"]  # omitempty, as podman's
    return out


def _cpu(pod: Pod) -> dict:
    """podman 4.3's InfraConfig keys for `pod create --cpus`."""
    from teu.engine.pods.cgroup import resources

    cpu = resources(pod.settings).get("cpu")
    return {"cpu_period": cpu["period"], "cpu_quota": cpu["quota"]} if cpu else {}


def readiness(row: Row) -> tuple[bool, str]:
    """(Ready, health status) of a member of a probed pod: what its prober recorded, or,
    for a container without probes, whether it runs."""
    from teu import fastjson

    health = fastjson.loads(row["health"]) if row["health"] else {}
    if row["status"] != "running":
        return False, health.get("Status") or ""
    if "Ready" in health:
        return bool(health["Ready"]), health.get("Status") or ""
    return True, ""


def ls_json(engine: Engine, pod: Pod) -> dict:
    """One pod as `podman pod ps --format json` shows it."""
    from teu.engine.timefmt import rfc3339

    rows = _everything(engine, pod)
    opts = pod.settings.get("Infra") or {}
    out = {"Cgroup": "", "Containers": [{"Id": r["id"], "Names": r["name"],
                                         "Status": r["status"]} for r in rows],
           "Created": rfc3339(pod.created), "Id": pod.id, "InfraId": pod.infra_id,
           "Name": pod.name, "Namespace": "",
           "Networks": [n for n in opts.get("network") or [] if n not in ("", "default",
                                                                             "none", "host")],
           "Status": status(rows)}
    if pod.labels:
        out["Labels"] = pod.labels
    return out


def listing(engine: Engine, filters: list[str] | None = None,
            no_trunc: bool = False) -> list[dict]:
    """`pod ls` rows (podman's fields), newest first; filters name=, id=, label=,
    status= (podman's lower-case statuses)."""
    from teu.engine.errors import InvalidArgument
    from teu.engine.timefmt import human_duration

    now = time.time()
    out = []
    for pod in store.all_pods(engine.db):
        rows = _everything(engine, pod)
        st = status(rows)
        ok = True
        for f in filters or []:
            key, _, value = f.partition("=")
            if key == "name":
                ok = ok and value in pod.name
            elif key == "id":
                ok = ok and pod.id.startswith(value)
            elif key == "label":
                k, eq, v = value.partition("=")
                ok = ok and k in pod.labels and (not eq or pod.labels[k] == v)
            elif key == "status":
                ok = ok and st.lower() == value.lower()
            else:
                raise InvalidArgument(f"invalid filter {key!r} (name, id, label, status)")
        if not ok:
            continue
        cut = (lambda s: s) if no_trunc else (lambda s: s[:12])
        out.append({"ID": cut(pod.id), "Name": pod.name, "Status": st,
                    "Created": human_duration(now - pod.created) + " ago",
                    "InfraID": cut(pod.infra_id), "NumberOfContainers": str(len(rows)),
                    "ContainerNames": ",".join(r["name"] for r in rows),
                    "ContainerIDs": ",".join(cut(r["id"]) for r in rows),
                    "Labels": ",".join(f"{k}={v}" for k, v in pod.labels.items()),
                    "LabelMap": pod.labels, "Pod": pod})
    return out
