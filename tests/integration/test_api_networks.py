"""client.networks and images.build through teu.api. The network calls run in a forked
child that has entered a test host's network namespace first (the process that makes
bridges must be inside it: nothing here touches the machine's own network)."""

from __future__ import annotations

import os

import pytest
from tests.integration.engine_helpers import IMAGE, private_teu
from tests.integration.net_helpers import host_teu

from teu.api import Client
from teu.engine.forked import in_child  # a fork of this test: setns there, not here
from teu.errors import BuildError, NotFound

pytestmark = pytest.mark.root


@pytest.fixture
def hteu(tmp_path):  # noqa: ANN001, ANN201
    yield from host_teu(tmp_path)


@pytest.fixture
def teu(tmp_path):  # noqa: ANN001, ANN201
    yield from private_teu(tmp_path)


def test_networks_collection_in_a_test_host(hteu) -> None:  # noqa: ANN001
    root, runroot, netns = str(hteu.root), str(hteu.runroot), hteu.host.path

    def scenario() -> dict:
        from teu.runtime import linux

        fd = os.open(netns, os.O_RDONLY)
        linux.syscalls().setns(fd, linux.CLONE_NEWNET)
        os.close(fd)
        client = Client(root, runroot)
        net = client.networks.create("apinet", labels={"k": "v"},
                                     ipam={"Driver": "default",
                                           "Config": [{"Subnet": "10.91.0.0/24"}]})
        seen = {"name": net.name, "labels": net.attrs["Labels"],
                "subnet": net.attrs["IPAM"]["Config"][0]["Subnet"]}
        srv = client.containers.run(IMAGE, "httpd -f -p 80 -h /etc", detach=True,
                                    name="srv", network="apinet")
        seen["srv-id"] = srv.short_id
        seen["by-name"] = client.containers.run(
            IMAGE, ["wget", "-q", "-O-", "http://srv/hostname"], network="apinet",
            remove=True).decode()
        other = client.containers.create(IMAGE, "sleep 60", name="late")
        net.connect(other, aliases=["later"])
        net.reload()
        other.reload()
        # docker's network lists running endpoints; the created one has it in its settings
        seen["attached"] = sorted(c.name for c in net.containers)
        seen["late-networks"] = sorted(other.attrs["NetworkSettings"]["Networks"])
        seen["listed"] = [n.name for n in client.networks.list(names=["apinet"])]
        srv.remove(force=True)
        other.remove(force=True)
        net.remove()
        try:
            client.networks.get("apinet")
            seen["gone"] = False
        except NotFound:
            seen["gone"] = True
        return seen

    seen = in_child(scenario)
    assert seen["name"] == "apinet" and seen["labels"] == {"k": "v"}
    assert seen["subnet"] == "10.91.0.0/24"
    # the name srv resolved to that container: its hostname (docker's: the short ID)
    assert seen["by-name"].strip() == seen["srv-id"]
    assert seen["attached"] == ["srv"] and "apinet" in seen["late-networks"]
    assert seen["listed"] == ["apinet"] and seen["gone"] is True


def test_images_build(teu, tmp_path) -> None:  # noqa: ANN001
    client = Client(str(teu.root), str(teu.runroot))
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text("FROM busybox\nCOPY f /f\nRUN wc -c /f > /n\n"
                                    'CMD ["cat", "/n"]\n')
    (ctx / "f").write_text("12345\n")
    image, log = client.images.build(path=str(ctx), tag="apibuilt:1", network_mode="none")
    assert image.tags == ["apibuilt:1"]
    assert any("RUN wc -c /f" in entry["stream"] for entry in log)
    assert client.containers.run("apibuilt:1", remove=True) == b"6 /f\n"
    (ctx / "Dockerfile").write_text("FROM busybox\nRUN exit 3\n")
    with pytest.raises(BuildError) as e:
        client.images.build(path=str(ctx), network_mode="none")
    assert "exit code: 3" in str(e.value), str(e.value)
