"""`ps --filter` with docker's semantics (daemon/list.go, Engine API 1.41).

Keys: id, name (regular expressions, unanchored, as docker's filters.Match; the
name also matches with docker's leading "/"), label (key or key=value; every
label filter must hold), exited (exit codes of containers that ran and stopped),
status, ancestor, before, since, volume (name, source or destination), network
(name or ID), publish and expose (port, port/proto, or a range start-end/proto;
tcp by default), health (starting, healthy, unhealthy, none), isolation (Linux
has only "default"), is-task (true/false; teu has no swarm tasks).

Repeats of one key are OR'ed (but label's, which docker AND's, and before/since,
where the last one counts); different keys are AND'ed. `status`, `before` and
`since` also list stopped containers without -a, as docker does.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from teu.engine.errors import InvalidArgument

KEYS = ("ancestor", "before", "expose", "exited", "health", "id", "isolation", "is-task",
        "label", "name", "network", "publish", "since", "status", "volume",
        "pod")  # podman's: the pod's containers (its infra included), by pod name or ID
STATES = ("created", "restarting", "running", "removing", "paused", "exited", "dead")
HEALTH = ("starting", "healthy", "unhealthy", "none")


def _invalid(key: str, value: str | None = None) -> InvalidArgument:
    return InvalidArgument(f"invalid filter '{key}'" if value is None else
                           f"invalid filter '{key}={value}'")


def ports(value: str) -> set[str]:
    """`80`, `80/udp`, `8000-8002/tcp` -> {"80/tcp"}, ... (nat.ParsePortRange)."""
    spec, _, proto = value.partition("/")
    proto = proto or "tcp"
    lo, dash, hi = spec.partition("-")
    try:
        start = int(lo)
        end = int(hi) if dash else start
    except ValueError:
        raise InvalidArgument(f"invalid filter: invalid port range '{value}'") from None
    if not (0 < start <= end <= 65535) or proto not in ("tcp", "udp", "sctp"):
        raise InvalidArgument(f"invalid filter: invalid port range '{value}'")
    return {f"{p}/{proto}" for p in range(start, end + 1)}


def _regex_match(patterns: list[str], source: str) -> bool:
    """filters.Args.Match: an exact value, or any value as an unanchored regexp (a
    pattern that does not compile matches nothing)."""
    for p in patterns:
        if p == source:
            return True
        try:
            if re.search(p, source):
                return True
        except re.error:
            continue
    return False


class PsFilter:
    """Parsed `--filter KEY=VALUE`s, checked as the daemon checks them."""

    def __init__(self, filters: list[str]) -> None:
        self.by_key: dict[str, list[str]] = {}
        for f in filters:
            key, eq, value = f.partition("=")
            if not eq:
                raise InvalidArgument(f"bad format of filter (expected name=value): {f}")
            if key not in KEYS:
                raise _invalid(key)
            self.by_key.setdefault(key, []).append(value)
        get = self.by_key.get
        for v in get("status", []):
            if v not in STATES:
                raise _invalid("status", v)
        for v in get("health", []):
            if v not in HEALTH:
                raise InvalidArgument(f"Unrecognised filter value for health: {v}")
        for v in get("isolation", []):
            if v not in ("", "default"):
                raise _invalid("isolation", v)
        self.exited: list[int] = []
        for v in get("exited", []):
            try:
                self.exited.append(int(v))
            except ValueError:
                raise InvalidArgument(f'strconv.Atoi: parsing "{v}": invalid syntax') from None
        task = get("is-task")
        self.is_task: bool | None = None
        if task is not None:
            if "true" in task:
                self.is_task = True
            elif "false" in task:
                self.is_task = False
            else:
                raise _invalid("is-task", task[0])
        self.pods: set[str] = set()  # pod IDs, filled by the lister (it has the engine)
        self.publish = set().union(*(ports(v) for v in get("publish", [])))
        self.expose = set().union(*(ports(v) for v in get("expose", [])))

    @property
    def lists_stopped(self) -> bool:
        """Whether stopped containers are listed even without -a (docker: status sets
        All; before/since include stopped containers)."""
        return any(k in self.by_key for k in ("status", "before", "since"))

    def reference(self, key: str) -> str | None:
        """The container before/since refer to (docker keeps the last one given)."""
        values = self.by_key.get(key)
        return values[-1] if values else None

    def matches(self, row: Any, created_bounds: dict[str, float],
                ancestor: Callable[[Any, str], bool], state: str) -> bool:
        """Whether `row` passes every filter (`state`: docker's State string;
        `ancestor(row, ref)`: whether the row's image is ref or made from it)."""
        f = self.by_key
        s = row.settings
        config = s.get("Config") or {}
        host = s.get("HostConfig") or {}
        if "id" in f and not _regex_match(f["id"], row["id"]):
            return False
        if "name" in f and not (_regex_match(f["name"], "/" + row["name"]) or
                                _regex_match(f["name"], row["name"])):
            return False
        if "label" in f:
            labels = config.get("Labels") or {}
            for v in f["label"]:
                k, eq, want = v.partition("=")
                if k not in labels or (eq and labels[k] != want):
                    return False
        if "status" in f and state not in f["status"]:
            return False
        if self.exited and not (state == "exited" and row["started_at"] and
                                (row["exit_code"] or 0) in self.exited):
            return False
        if "ancestor" in f and not any(ancestor(row, v) for v in f["ancestor"]):
            return False
        if "before" in created_bounds and not row["created"] < created_bounds["before"]:
            return False
        if "since" in created_bounds and not row["created"] > created_bounds["since"]:
            return False
        if "volume" in f:
            mounts = s.get("Mounts") or []
            known = {m.get("Name") or m.get("Source") for m in mounts} | \
                {m.get("Destination") for m in mounts}
            if not known & set(f["volume"]):
                return False
        if "network" in f and not self._network(s, host, f["network"]):
            return False
        if self.publish and not self.publish & set(host.get("PortBindings") or {}):
            return False
        if self.expose and not self.expose & set(config.get("ExposedPorts") or {}):
            return False
        if "health" in f:
            from teu import fastjson

            health = (fastjson.loads(row["health"]).get("Status") if row["health"]
                      else None) or "none"
            if health not in f["health"]:
                return False
        if "isolation" in f and not _regex_match(f["isolation"], host.get("Isolation") or ""):
            return False
        if "pod" in f:
            teu = s.get("Teu") or {}
            if (teu.get("Pod") or teu.get("PodInfra")) not in self.pods:
                return False
        if self.is_task:  # no container of teu's is a swarm task
            return False
        return True

    @staticmethod
    def _network(settings: dict, host: dict, wanted: list[str]) -> bool:
        networks = (settings.get("NetworkSettings") or {}).get("Networks") or {}
        names = set(networks) or {host.get("NetworkMode") or "none"}
        ids = {n.get("NetworkID") for n in networks.values() if isinstance(n, dict)}
        return any(w in names or w in ids for w in wanted)
