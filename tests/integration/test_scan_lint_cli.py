"""`teu lint` through the CLI: an image's config, history and every layer's files
(a secret deleted in a later layer included), exit codes by --failure-threshold,
--run lines parsed with teu run's flags, output formats."""

from __future__ import annotations

import json

import pytest
from tests.integration.scan_helpers import ALPINE, DEBIAN, make_env


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    return make_env(tmp_path_factory)


def _lint(env, *args):
    p = env.teu("lint", "-f", "json", *args)
    assert "Traceback" not in p.stderr
    return p.returncode, json.loads(p.stdout) if p.stdout else []


def test_image_secrets_in_every_layer_history_and_env(env):
    code, found = _lint(env, DEBIAN)
    assert code == 1
    got = {(f["code"], f["message"].split(": ", 1)[-1].split(":")[0]) for f in found}
    layer_hits = {(f["code"], f["message"].split(": ")[1]) for f in found
                  if f["code"] in ("TEU203", "TEU204")}
    assert layer_hits == {("TEU204", "/root/.ssh/id_rsa"), ("TEU203", "/app/.env"),
                          ("TEU203", "/app/config/settings.py")}
    codes = {c for c, _ in got}
    assert {"TEU100", "TEU201", "TEU202", "TEU401", "TEU402"} <= codes
    assert all(f["reason"] and f["fix"] for f in found)


def test_thresholds_and_exit_codes(env):
    # The alpine fixture: a user, a health check; only the untagged-free, limit-free image
    # rules are left, none of them: exit 0 at every threshold but style.
    code, found = _lint(env, ALPINE)
    assert (code, found) == (0, [])
    dockerfile = env.top / "Dockerfile"
    dockerfile.write_text("FROM debian:12\nUSER 1000\n")        # only TEU401 (info)
    assert _lint(env, str(dockerfile))[0] == 0
    assert _lint(env, "--failure-threshold", "info", str(dockerfile))[0] == 1
    assert _lint(env, "-t", "info", "--ignore", "TEU401", str(dockerfile))[0] == 0
    assert _lint(env, "-t", "none", DEBIAN)[0] == 0
    p = env.teu("lint", "-t", "loud", str(dockerfile))
    assert p.returncode == 125 and "failure-threshold" in p.stderr


def test_run_line(env):
    code, found = _lint(env, "--run", "teu run --rm --privileged --net=host -e "
                        "GITHUB_TOKEN=x -m 64m busybox:latest sh -c 'echo hi'")
    assert code == 1
    assert {f["code"] for f in found} >= {"TEU102", "TEU201", "TEU304", "TEU306", "TEU100"}
    assert "TEU301" not in {f["code"] for f in found}
    # An image in the store lends its USER and HEALTHCHECK to the judgement.
    code, found = _lint(env, "--run", f"teu run -m 64m --cpus 1 --pids-limit 50 --read-only "
                        f"{ALPINE}")
    assert (code, found) == (0, [])
    p = env.teu("lint", "--run", "teu run --no-such-flag busybox")
    assert p.returncode == 125 and "no-such-flag" in p.stderr


def test_compose_manifest_and_sarif(env):
    compose = env.top / "compose.yaml"
    compose.write_text("services:\n  web:\n    image: nginx\n    pid: host\n")
    code, found = _lint(env, str(compose))
    assert code == 1 and {"TEU103", "TEU306"} <= {f["code"] for f in found}
    assert all(f["line"] == 2 for f in found)
    manifest = env.top / "pod.yaml"
    manifest.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
                        "  containers:\n  - {name: c, image: 'nginx:latest', securityContext: "
                        "{privileged: true}}\n")
    code, found = _lint(env, str(manifest))
    assert {"TEU102", "TEU304"} <= {f["code"] for f in found}
    sarif = json.loads(env.teu("lint", "-f", "sarif", str(manifest)).stdout)
    assert sarif["version"] == "2.1.0"
    assert {r["ruleId"] for r in sarif["runs"][0]["results"]} == {f["code"] for f in found}
    bad = env.top / "broken-compose.yaml"
    bad.write_text("services:\n  web: [\n")
    p = env.teu("lint", str(bad))
    assert p.returncode == 1 and "broken-compose.yaml:3: not valid YAML" in p.stderr
