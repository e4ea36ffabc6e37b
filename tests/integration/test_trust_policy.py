"""The trust policy (containers-policy.json) on pull and run, with real signatures in a
loopback registry: reject, sigstoreSigned per registry scope, insecureAcceptAnything;
images pulled before the policy changed; malformed policies (file:line, nothing pulled,
nothing run); --pin; skopeo and podman reading the same file."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from engine_helpers import private_teu
from image_helpers import push_layout
from registry_helpers import RegistryServer, busybox_layer, tools_present, write_oci_layout

pytestmark = [pytest.mark.root,
              pytest.mark.skipif(not tools_present("skopeo"), reason="skopeo is needed")]

PASSWORD = "policy-test"
teu = pytest.fixture(private_teu)


class Registry:
    def __init__(self, top: Path) -> None:
        layer = busybox_layer(top)
        self.reg = RegistryServer(top / "reg", top / "reg.log").start()
        self.host = self.reg.host
        self.keys = top / "keys"
        self.keys.mkdir()
        env = {"COSIGN_PASSWORD": PASSWORD}
        self.digests: dict[str, str] = {}
        from registry_helpers import TEU, run

        for name in ("good", "other"):
            run([TEU, "key", "generate", "--output-key-prefix", str(self.keys / name)],
                env={**os.environ, **env})
        for repo, key in (("signed/good", "good"), ("signed/none", None),
                          ("signed/wrong", "other"), ("open/app", None), ("elsewhere/app", None)):
            # One image per repository (the command differs), so signatures never cross.
            layout = top / repo.replace("/", "-")
            self.digests[repo] = write_oci_layout(layout, [layer], cmd=["/bin/true", repo])
            push_layout(layout, "latest", f"{self.host}/{repo}:v1")
            if key:
                run([TEU, "sign", "--key", str(self.keys / f"{key}.key"),
                     f"{self.host}/{repo}@{self.digests[repo]}"],
                    env={**os.environ, **env})

    def policy(self, path: Path, default: str = "reject") -> Path:
        path.write_text(json.dumps({
            "default": [{"type": default}],
            "transports": {"docker": {
                f"{self.host}/signed": [{"type": "sigstoreSigned",
                                         "keyPath": str(self.keys / "good.pub"),
                                         "signedIdentity": {"type": "matchRepository"}}],
                f"{self.host}/open": [{"type": "insecureAcceptAnything"}]}}}, indent=2))
        return path


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    r = Registry(tmp_path_factory.mktemp("trustpolicy"))
    try:
        yield r
    finally:
        r.reg.stop()


def image_names(teu) -> list[str]:
    """The images pulled (private_teu's own busybox, imported, is left out)."""
    return [x for x in teu.ok("images", "--format", "{{.Repository}}").split()
            if x.startswith("127.0.0.1:")]


def test_pull_obeys_the_policy_per_scope(teu, registry, tmp_path):
    pol = registry.policy(tmp_path / "policy.json")
    h = registry.host
    teu.ok("pull", "-q", "--signature-policy", str(pol), f"{h}/signed/good:v1")
    teu.ok("pull", "-q", "--signature-policy", str(pol), f"{h}/open/app:v1")
    blobs = sorted(p.name for p in (teu.root / "blobs" / "sha256").iterdir())
    refusals = {
        "signed/none": "no signatures found",
        "signed/wrong": "no matching signatures",
        "elsewhere/app": "the scope rejects every image",
    }
    for repo, why in refusals.items():
        p = teu("pull", "-q", "--signature-policy", str(pol), f"{h}/{repo}:v1")
        assert p.returncode == 1, p.stderr  # docker pull's failure code
        line = p.stderr.strip().splitlines()[-1]
        assert f"{h}/{repo}:v1" in line and str(pol) in line and why in line, line
        assert "scope " + (f"{h}/signed" if repo.startswith("signed") else "default") in line
        assert "Traceback" not in p.stderr
    assert sorted(image_names(teu)) == sorted([f"{h}/signed/good", f"{h}/open/app"])
    # Refused before anything was fetched: not one blob more in the store.
    assert sorted(p.name for p in (teu.root / "blobs" / "sha256").iterdir()) == blobs
    # TEU_POLICY works the same way as the flag.
    p = teu("pull", "-q", f"{h}/elsewhere/app:v1", env={**teu.env, "TEU_POLICY": str(pol)})
    assert p.returncode == 1 and "rejects every image" in p.stderr


def test_run_checks_images_pulled_before_the_policy(teu, registry, tmp_path):
    h = registry.host
    for repo in ("signed/good", "signed/none", "signed/wrong", "open/app"):
        teu.ok("pull", "-q", f"{h}/{repo}:v1")  # no policy yet: all four come in
    pol = registry.policy(tmp_path / "policy.json")
    env = {**teu.env, "TEU_POLICY": str(pol)}
    assert teu("run", "--rm", f"{h}/signed/good:v1", env=env).returncode == 0
    assert teu("run", "--rm", f"{h}/open/app:v1", env=env).returncode == 0
    for repo, why in (("signed/none", "no signatures found"),
                      ("signed/wrong", "no matching signatures")):
        for verb in ("run", "create"):
            p = teu(verb, "--rm", f"{h}/{repo}:v1", env=env) if verb == "run" else \
                teu(verb, f"{h}/{repo}:v1", env=env)
            assert p.returncode == 125 and why in p.stderr and f"{h}/{repo}:v1" in p.stderr
    assert teu.ok("ps", "-a", "-q").strip() == ""  # nothing was made for a refused image
    # The flag on run itself, and a policy that rejects everything.
    reject = tmp_path / "reject.json"
    reject.write_text('{"default": [{"type": "reject"}]}')
    p = teu("run", "--rm", "--signature-policy", str(reject), f"{h}/open/app:v1")
    assert p.returncode == 125 and "rejects every image" in p.stderr


def test_malformed_policy_names_file_and_line(teu, registry, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{\n  "default": [\n    {"type": "insecureAcceptAnythin"}\n  ]\n}\n')
    for args in (("pull", "-q", f"{registry.host}/open/app:v1"),
                 ("run", "--rm", f"{registry.host}/open/app:v1")):
        p = teu(*args, env={**teu.env, "TEU_POLICY": str(bad)})
        assert p.returncode == (1 if args[0] == "pull" else 125)  # docker's codes per verb
        assert f"{bad}:3: default: unknown requirement type 'insecureAcceptAnythin'" in p.stderr
        assert "Traceback" not in p.stderr
    assert image_names(teu) == []
    assert teu.ok("ps", "-a", "-q").strip() == ""
    missing = teu("pull", "--signature-policy", str(tmp_path / "nope.json"),
                  f"{registry.host}/open/app:v1")
    assert missing.returncode == 1 and "no such policy file" in missing.stderr


def test_pin_records_the_digest(teu, registry):
    ref = f"{registry.host}/open/app:v1"
    teu.ok("pull", "-q", ref)
    cid = teu.ok("create", "--pin", ref).strip()
    info = teu.inspect(cid)
    digest = registry.digests["open/app"]
    pinned = f"{registry.host}/open/app@{digest}"
    assert info["Config"]["Image"] == pinned and info["ImageDigest"] == digest
    assert digest in teu.ok("images", "--digests")
    teu.ok("rm", cid)


def test_skopeo_and_podman_read_the_same_policy(registry, tmp_path):
    pol = registry.policy(tmp_path / "policy.json")
    h = registry.host

    def skopeo(repo: str, policy: Path = pol) -> subprocess.CompletedProcess:
        dest = tmp_path / repo.replace("/", "-")
        return subprocess.run(["skopeo", "--policy", str(policy), "copy", "--src-tls-verify=false",
                               f"docker://{h}/{repo}:v1", f"oci:{dest}:x"],
                              capture_output=True, text=True, timeout=120)

    assert skopeo("open/app").returncode == 0
    p = skopeo("elsewhere/app")
    assert p.returncode != 0 and "rejected by policy" in p.stderr
    # Debian's skopeo has sigstore attachments off: it parses the sigstoreSigned scope
    # without complaint and refuses for want of a signature it can read.
    p = skopeo("signed/good")
    assert p.returncode != 0 and "invalid policy" not in p.stderr
    bad = tmp_path / "bad.json"
    bad.write_text('{"default": [{"type": "rejct"}]}')
    p = skopeo("open/app", bad)
    assert p.returncode != 0 and "invalid policy" in p.stderr
    if shutil.which("podman"):
        import tempfile

        store = Path(tempfile.mkdtemp(prefix="teu-pod-"))  # podman wants a short runroot
        try:
            base = ["podman", "--root", str(store / "root"), "--runroot", str(store / "run"),
                    "--storage-driver", "vfs"]
            ok = subprocess.run([*base, "pull", "-q", "--tls-verify=false", "--signature-policy",
                                 str(pol), f"{h}/open/app:v1"], capture_output=True, text=True,
                                timeout=120)
            assert ok.returncode == 0, ok.stderr
            no = subprocess.run([*base, "pull", "-q", "--tls-verify=false",
                                 "--signature-policy", str(pol), f"{h}/elsewhere/app:v1"],
                                capture_output=True, text=True, timeout=120)
            assert no.returncode != 0 and "rejected by policy" in no.stderr
        finally:
            subprocess.run(["podman", "--root", str(store / "root"), "--runroot",
                            str(store / "run"), "--storage-driver", "vfs", "system", "reset",
                            "-f"], capture_output=True, timeout=120)
            shutil.rmtree(store, ignore_errors=True)


def test_build_from_obeys_the_policy(teu, registry, tmp_path, monkeypatch):
    """teu build's FROM image is judged as teu run's (through teu.build's Builder: the
    CLI's parser is being changed on main)."""
    from teu.build.builder import Builder, BuildOptions
    from teu.build.errors import BuildError

    h = registry.host
    for repo in ("signed/good", "signed/none"):
        teu.ok("pull", "-q", f"{h}/{repo}:v1")
    monkeypatch.setenv("TEU_POLICY", str(registry.policy(tmp_path / "policy.json")))

    def build(base: str, tag: str):  # noqa: ANN202
        ctx = tmp_path / tag
        ctx.mkdir()
        (ctx / "Dockerfile").write_text(f"FROM {base}\nLABEL built=by-teu\n")
        opts = BuildOptions(tags=[tag], progress="quiet", root=str(teu.root),
                            runroot=str(teu.runroot))
        opts.context = str(ctx)
        opts.dockerfile = str(ctx / "Dockerfile")
        b = Builder(opts)
        try:
            return b.run()
        finally:
            b.close()

    assert build(f"{h}/signed/good:v1", "good:1").image_id
    with pytest.raises(BuildError) as e:
        build(f"{h}/signed/none:v1", "none:1")
    assert "Dockerfile:1: FROM" in str(e.value) and "no signatures found" in str(e.value)
    assert "none" not in teu.ok("images", "--format", "{{.Repository}}").split()
