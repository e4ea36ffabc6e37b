"""The lint rules. An ID is forever: a rule that changes meaning gets a new ID."""

from __future__ import annotations

from dataclasses import dataclass

ERROR, WARNING, INFO, STYLE = "error", "warning", "info", "style"
LEVELS = (STYLE, INFO, WARNING, ERROR)       # lowest first


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    level: str
    reason: str
    fix: str


_RULES = [
    Rule("TEU100", "no-user", WARNING,
         "no USER is set, so the container runs as root; a process that breaks out of it "
         "is root on the host's kernel",
         "add `USER <uid>` (a non-root user made in the image) or run with `--user`"),
    Rule("TEU101", "root-user", WARNING,
         "the last USER is root: the container's processes run as root",
         "switch to an unprivileged user with `USER <uid>` after the steps that need root"),
    Rule("TEU102", "latest-tag", WARNING,
         "the image is referenced by `latest`: what runs changes whenever the tag moves, and "
         "a rollback cannot name what ran before",
         "pin a version tag, or better a digest (`name:1.2.3@sha256:...`)"),
    Rule("TEU103", "untagged", WARNING,
         "the image reference has no tag or digest, so it means `latest`",
         "pin a version tag or a digest"),
    Rule("TEU201", "secret-in-env", ERROR,
         "an environment variable or build argument holds what looks like a secret: it is "
         "stored in the image config (or the build history) for anyone who pulls it",
         "pass secrets at run time (`--secret`, a mounted file, an orchestrator secret) or "
         "with `RUN --mount=type=secret` at build time"),
    Rule("TEU202", "secret-in-history", ERROR,
         "a build step's command line holds what looks like a secret; the image history keeps "
         "it", "use `RUN --mount=type=secret` instead of passing the value on the command line"),
    Rule("TEU203", "secret-file", ERROR,
         "a file in the image looks like a credential (private key, cloud credentials, "
         "token, .env file)",
         "keep it out of the build context (.dockerignore) and mount it at run time"),
    Rule("TEU204", "secret-file-deleted", ERROR,
         "a credential file was added in one layer and deleted in a later one: it is gone "
         "from the container's view but still inside the image's layer for anyone to extract",
         "never add it: use a build secret mount or a multi-stage build that does not copy it"),
    Rule("TEU301", "no-memory-limit", WARNING,
         "no memory limit: one container can take the host's memory and get others OOM-killed",
         "set `--memory` (compose: mem_limit or deploy.resources.limits.memory; "
         "kubernetes: resources.limits.memory)"),
    Rule("TEU302", "no-cpu-limit", WARNING,
         "no CPU limit: one container can starve the others",
         "set `--cpus` (compose: cpus or deploy.resources.limits.cpus; kubernetes: "
         "resources.limits.cpu)"),
    Rule("TEU303", "no-pids-limit", INFO,
         "no pids limit: a fork bomb in the container exhausts the host's process table",
         "set `--pids-limit` (compose: pids_limit)"),
    Rule("TEU304", "privileged", ERROR,
         "a privileged container has every capability, every device and no seccomp or "
         "masked paths: it is root on the host",
         "drop `--privileged`; add the one capability or device it needs"),
    Rule("TEU305", "cap-add", WARNING,
         "added capabilities widen what root in the container can do to the kernel",
         "add only what the program needs, and prefer none (`--cap-drop ALL`)"),
    Rule("TEU306", "host-namespace", ERROR,
         "the container shares a host namespace (network, pid, ipc, uts or user): it sees and "
         "can reach the host's processes, sockets or interfaces",
         "use the container's own namespaces (remove the `host` mode)"),
    Rule("TEU307", "writable-root", INFO,
         "the root filesystem is writable, so an intruder can change the program's files",
         "run with `--read-only` and mount writable tmpfs/volumes where it writes"),
    Rule("TEU401", "no-healthcheck", INFO,
         "no health check: a hung process looks healthy to restart policies and orchestrators",
         "add a HEALTHCHECK (compose: healthcheck; kubernetes: liveness/readiness probes)"),
    Rule("TEU402", "ssh-port", WARNING,
         "port 22 is exposed: an SSH server in a container is one more service to attack",
         "remove sshd; use `teu exec` to get a shell in a running container"),
]
RULES = {r.id: r for r in _RULES}
