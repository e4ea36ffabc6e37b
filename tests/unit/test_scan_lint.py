"""teu lint's rules on Dockerfiles, Compose files, manifests and run flags (pure logic)."""

from __future__ import annotations

import pytest

from teu.scan.errors import ScanError
from teu.scan.lint.compose import lint_compose
from teu.scan.lint.dockerfile import lint_dockerfile
from teu.scan.lint.dockerfile_read import read_dockerfile
from teu.scan.lint.findings import LintFinding, at_or_above
from teu.scan.lint.kube import lint_manifests
from teu.scan.lint.refs import tag_problem
from teu.scan.lint.rules import RULES
from teu.scan.lint.runspec import lint_run


def _ids(findings):
    return sorted((f.rule, f.line) for f in findings)


def test_reader_continuations_comments_heredocs_escape():
    """Through teu.build's parser: what the rules see of each instruction."""
    text = ("# escape=`\nFROM alpine:3.19\nRUN echo a `\n  # a comment inside\n  && echo b\n"
            "RUN <<EOF\necho AKIAIOSFODNN7EXAMPLE\nEOF\nUSER app\nENV A=1 B=2\n")
    got = read_dockerfile(text)
    assert [(i.keyword, i.line) for i in got] == [("FROM", 2), ("RUN", 3), ("RUN", 6),
                                                  ("USER", 9), ("ENV", 10)]
    assert "echo b" in got[1].value and "AKIA" in got[2].value    # heredoc bodies are read
    assert got[4].pairs == [("A", "1"), ("B", "2")]
    assert [f.rule for f in lint_dockerfile(text) if f.rule == "TEU202"] == ["TEU202"]


def test_dockerfile_rules():
    text = """FROM debian:latest AS base
ARG DB_PASSWORD=hunter2
ENV API_TOKEN=abc \\
    PATH=/usr/bin
RUN echo AKIAIOSFODNN7EXAMPLE > /k
FROM base
FROM ubuntu
EXPOSE 22/tcp 80
USER root
"""
    assert _ids(lint_dockerfile(text)) == sorted([
        ("TEU102", 1), ("TEU201", 2), ("TEU201", 3), ("TEU202", 5), ("TEU103", 7),
        ("TEU401", 7), ("TEU402", 8), ("TEU101", 9)])
    clean = ("FROM debian:12.5@sha256:" + "a" * 64 + "\nUSER 1000\n"
             "HEALTHCHECK CMD true\nENV PASSWORD_FILE=/run/secrets/pw\n")
    assert lint_dockerfile(clean) == []
    assert _ids(lint_dockerfile("FROM scratch\nCOPY x /\n")) == [("TEU100", 1), ("TEU401", 1)]


def test_references():
    assert tag_problem("nginx") == "TEU103"
    assert tag_problem("nginx:latest") == "TEU102"
    assert tag_problem("localhost:5000/nginx") == "TEU103"
    assert tag_problem("localhost:5000/nginx:1.25") is None
    assert tag_problem("nginx@sha256:" + "0" * 64) is None
    assert tag_problem("${BASE}") is None


COMPOSE = """services:
  web:
    image: nginx:latest
    privileged: true
    network_mode: host
    cap_add: [NET_ADMIN]
    ports: ["2222:22", "8080:80"]
    environment:
      DB_PASSWORD: hunter2
  db:
    image: postgres:16.1
    user: "999"
    read_only: true
    mem_limit: 512m
    cpus: 1.5
    pids_limit: 100
    healthcheck: {test: ["CMD", "pg_isready"]}
"""


def test_compose_rules():
    got = _ids(lint_compose(COMPOSE, "compose.yaml"))
    assert got == sorted([(r, 2) for r in ("TEU102", "TEU100", "TEU201", "TEU301", "TEU302",
                                           "TEU303", "TEU304", "TEU305", "TEU306", "TEU401",
                                           "TEU402")])
    with pytest.raises(ScanError, match="compose.yaml:3: not valid YAML"):
        lint_compose("services:\n  web: [\n", "compose.yaml")


KUBE = """apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      hostPID: true
      containers:
      - name: app
        image: registry.local/app
        env: [{name: API_KEY, value: "k-123"}, {name: FROM_SECRET, valueFrom: {secretKeyRef: {name: s, key: k}}}]
        securityContext: {runAsUser: 0, capabilities: {add: [SYS_ADMIN]}}
        ports: [{containerPort: 22}]
---
apiVersion: v1
kind: Pod
metadata: {name: good}
spec:
  securityContext: {runAsNonRoot: true}
  containers:
  - name: app
    image: registry.local/app:1.0
    securityContext: {readOnlyRootFilesystem: true}
    resources: {limits: {memory: 128Mi, cpu: 500m}}
    livenessProbe: {exec: {command: [true]}}
"""


def test_kube_rules():
    got = lint_manifests(KUBE, "k.yaml")
    assert sorted(f.rule for f in got if "Deployment/web" in f.message) == [
        "TEU101", "TEU103", "TEU201", "TEU301", "TEU302", "TEU305", "TEU306", "TEU307",
        "TEU401", "TEU402"]
    assert [f for f in got if "Pod/good" in f.message] == []
    with pytest.raises(ScanError, match="no Pod or workload"):
        lint_manifests("apiVersion: v1\nkind: Service\nmetadata: {name: x}\n", "s.yaml")


def test_run_flags():
    opts = {"privileged": True, "network": "host", "pid": "host", "cap_add": ["NET_ADMIN"],
            "env": ["GITHUB_TOKEN=x", "PATH=/bin"], "publish": ["2222:22"]}
    assert sorted(f.rule for f in lint_run(opts, "busybox")) == [
        "TEU100", "TEU103", "TEU201", "TEU301", "TEU302", "TEU303", "TEU304", "TEU305",
        "TEU306", "TEU306", "TEU402"]
    good = {"memory": "64m", "cpus": "1", "pids_limit": "100", "read_only": True,
            "user": "1000", "health_cmd": "true"}
    assert lint_run(good, "busybox:1.36") == []
    cfg = {"config": {"User": "app", "Healthcheck": {"Test": ["CMD", "true"]}}}
    assert lint_run({**good, "user": None, "health_cmd": None}, "busybox:1.36", cfg) == []


def test_threshold_and_every_rule_documented():
    fs = [LintFinding("TEU401", "x"), LintFinding("TEU102", "y")]
    assert [f.rule for f in at_or_above(fs, "warning")] == ["TEU102"]
    assert len(at_or_above(fs, "info")) == 2 and at_or_above(fs, "error") == []
    assert at_or_above(fs, "none") == []
    for r in RULES.values():
        assert r.id.startswith("TEU") and r.reason and r.fix and r.level
