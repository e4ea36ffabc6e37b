"""A pod's own cgroup, as podman's (`pod create --cpus/--memory`; kube play gives a pod
the sum of its containers' limits, as the kubelet's pod cgroup): <teu>/pod-<id> in every
hierarchy holds the pod's limits, and the infra and the members are made below it
(their cgroupsPath is /teu/pod-<id>/<container id>), so together they cannot use more
than the pod has. Made by teu-runtime's own cgroup code (teu.runtime.cgroups), removed
with the pod. A pod without limits has none: its containers stay under /teu as before.
"""

from __future__ import annotations

from teu.engine.pods.store import Pod

PERIOD = 100_000  # cpu.cfs_period_us, as docker and podman use for --cpus


def path_of(pod_id: str) -> str:
    return f"/teu/pod-{pod_id}"


def resources(settings: dict) -> dict:
    """The pod's limits as an OCI linux.resources object."""
    res = settings.get("Resources") or {}
    out: dict = {}
    if res.get("Memory"):
        out["memory"] = {"limit": int(res["Memory"])}
        if res.get("MemorySwap"):
            out["memory"]["swap"] = int(res["MemorySwap"])
    if res.get("NanoCpus"):
        out["cpu"] = {"quota": int(res["NanoCpus"]) * PERIOD // 1_000_000_000,
                      "period": PERIOD}
    return out


def _manager(pod: Pod):  # noqa: ANN202
    from teu.runtime.cgroups import manager_for

    return manager_for(pod.settings["CgroupParent"], f"pod-{pod.id}")


def ensure(pod: Pod) -> None:
    """Make the pod's cgroup (again) and write its limits."""
    if not pod.settings.get("CgroupParent"):
        return
    m = _manager(pod)
    m.create()
    m.set(resources(pod.settings))


def remove(pod: Pod) -> None:
    """After its containers are gone: the pod's cgroup in every hierarchy."""
    if not pod.settings.get("CgroupParent"):
        return
    from teu.runtime.cgroups import CgroupError

    try:
        _manager(pod).destroy()
    except CgroupError as e:
        from teu.runtime import log

        log.warning(f"pod {pod.id[:12]}: {e}")
