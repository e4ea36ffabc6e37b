"""containers-policy.json parsing, scope order and signedIdentity rules (pure logic)."""

from __future__ import annotations

import pytest

from teu.image import reference as R
from teu.trust import identity, policy
from teu.trust.errors import PolicyError

GOOD = b"""{
  "default": [{"type": "reject"}],
  "transports": {
    "docker": {
      "127.0.0.1:5000/signed": [{"type": "sigstoreSigned", "keyPath": "/k.pub",
                                 "signedIdentity": {"type": "matchRepository"}}],
      "127.0.0.1:5000": [{"type": "insecureAcceptAnything"}],
      "*.example.com": [{"type": "insecureAcceptAnything"}],
      "docker.io/library/busybox:1.36": [{"type": "insecureAcceptAnything"}],
      "registry.access.redhat.com": [{"type": "signedBy", "keyType": "GPGKeys",
                                      "keyPath": "/etc/pki/rpm-gpg/RPM-GPG-KEY-redhat-release"}]
    },
    "docker-daemon": {"": [{"type": "insecureAcceptAnything"}]}
  }
}"""


def test_scopes_most_specific_first():
    p = policy.parse(GOOD)
    assert p.for_docker("127.0.0.1:5000", "signed/app", "v1")[0] == "127.0.0.1:5000/signed"
    assert p.for_docker("127.0.0.1:5000", "signed", "v1")[0] == "127.0.0.1:5000/signed"
    assert p.for_docker("127.0.0.1:5000", "other", "v1")[0] == "127.0.0.1:5000"
    assert p.for_docker("reg.example.com", "x", "v1")[0] == "*.example.com"
    assert p.for_docker("docker.io", "library/busybox", "1.36")[0] == \
        "docker.io/library/busybox:1.36"
    scope, reqs = p.for_docker("docker.io", "library/busybox", "latest")
    assert scope == "default" and reqs[0].type == "reject"
    req = p.for_docker("127.0.0.1:5000", "signed", None, "sha256:" + "a" * 64)[1][0]
    assert req.type == "sigstoreSigned" and req.keys == [("path", "/k.pub")]
    assert req.identity == {"type": "matchRepository"}


@pytest.mark.parametrize("text, line, what", [
    (b'{\n "default": [\n  {"type": "rejct"}\n ]\n}', 3, "unknown requirement type"),
    (b'{\n "default": [\n  {"type": "reject"},\n ]\n}', 4, "invalid JSON"),
    (b'{"transports": {}}', 0, '"default" is required'),
    (b'{\n"default": [],\n"x": 1}', 3, "unknown field 'x'"),
    (b'{"default": [{"type": "insecureAcceptAnything"}],\n "transports": {"docker": {\n'
     b'  "http://r": [{"type": "reject"}]}}}', 3, "not a registry"),
    (b'{"default": [\n{"type": "sigstoreSigned", "keyPath": "/a", "keyData": "b"}]}', 2,
     "exactly one of keyPath"),
    (b'{"default": [{"type": "sigstoreSigned", "keyPath": "/a",\n'
     b' "signedIdentity": {"type": "matchNothing"}}]}', 2, "signedIdentity type"),
    (b'{"default": [{"type": "reject",\n "keyPath": "/a"}]}', 2, "takes no fields"),
])
def test_malformed_policies_name_file_and_line(text, line, what):
    with pytest.raises(PolicyError) as e:
        policy.parse(text, "/p.json")
    msg = str(e.value)
    assert what in msg
    assert msg.startswith(f"/p.json:{line}:" if line else "/p.json:")


def test_find_order(tmp_path, monkeypatch):
    f = tmp_path / "p.json"
    f.write_text('{"default": [{"type": "reject"}]}')
    monkeypatch.setenv("TEU_POLICY", str(f))
    assert policy.find() == str(f)
    assert policy.find(str(f)) == str(f)
    with pytest.raises(PolicyError, match="no such policy file"):
        policy.find(str(tmp_path / "missing.json"))


def ref(text):
    return R.parse(text, default_tag=False)


@pytest.mark.parametrize("rule, image, signed, ok", [
    ({"type": "matchRepository"}, "r.io/a/b:v1", "r.io/a/b", True),
    ({"type": "matchRepository"}, "r.io/a/b:v1", "r.io/a/c", False),
    ({"type": "matchRepoDigestOrExact"}, "r.io/a/b:v1", "r.io/a/b", False),
    ({"type": "matchRepoDigestOrExact"}, "r.io/a/b:v1", "r.io/a/b:v1", True),
    ({"type": "matchRepoDigestOrExact"}, "r.io/a/b@sha256:" + "a" * 64, "r.io/a/b:v9", True),
    ({"type": "matchRepoDigestOrExact"}, "r.io/a/b@sha256:" + "a" * 64, "r.io/a/b", False),
    ({"type": "matchExact"}, "r.io/a/b:v1", "r.io/a/b:v2", False),
    ({"type": "exactRepository", "dockerRepository": "r.io/x"}, "r.io/a/b:v1", "r.io/x", True),
    ({"type": "exactReference", "dockerReference": "r.io/x:1"}, "r.io/a:v1", "r.io/x:1", True),
    ({"type": "remapIdentity", "prefix": "mirror.io/a", "signedPrefix": "r.io/a"},
     "mirror.io/a/b:v1", "r.io/a/b:v1", True),
    ({"type": "matchRepository"}, "busybox", "index.docker.io/library/busybox", True),
])
def test_signed_identity(rule, image, signed, ok):
    why = identity.matches(rule, R.parse(image), signed)
    assert (why is None) == ok, why
