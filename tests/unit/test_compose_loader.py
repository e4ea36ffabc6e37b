"""teu.compose's loader: pure logic on files in a temporary directory."""

from __future__ import annotations

import pytest

from teu.compose import dotenv
from teu.compose.errors import ComposeError
from teu.compose.interpolate import MissingVariable, substitute
from teu.compose.loader import ProjectOptions, load, normalize_name
from teu.compose.units import go_duration, nanoseconds


def _load(tmp_path, tree: dict[str, str], **kw):
    for name, text in tree.items():
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    kw.setdefault("environ", {})
    return load(ProjectOptions(workdir=str(tmp_path), **kw))


ENV = {"A": "a", "E": ""}


@pytest.mark.parametrize("text, want", [
    ("$A", "a"), ("${A}", "a"), ("x${B:-d}y", "xdy"), ("${E:-d}", "d"), ("${E-d}", ""),
    ("${B-d}", "d"), ("${B-${A}}", "a"), ("${B:-${C:-z}}", "z"), ("$$A", "$A"),
    ("${A:+yes}", "yes"), ("${E+set}", "set"), ("${E:+set}", ""), ("${B+set}", ""),
    ("$1", "$1"), ("${A?e}", "a"), ("${E?e}", ""), ("cost: 5$", "cost: 5$"),
    ("${B:-${C:?x}}", None),
])
def test_interpolation_forms(text, want):
    if want is None:
        with pytest.raises(MissingVariable):
            substitute(text, ENV)
    else:
        assert substitute(text, ENV) == want


def test_required_variable_message():
    with pytest.raises(MissingVariable, match="required variable E is missing a value: say E"):
        substitute("${E:?say E}", ENV)
    with pytest.raises(ComposeError, match="missing '}'"):
        substitute("${A", ENV)


def test_dotenv_format():
    text = ('# comment\nexport A=1\nB = two words # note\nC="q\\n${A}"\n'
            "D='lit ${A}'\nE=\nF=\"multi\nline\"\n")
    assert dotenv.parse(text, ".env") == {"A": "1", "B": "two words", "C": "q\n1",
                                          "D": "lit ${A}", "E": "", "F": "multi\nline"}
    with pytest.raises(ComposeError, match=r"\.env:1"):
        dotenv.parse("BAD KEY=1\n", ".env")


def test_default_files_override_and_name(tmp_path):
    p = _load(tmp_path / "My App", {
        "compose.yaml": "services:\n  web:\n    image: a\n    ports: ['80']\n",
        "compose.override.yaml": "services:\n  web:\n    image: b\n    ports: ['81']\n"})
    assert p.name == "myapp"
    web = p.services["web"]
    assert web["image"] == "b"
    assert [x["target"] for x in web["ports"]] == [80, 81]
    assert p.model["networks"] == {"default": {"name": "myapp_default"}}


def test_project_name_precedence(tmp_path):
    files = {"compose.yaml": "name: fromfile\nservices:\n  s:\n    image: a\n"}
    assert _load(tmp_path, files).name == "fromfile"
    assert _load(tmp_path, files, environ={"COMPOSE_PROJECT_NAME": "env"}).name == "env"
    assert _load(tmp_path, files, project_name="flag",
                 environ={"COMPOSE_PROJECT_NAME": "env"}).name == "flag"
    with pytest.raises(ComposeError, match="invalid project name 'Bad'"):
        _load(tmp_path, files, project_name="Bad")
    assert normalize_name("_My.Project-1") == "myproject-1"


def test_merge_rules_reset_override(tmp_path):
    p = _load(tmp_path, {
        "a.yaml": ("services:\n  s:\n    image: a\n    command: [echo, a]\n"
                   "    environment: {X: '1', Y: '2'}\n    ports: ['8080:80']\n"
                   "    volumes: ['v:/data', './src:/src']\n    dns: [1.1.1.1]\n"
                   "    labels: [k=v]\nvolumes: {v: {}, w: {}}\n"),
        "b.yaml": ("services:\n  s:\n    command: echo b\n    environment: {X: !reset null}\n"
                   "    ports: !override ['8443:443']\n    volumes: ['w:/data']\n"
                   "    dns: [8.8.8.8, 1.1.1.1]\n    labels: {k: w}\n")},
        files=["a.yaml", "b.yaml"])
    s = p.services["s"]
    assert s["command"] == ["echo", "b"]
    assert s["environment"] == {"Y": "2"}
    assert [(x["target"], x["published"]) for x in s["ports"]] == [(443, "8443")]
    assert [(v.get("source"), v["target"]) for v in s["volumes"]] == [
        ("w", "/data"), (str(tmp_path / "src"), "/src")]
    assert s["dns"] == ["1.1.1.1", "8.8.8.8"]
    assert s["labels"] == {"k": "w"}


def test_env_files_and_interpolation(tmp_path):
    files = {".env": "TAG=1.0\nPORT=8080\n", "other.env": "TAG=2.0\n",
             "web.env": "FROM_FILE=x\nSHARED=file\n",
             "compose.yaml": ("services:\n  web:\n    image: app:${TAG}\n"
                              "    ports: ['${PORT}:80']\n    env_file:\n      - web.env\n"
                              "      - path: missing.env\n        required: false\n"
                              "    environment: [SHARED=env, HOME_DIR, UNSET]\n"
                              "    command: echo $$HOME\n")}
    p = _load(tmp_path, files, environ={"HOME_DIR": "/root", "PORT": "9000"})
    web = p.services["web"]
    assert web["image"] == "app:1.0"
    assert web["ports"][0]["published"] == "9000"  # the process env wins over .env
    assert web["environment"] == {"FROM_FILE": "x", "SHARED": "env", "HOME_DIR": "/root",
                                  "UNSET": None}
    assert web["command"] == ["echo", "$HOME"]
    assert "env_file" not in web
    p = _load(tmp_path, files, env_files=["other.env"])
    assert p.services["web"]["image"] == "app:2.0"
    (tmp_path / "web.env").unlink()
    with pytest.raises(ComposeError, match="web.env not found"):
        load(ProjectOptions(workdir=str(tmp_path), environ={}))


def test_profiles(tmp_path):
    files = {"compose.yaml": ("services:\n  web:\n    image: a\n  dbg:\n    image: b\n"
                              "    profiles: [debug]\n")}
    assert sorted(_load(tmp_path, files).services) == ["web"]
    assert sorted(_load(tmp_path, files, profiles=["debug"]).services) == ["dbg", "web"]
    assert sorted(_load(tmp_path, files, environ={"COMPOSE_PROFILES": "debug"}).services) \
        == ["dbg", "web"]


def test_extends_and_include(tmp_path):
    files = {
        "base.yaml": "services:\n  common:\n    image: base\n    environment: {A: '1'}\n",
        "lib/compose.yaml": ("services:\n  lib:\n    build: .\nvolumes:\n  libdata: {}\n"),
        "compose.yaml": ("include: [lib/compose.yaml]\nservices:\n  web:\n    extends:\n"
                         "      file: base.yaml\n      service: common\n"
                         "    environment: {B: '2'}\n  api:\n    extends: web\n"
                         "    image: api\n")}
    p = _load(tmp_path, files)
    assert p.services["web"]["image"] == "base"
    assert p.services["web"]["environment"] == {"A": "1", "B": "2"}
    assert p.services["api"]["image"] == "api"
    assert p.services["lib"]["build"]["context"] == str(tmp_path / "lib")
    assert p.model["volumes"]["libdata"]["name"] == f"{p.name}_libdata"


def test_anchors_merge_keys_and_extensions(tmp_path):
    p = _load(tmp_path, {"compose.yaml": (
        "x-base: &base\n  image: busybox\n  restart: always\n"
        "services:\n  a:\n    <<: *base\n    x-note: hi\n  b:\n    <<: *base\n"
        "    restart: 'no'\n")})
    assert p.services["a"]["restart"] == "always"
    assert p.services["b"] == {"image": "busybox", "restart": "no",
                               "networks": {"default": None}}
    assert p.model["x-base"]["image"] == "busybox"


@pytest.mark.parametrize("text, message", [
    ("services:\n  a:\n    imag: x\n", r"compose.yaml:3: services.a additional properties "
     r"'imag' not allowed \(did you mean 'image'\?\)"),
    ("services:\n  a:\n    image: [x\n", r"compose.yaml:4: invalid YAML"),
    ("servics: {}\n", r"compose.yaml:1: additional properties 'servics'"),
    ("services:\n  a:\n    image: x\n    privileged: maybe\n", r":4: .*must be a boolean"),
    ("services:\n  a:\n    image: x\n    depends_on: [b]\n",
     r'service "a" depends on undefined service "b": invalid compose project'),
    ("services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: x\n"
     "    depends_on: [a]\n", "dependency cycle detected"),
    ("services:\n  a:\n    image: ${X:?set X}\n",
     "compose.yaml:3: error while interpolating services.a.image: required variable X is "
     "missing a value"),
    ("services:\n  a:\n    image: x\n    command: [sh, '${BAD']\n",
     "compose.yaml:4: error while interpolating services.a.command\\[1\\]: invalid "
     "interpolation format"),
    ("services:\n  a:\n    image: x\n    networks: [nope]\n", "undefined network nope"),
    ("services:\n  a:\n    image: x\n  a:\n    image: y\n", "already defined at line 2"),
])
def test_bad_files_name_file_line_key(tmp_path, text, message):
    with pytest.raises(ComposeError, match=message):
        _load(tmp_path, {"compose.yaml": text})


def test_no_file(tmp_path):
    with pytest.raises(ComposeError, match="no configuration file provided"):
        _load(tmp_path, {})


def test_durations():
    assert go_duration(nanoseconds("90s", "x")) == "1m30s"
    assert go_duration(nanoseconds("1h", "x")) == "1h0m0s"
    assert go_duration(nanoseconds("500ms", "x")) == "500ms"
    assert go_duration(nanoseconds("1.5s", "x")) == "1.5s"
