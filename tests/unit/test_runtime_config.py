"""config.json validation names the field that is wrong."""

import json

import pytest

from teu.oci.runtime_config import ConfigError, load, validate
from teu.runtime.spec import default_spec


def test_default_spec_is_valid():
    validate(default_spec())
    validate(default_spec(rootless=True))


@pytest.mark.parametrize("version", ["1.0.0", "1.0.2-dev", "1.1.0", "1.2.0", "1.3.0"])
def test_accepts_versions_1_0_to_1_3(version):
    c = default_spec()
    c["ociVersion"] = version
    validate(c)


@pytest.mark.parametrize("mutate, field", [
    (lambda c: c.pop("ociVersion"), "ociVersion"),
    (lambda c: c.update(ociVersion="2.0.0"), "ociVersion"),
    (lambda c: c.pop("root"), "root"),
    (lambda c: c["root"].update(path=5), "root.path"),
    (lambda c: c["process"].update(args=[]), "process.args"),
    (lambda c: c["process"].update(args=["sh", 1]), "process.args[1]"),
    (lambda c: c["process"].update(cwd="relative"), "process.cwd"),
    (lambda c: c["process"].update(env=["NOEQUALS"]), "process.env[0]"),
    (lambda c: c["process"]["user"].update(uid=-1), "process.user.uid"),
    (lambda c: c["process"]["user"].update(uid="0"), "process.user.uid"),
    (lambda c: c["process"]["capabilities"].update(sideways=[]), "process.capabilities.sideways"),
    (lambda c: c["process"]["rlimits"].append({"type": "RLIMIT_BOGUS", "soft": 1, "hard": 1}),
     "process.rlimits[1].type"),
    (lambda c: c["process"]["rlimits"].append({"type": "RLIMIT_CORE", "soft": 2, "hard": 1}),
     "process.rlimits[1]"),
    (lambda c: c["mounts"].append({"type": "tmpfs"}), "mounts[7].destination"),
    (lambda c: c["linux"]["namespaces"].append({"type": "bogus"}), "linux.namespaces[5].type"),
    (lambda c: c["linux"]["namespaces"].append({"type": "pid"}), "linux.namespaces[5].type"),
    (lambda c: c["linux"]["namespaces"].append({"type": "user"}), "linux.uidMappings"),
    (lambda c: c.update(hooks={"prestart": [{"path": "rel"}]}), "hooks.prestart[0].path"),
    (lambda c: c.update(hooks={"later": []}), "hooks.later"),
    (lambda c: c["linux"].update(devices=[{"path": "/dev/x", "type": "q"}]),
     "linux.devices[0].type"),
    (lambda c: c["linux"].update(rootfsPropagation="sideways"), "linux.rootfsPropagation"),
    (lambda c: c["process"].update(terminal="yes"), "process.terminal"),
    (lambda c: c["process"].update(oomScoreAdj=5000), "process.oomScoreAdj"),
])
def test_errors_name_the_field(mutate, field):
    c = default_spec()
    mutate(c)
    with pytest.raises(ConfigError) as e:
        validate(c)
    assert str(e.value).startswith(field + ":"), str(e.value)


def test_hostname_needs_uts_namespace():
    c = default_spec()
    c["linux"]["namespaces"] = [{"type": "mount"}]
    with pytest.raises(ConfigError, match="^hostname:"):
        validate(c)


def test_load_names_the_file(tmp_path):
    path = tmp_path / "config.json"
    path.write_text("{not json")
    with pytest.raises(ConfigError, match="config.json: invalid JSON"):
        load(str(path))
    with pytest.raises(ConfigError, match="no such file"):
        load(str(tmp_path / "missing.json"))
    path.write_text(json.dumps(default_spec()))
    assert load(str(path))["process"]["args"] == ["sh"]
