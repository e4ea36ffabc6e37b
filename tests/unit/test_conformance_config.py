"""Config checks the OCI runtime-tools validation suite asks for (docs/conformance.md)."""

import pytest

from teu.oci.runtime_config import ConfigError, validate
from teu.runtime import capabilities
from teu.runtime.spec import default_spec


@pytest.mark.parametrize("cap_set", ["bounding", "effective", "inheritable", "permitted",
                                     "ambient"])
def test_an_unknown_capability_is_an_error(cap_set):
    c = default_spec()
    c["process"]["capabilities"][cap_set] = ["CAP_KILL", "CAP_TEST"]
    with pytest.raises(ConfigError) as e:
        validate(c)
    assert f"process.capabilities.{cap_set}" in str(e.value)
    assert "'CAP_TEST'" in str(e.value)


def test_capabilities_may_be_spelled_without_prefix_or_in_lower_case():
    c = default_spec()
    c["process"]["capabilities"]["bounding"] = ["kill", "cap_chown", "CAP_CHECKPOINT_RESTORE"]
    validate(c)
    assert capabilities.mask(["kill", "cap_chown"], 40) == (1 << 5) | (1 << 0)


def test_capabilities_newer_than_the_kernel_are_left_out():
    assert capabilities.mask(["CAP_CHECKPOINT_RESTORE", "CAP_BPF"], 39) == 1 << 39


def test_an_apparmor_profile_is_refused_where_apparmor_is_off(monkeypatch):
    from teu.runtime import apparmor

    monkeypatch.setattr(apparmor, "enabled", lambda: False)
    apparmor.check({"args": ["true"]})  # no profile: nothing to refuse
    with pytest.raises(apparmor.AppArmorError) as e:
        apparmor.check({"args": ["true"], "apparmorProfile": "acme"})
    assert str(e.value) == "process.apparmorProfile 'acme': AppArmor is not enabled on this host"
    monkeypatch.setattr(apparmor, "enabled", lambda: True)
    apparmor.check({"args": ["true"], "apparmorProfile": "acme"})


def test_the_apparmor_profile_is_written_for_the_next_exec(monkeypatch, tmp_path):
    from teu.runtime import apparmor

    attr = tmp_path / "exec"
    attr.write_text("")
    real_open = apparmor.os.open

    def fake_open(path, flags, *a):
        if path == "/proc/self/attr/apparmor/exec":
            raise FileNotFoundError(path)
        if path == "/proc/self/attr/exec":
            path = str(attr)
        return real_open(path, flags, *a)

    monkeypatch.setattr(apparmor.os, "open", fake_open)
    apparmor.apply_on_exec("acme")
    assert attr.read_text() == "exec acme"
    apparmor.apply_on_exec(None)  # nothing asked, nothing written
    assert attr.read_text() == "exec acme"
