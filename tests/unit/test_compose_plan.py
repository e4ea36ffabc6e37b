"""teu.compose.plan: a service of the model -> the engine's run options (pure)."""

from __future__ import annotations

import pytest

from teu.compose.errors import ComposeError
from teu.compose.hashing import config_hash
from teu.compose.images import build_options
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


def test_build_service_image_and_build_options(tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "tok.txt").write_text("t")
    model = _model(tmp_path, """
services:
  s:
    build: .
  t:
    image: reg.example/t:1
    build:
      context: ./app
      dockerfile: web.Dockerfile
      target: final
      args: {A: "1", FROM_ENV: null, MISSING: null}
      labels: {team: shop}
      secrets: [{source: tok, target: token}]
      tags: ["t:extra"]
secrets:
  tok: {file: ./tok.txt}
""")
    o = run_options(model, "s")
    assert o["image"] == "p-s"  # docker compose's PROJECT-SERVICE
    assert "com.docker.compose.image=sha256:1" in run_options(model, "s", 1, "sha256:1")["label"]
    b = build_options(model, "t", environ={"FROM_ENV": "e"})
    assert b.context == str(tmp_path / "app")
    assert b.dockerfile == str(tmp_path / "app" / "web.Dockerfile")
    assert b.tags == ["reg.example/t:1", "t:extra"] and b.target == "final"
    assert b.build_args == {"A": "1", "FROM_ENV": "e"}
    assert b.labels["team"] == "shop" and b.labels["com.docker.compose.service"] == "t"
    assert b.labels["com.docker.compose.project"] == "p"
    assert b.secrets["token"].src == str(tmp_path / "tok.txt")
    with pytest.raises(ComposeError, match="no build section"):
        build_options({**model, "services": {"s2": {"image": "x"}}}, "s2")


def test_secrets_and_configs_as_mounted_files(tmp_path):
    from teu.compose.plan import mounted_files

    model = _model(tmp_path, """
services:
  s:
    image: busybox
    secrets: [tok, {source: key, target: k.pem, mode: 0400, uid: "1000"}]
    configs: [app, {source: inline, target: /etc/app.conf}]
secrets:
  tok: {environment: TOKEN}
  key: {file: ./key.pem}
configs:
  app: {file: ./app.conf}
  inline: {content: "a=1"}
""")
    files = {f["target"]: f for f in mounted_files(model, "s")}
    assert files["/run/secrets/tok"]["environment"] == "TOKEN"
    assert files["/run/secrets/tok"]["mode"] == 0o444
    assert files["/run/secrets/k.pem"]["file"] == str(tmp_path / "key.pem")
    assert files["/run/secrets/k.pem"]["mode"] == 0o400
    assert files["/run/secrets/k.pem"]["uid"] == "1000"
    assert files["/app"]["file"] == str(tmp_path / "app.conf")
    assert files["/etc/app.conf"]["content"] == "a=1"
    broken = {**model, "services": {"b": {"image": "x", "secrets": [{"source": "nope"}]}}}
    with pytest.raises(ComposeError, match="undefined secret nope"):
        mounted_files(broken, "b")


def test_port_conflicts_are_refused_before_up(tmp_path):
    from teu.compose.run import check_ports

    model = _model(tmp_path, """
services:
  a: {image: x, ports: ["8080:80"]}
  b: {image: x, ports: ["127.0.0.1:8080:80", "9000-9001:90-91"]}
  c: {image: x, ports: ["8080:81"]}
  d: {image: x, ports: ["9001:80"]}
""")
    check_ports(model, ["a", "b"], {})  # other addresses: no conflict
    with pytest.raises(ComposeError, match="host port 0.0.0.0:8080/tcp is also published "
                       "by service a"):
        check_ports(model, ["a", "c"], {})
    with pytest.raises(ComposeError, match="9001/tcp is also published by service b"):
        check_ports(model, ["b", "d"], {})
    with pytest.raises(ComposeError, match="other replicas"):
        check_ports(model, ["a"], {"a": 2})
