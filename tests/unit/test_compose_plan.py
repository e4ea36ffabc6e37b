"""teu.compose.plan: a service of the model -> the engine's run options (pure)."""

from __future__ import annotations

import pytest

from teu.compose.errors import ComposeError
from teu.compose.hashing import config_hash
from teu.compose.loader import ProjectOptions, load
from teu.compose.normalize import service_order
from teu.compose.plan import run_options


def _model(tmp_path, text: str) -> dict:
    (tmp_path / "compose.yaml").write_text(text)
    return load(ProjectOptions(workdir=str(tmp_path), environ={}, project_name="p")).model


def test_run_options(tmp_path):
    model = _model(tmp_path, """
services:
  web:
    image: busybox
    command: httpd -f
    ports: ["127.0.0.1:8080:80"]
    volumes: [data:/data, ./site:/www:ro]
    environment: {A: "1"}
    networks:
      back: {aliases: [www]}
    deploy: {resources: {limits: {memory: 64M, cpus: "0.5", pids: 50}}}
    healthcheck: {test: wget -q localhost, interval: 5s, retries: 2}
    labels: {team: shop}
volumes: {data: {}}
networks: {back: {}}
""")
    o = run_options(model, "web")
    assert o["name"] == "p-web-1" and o["detach"] and o["image"] == "busybox"
    assert o["command"] == ["httpd", "-f"]
    assert o["network"] == ["p_back"] and o["network_alias"] == ["web", "www"]
    assert o["publish"] == ["127.0.0.1:8080:80/tcp"]
    assert o["volume"] == ["p_data:/data", f"{tmp_path}/site:/www:ro"]
    assert o["env"] == ["A=1"]
    assert (o["memory"], o["cpus"], o["pids_limit"]) == ("67108864", "0.5", 50)
    assert (o["health_cmd"], o["health_interval"], o["health_retries"]) == (
        "wget -q localhost", "5s", 2)
    labels = dict(x.split("=", 1) for x in o["label"])
    assert labels["com.docker.compose.project"] == "p"
    assert labels["com.docker.compose.service"] == "web"
    assert labels["com.docker.compose.container-number"] == "1"
    assert labels["com.docker.compose.config-hash"] == config_hash(model["services"]["web"])
    assert labels["team"] == "shop"


def test_hash_changes_with_config_and_order(tmp_path):
    a = _model(tmp_path, "services:\n  s:\n    image: a\n  t:\n    image: b\n"
               "    depends_on: [s]\n")
    b = _model(tmp_path, "services:\n  s:\n    image: a\n    environment: [X=1]\n")
    assert config_hash(a["services"]["s"]) != config_hash(b["services"]["s"])
    assert service_order(a["services"]) == ["s", "t"]


def test_build_only_service_is_refused(tmp_path):
    model = _model(tmp_path, "services:\n  s:\n    build: .\n")
    with pytest.raises(ComposeError, match="has no image"):
        run_options(model, "s")
