"""teu bench for real, with small numbers, inside a test host (its published-port rows
make a bridge and nftables rules: only in a namespace of the test's own): the JSON's
fields, the VM under qemu (KVM tried, TCG when it cannot boot the kernel), the shop,
the HTML report and the PNG, and that nothing is left afterwards, also after Ctrl-C."""

from __future__ import annotations

import base64
import io
import json
import os
import signal
import sqlite3
import subprocess
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest
from tests.integration.engine_helpers import Teu, busybox_tar, mounts_under, teu_binary
from tests.integration.net_helpers import TestHost
from tests.integration.proc_helpers import kill_pids, pids_mentioning

from teu.bench import kernel, report

pytestmark = pytest.mark.root


def bench_argv() -> list[str]:
    return [teu_binary() or "teu", "bench"]


def assert_nothing_left(top: Path, host: TestHost) -> None:
    work = top / "work"
    left = [p.name for p in work.iterdir()] if work.exists() else []
    assert not left, f"bench left files: {left}"
    assert not pids_mentioning(str(work)), "bench left processes"
    assert not mounts_under(top), "bench left mounts"
    veths = [n for n in host.links() if n.startswith("veth")]
    assert not veths, f"bench left veths: {veths}"


class Images(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.srcs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "img":
            self.srcs.append(dict(attrs)["src"])


def check_png(data: bytes) -> None:
    import matplotlib.image

    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    pixels = matplotlib.image.imread(io.BytesIO(data), format="png")
    assert pixels.shape[0] > 200 and pixels.shape[1] > 300
    assert pixels.std() > 0.05  # not a blank canvas


@pytest.fixture
def host():
    if os.geteuid() != 0:
        pytest.skip("needs root")
    h = TestHost()
    try:
        yield h
    finally:
        h.remove()


def test_bench_json_vm_shop_and_report(tmp_path: Path, host: TestHost) -> None:
    if not kernel.locate(kernel.default_dir()):
        pytest.fail("no VM kernel: make deps (deps/vm-kernel.sh)")
    html_path, png_path = tmp_path / "report.html", tmp_path / "bench.png"
    p = host.run(*bench_argv(), "--runs", "1", "--density", "2", "--memory-containers", "2",
                 "--peers", "none", "--seconds", "1", "--rounds", "1", "--vm",
                 "--scenario", "shop", "--json", "--report", str(html_path),
                 "--plot", str(png_path), "--workdir", str(tmp_path / "work"), check=False,
                 timeout=400)
    assert p.returncode == 0, p.stderr
    res = json.loads(p.stdout)
    try:
        m = res["machine"]
        assert m["cores"] >= 1 and m["memory_mib"] > 0 and len(m["load_average"]) == 3
        st = res["startup_time_ms"]["teu"]
        for kind in ("cold", "warm", "ready"):
            assert st[kind]["n"] == 1 and 0 < st[kind]["min"] <= st[kind]["p50"] <= \
                st[kind]["p95"] <= st[kind]["max"], (kind, st[kind])
        mem = res["memory_overhead_mb"]["teu"]
        assert mem["containers"] == 2 and mem["processes"].startswith("2 (conmon")
        assert 0 < mem["per_container"] < 10 and mem["daemons_mib"] == 0
        img = res["image_size_mb"]
        assert 0 < img["compressed"] < img["uncompressed"]
        assert img["shared"]["layers_disk_use"] < img["shared"]["sum_of_sizes"]
        tp = res["throughput_rps"]
        assert tp["container"] > 0 and tp["host"] > 0 and tp["ratio"] > 0
        dens = res["density"]
        assert dens["steps"] == [1, 2] and [s["count"] for s in dens["teu"]] == [1, 2]
        assert all(s["total_mib_per_container"] > 0 for s in dens["teu"])
        vm = res["vm"]
        assert vm["accel"] in ("kvm", "tcg") and vm["accel_why"], vm
        if m["kvm"] == "kvm_pvm":  # this machine's KVM cannot boot a stock kernel
            assert vm["accel"] == "tcg" and "kvm_pvm" in vm["accel_why"]
        assert vm["boot_ms"]["n"] == 1 and vm["pss_mib"] > 10
        assert vm["ready_ms"] > vm["boot_ms"]["min"] and vm["throughput_rps"] > 0
        assert "ms" in vm["kvm_floor"] or "skipped" in vm["kvm_floor"]
        shop = res["scenario"]["shop"]
        for side in ("containers", "vms"):
            assert shop[side]["services"] == ["web", "catalog", "cart"], shop[side]
            assert shop[side]["all_ready_ms"] > 0 and shop[side]["total_rps"] > 0
            assert all(v > 0 for v in shop[side]["rps"].values())
        assert set(res["ratios"]["vm/container"]) == {"startup", "ready", "memory",
                                                      "throughput"}
        text = report.table(res)
        assert "startup warm ms" in text and "throughput req/s (wrk)" in text
    finally:
        assert_nothing_left(tmp_path, host)
    page = html_path.read_text()
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    imgs = Images()
    imgs.feed(page)
    assert len(imgs.srcs) == 5  # startup, density, vm, throughput, shop
    for src in imgs.srcs:
        assert src.startswith("data:image/png;base64,")
        check_png(base64.b64decode(src.split(",", 1)[1]))
    check_png(png_path.read_bytes())


def _containers(work: Path) -> int:
    for db in work.glob("teu-bench-*/teu/root/teu.db"):
        try:
            c = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
            try:
                return c.execute("SELECT count(*) FROM containers").fetchone()[0]
            finally:
                c.close()
        except sqlite3.Error:
            return 0
    return 0


def test_bench_interrupted_removes_everything(tmp_path: Path, host: TestHost) -> None:
    """Ctrl-C in the middle of the density row: exit 130, nothing left."""
    work = tmp_path / "work"
    proc = subprocess.Popen([*host.prefix(), *bench_argv(), "--runs", "1", "--density", "40",
                             "--memory-containers", "1", "--peers", "none", "--no-network",
                             "--workdir", str(work)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while _containers(work) < 4:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "density never reached 4 containers"
            time.sleep(0.1)
        # nsenter execs teu: the PID we started is teu's
        proc.send_signal(signal.SIGINT)
        assert proc.wait(120) == 130
        assert_nothing_left(tmp_path, host)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        kill_pids(pids_mentioning(str(work)))


def test_api_bench_reads_the_clients_image_beside_podman(tmp_path: Path) -> None:
    """client.bench(IMAGE) takes the image from the client's store (teu save, then load
    into the bench's private roots and podman's), measures podman in the same run and
    gives teu's ratios to it; no network rows."""
    if os.geteuid() != 0:
        pytest.skip("needs root")
    from teu.bench import engines

    if engines.installed("podman"):
        pytest.fail(f"podman: {engines.installed('podman')} (make deps)")
    import teu

    t = Teu(tmp_path / "store")
    tarball = tmp_path / "busybox.tar"
    tarball.write_bytes(busybox_tar(tmp_path))
    t.ok("import", str(tarball), "mine/base:1")
    client = teu.Client(str(t.root), str(t.runroot))
    with pytest.raises(TypeError):
        client.bench("mine/base:1", dencity=3)
    res = client.bench("mine/base:1", runs=1, density=1, memory_containers=1,
                       peers=["podman"], network=False, workdir=str(tmp_path / "work"))
    assert res["engines"]["teu"]["image"] == "mine/base:1"
    assert res["engines"]["podman"].get("version", "").startswith("4."), res["engines"]
    for name in ("teu", "podman"):
        assert res["startup_time_ms"][name]["warm"]["n"] == 1
        assert res["memory_overhead_mb"][name]["processes"] == "1 (conmon)"
        assert [s["count"] for s in res["density"][name]] == [1]
    ratios = res["ratios"]["teu/podman"]
    assert all(ratios[k] > 0 for k in ("startup_warm_p50", "startup_cold_p50",
                                        "memory_per_container"))
    assert res["throughput_rps"] == {"skipped": "not asked for (--no-network)"}
    assert not list((tmp_path / "work").iterdir())
    assert not pids_mentioning(str(tmp_path / "work")), "bench left processes"
    assert not mounts_under(tmp_path), "bench left mounts"
    assert not t.rows(), "the client's store got containers"


def test_bench_of_a_missing_image_is_one_line(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root")
    t = Teu(tmp_path / "store")
    p = t("bench", "nosuch:1", "--peers", "none", "--no-network", "--workdir",
          str(tmp_path / "work"))
    assert p.returncode == 1
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot read image nosuch:1: No such image" in lines[0], lines
    assert not list((tmp_path / "work").iterdir())
