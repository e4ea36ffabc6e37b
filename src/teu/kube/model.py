"""What `kube generate` knows of a workload, whatever it came from (containers, a pod,
a Compose service): the typed shape generate.py writes out."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Port:
    container_port: int
    host_port: int = 0
    protocol: str = "TCP"
    host_ip: str = ""


@dataclass
class Mount:
    """kind: pvc (a named volume), hostPath (a bind), emptyDir (anonymous volume),
    tmpfs (emptyDir in memory), configMap, secret. `source`: the claim, path or object."""

    kind: str
    source: str
    target: str
    read_only: bool = False
    sub_path: str = ""
    size: str = ""


@dataclass
class Probe:
    """A health check: the exec command and Go durations in seconds."""

    command: list[str]
    interval: int = 30
    timeout: int = 30
    retries: int = 3
    start_period: int = 0


@dataclass
class Container:
    name: str
    image: str
    command: list[str] | None = None  # Kubernetes' command: replaces ENTRYPOINT
    args: list[str] | None = None  # Kubernetes' args: replaces CMD
    env: dict[str, str] = field(default_factory=dict)
    env_from: list[str] = field(default_factory=list)  # ConfigMap names (env files)
    ports: list[Port] = field(default_factory=list)
    mounts: list[Mount] = field(default_factory=list)
    probe: Probe | None = None
    # kube play's probes as Kubernetes writes them (livenessProbe: {...}); before `probe`
    probes: dict[str, dict] = field(default_factory=dict)
    limits: dict[str, str] = field(default_factory=dict)
    requests: dict[str, str] = field(default_factory=dict)
    security: dict = field(default_factory=dict)  # a Kubernetes securityContext
    workdir: str = ""
    tty: bool = False
    stdin: bool = False


@dataclass
class Workload:
    """One Pod (or the template of a Deployment's replicas)."""

    name: str
    containers: list[Container]
    replicas: int = 1
    restart: str = ""  # Always, OnFailure, Never; "" unset (Never in a Pod)
    hostname: str = ""
    labels: dict[str, str] = field(default_factory=dict)


@dataclass
class Project:
    """Everything one generate writes: workloads and the objects they use."""

    workloads: list[Workload] = field(default_factory=list)
    claims: list[str] = field(default_factory=list)  # PVC names
    config_maps: dict[str, dict[str, str]] = field(default_factory=dict)
    secrets: dict[str, dict[str, bytes]] = field(default_factory=dict)
