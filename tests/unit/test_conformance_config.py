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
