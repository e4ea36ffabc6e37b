"""The README's containerd configuration and RuntimeClass for teu-runtime are what they
claim: the TOML parses into containerd 1.6's CRI shape with a `teu` handler beside `runc`,
and the manifests pass Kubernetes' own schemas (kubernetes-validate, strict) naming that
handler."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

README = Path(__file__).resolve().parents[2] / "README.md"
SECTION = "### teu-runtime on a Kubernetes node (containerd's CRI)"


def _blocks(lang: str) -> list[str]:
    text = README.read_text()
    start = text.index(SECTION)
    end = text.index("\n## ", start)
    return re.findall(rf"```{lang}\n(.*?)```", text[start:end], re.S)


def _runtimes() -> dict:
    (toml,) = _blocks("toml")
    config = tomllib.loads(toml)
    return config["plugins"]["io.containerd.grpc.v1.cri"]["containerd"]["runtimes"]


def test_containerd_config_has_teu_beside_runc() -> None:
    runtimes = _runtimes()
    assert set(runtimes) == {"runc", "teu"}
    for handler in runtimes.values():
        assert handler["runtime_type"] == "io.containerd.runc.v2"
    assert runtimes["teu"]["options"]["BinaryName"].endswith("/teu-runtime")


@pytest.mark.parametrize("version", ["1.30", "1.32"])
def test_runtimeclass_and_pod_pass_kubernetes_schemas(version: str) -> None:
    (manifests,) = _blocks("yaml")
    docs = list(yaml.safe_load_all(manifests))
    assert [d["kind"] for d in docs] == ["RuntimeClass", "Pod"]
    for doc in docs:
        kubernetes_validate.validate(doc, version, strict=True)
    runtime_class, pod = docs
    assert runtime_class["handler"] in _runtimes()
    assert pod["spec"]["runtimeClassName"] == runtime_class["metadata"]["name"]
