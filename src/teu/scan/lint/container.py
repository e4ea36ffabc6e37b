"""The rules every way of running a container shares (a `teu run` line, a Compose
service, a Kubernetes container), over one typed shape."""

from __future__ import annotations

from dataclasses import dataclass, field

from teu.scan import secrets
from teu.scan.lint.findings import LintFinding
from teu.scan.lint.refs import is_root_user, tag_problem


@dataclass
class ContainerSpec:
    where: str                          # "service web", "container app in Deployment/x"
    image: str = ""
    user: str | None = None             # None: not set here
    image_user: str | None = None       # the image's own USER, when known
    memory_limit: bool = False
    cpu_limit: bool = False
    pids_limit: bool | None = False     # None: the platform has no such limit
    privileged: bool = False
    cap_add: list[str] = field(default_factory=list)
    host_namespaces: list[str] = field(default_factory=list)   # network, pid, ipc, uts, user
    read_only: bool = False
    ports: list[str] = field(default_factory=list)    # container ports, "22" or "22/tcp"
    env: dict[str, str] = field(default_factory=dict)
    healthcheck: bool | None = None     # None: unknown (the image may have one)


def check(spec: ContainerSpec, file: str = "", line: int = 0) -> list[LintFinding]:
    out: list[LintFinding] = []

    def add(rule: str, msg: str) -> None:
        out.append(LintFinding(rule, f"{spec.where}: {msg}", file, line))

    if spec.image:
        problem = tag_problem(spec.image)
        if problem:
            add(problem, f"image {spec.image}: " + ("the latest tag" if problem == "TEU102"
                                                   else "no tag or digest"))
    user = spec.user if spec.user is not None else spec.image_user
    if user is None or user == "":
        add("TEU100", "no user set: runs as root unless the image sets a USER")
    elif is_root_user(user):
        add("TEU101", f"runs as {user}")
    for name, value in sorted(spec.env.items()):
        what = secrets.in_text(value) if value else None
        if value and (secrets.secret_name(name) or what):
            add("TEU201", f"environment {name}: " + (f"value looks like a {what}" if what
                                                     else "named like a secret"))
    if not spec.memory_limit:
        add("TEU301", "no memory limit")
    if not spec.cpu_limit:
        add("TEU302", "no CPU limit")
    if spec.pids_limit is False:
        add("TEU303", "no pids limit")
    if spec.privileged:
        add("TEU304", "privileged")
    if spec.cap_add:
        add("TEU305", "adds capabilities " + ", ".join(spec.cap_add))
    for ns in spec.host_namespaces:
        add("TEU306", f"shares the host's {ns} namespace")
    if not spec.read_only and not spec.privileged:
        add("TEU307", "writable root filesystem")
    if spec.healthcheck is False:
        add("TEU401", "no health check")
    for port in spec.ports:
        if str(port).split("/")[0] == "22":
            add("TEU402", f"port {port}")
    return out
