"""teu bench's pure parts: statistics, density steps, the initramfs archive, the flags,
ratios, the table with skipped rows, the bundled load generator (on loopback), and the
VM rows saying why when qemu or the kernel is missing."""

from __future__ import annotations

import gzip
import http.server
import threading

import pytest

from teu.bench import httpload, initramfs, kernel, procs, report, runner, vm
from teu.bench.options import BenchOptions
from teu.bench.progress import Progress
from teu.cli import bench as cli_bench
from teu.cli._flags import UsageError


def test_summary_is_numpys_linear_percentiles() -> None:
    s = procs.summary([10.0, 20.0, 30.0, 40.0, 50.0])
    assert (s["p50"], s["p95"], s["max"], s["min"], s["n"]) == (30.0, 48.0, 50.0, 10.0, 5)
    assert procs.percentile([7.0], 0.95) == 7.0


@pytest.mark.parametrize(("asked", "limit", "steps"), [
    (100, 1000, [1, 10, 50, 100]), (5, 1000, [1, 5]), (100, 30, [1, 10, 30]),
    (1, 1000, [1]), (0, 1000, []), (10, 1000, [1, 10])])
def test_density_steps(asked: int, limit: int, steps: list[int]) -> None:
    assert BenchOptions(density=asked).density_steps(limit) == steps


def _entries(archive: bytes) -> dict[str, tuple[int, tuple[int, int], bytes]]:
    """name -> (mode, rdev, data) of a newc cpio archive."""
    out, at = {}, 0
    while True:
        assert archive[at:at + 6] == b"070701"
        f = [int(archive[at + 6 + 8 * i:at + 14 + 8 * i], 16) for i in range(13)]
        namesize, filesize = f[11], f[6]
        name_at = at + 110
        name = archive[name_at:name_at + namesize - 1].decode()
        data_at = name_at + namesize + (-(110 + namesize) % 4)
        data = archive[data_at:data_at + filesize]
        at = data_at + filesize + (-filesize % 4)
        if name == "TRAILER!!!":
            return out
        out[name] = (f[1], (f[9], f[10]), data)


def test_initramfs_is_a_newc_archive_with_busybox_and_the_marker(tmp_path) -> None:
    busybox = tmp_path / "busybox"
    busybox.write_bytes(b"\x7fELF fake busybox")
    mods = tmp_path / "mods" / "kernel"
    mods.mkdir(parents=True)
    for m in kernel.NET_MODULES:
        (mods / f"{m}.ko").write_bytes(m.encode())
    out = tmp_path / "initrd.gz"
    assert initramfs.build(str(busybox), str(tmp_path / "mods"), str(out)) == \
        list(kernel.NET_MODULES)
    files = _entries(gzip.decompress(out.read_bytes()))
    assert files["bin/busybox"][2] == b"\x7fELF fake busybox"
    assert files["bin/busybox"][0] & 0o111
    assert files["dev/console"][1] == (5, 1)
    init = files["init"][2].decode()
    assert init.startswith("#!/bin/busybox sh") and initramfs.MARKER in init
    # modules in their dependency order, before the network is configured
    loads = [line.split("/")[-1][:-3] for line in init.splitlines()
             if line.startswith("insmod")]
    assert loads == list(kernel.NET_MODULES)
    assert init.index("insmod") < init.index("ip link set eth0 up")
    # without the modules the guest still boots (no network rows)
    assert initramfs.build(str(busybox), str(tmp_path / "none"), str(out)) == []
    assert "insmod" not in _entries(gzip.decompress(out.read_bytes()))["init"][2].decode()


def test_unpack_vmlinux_finds_the_lz4_frame(tmp_path) -> None:
    import shutil
    import subprocess

    if not shutil.which("lz4"):
        pytest.skip("lz4 not installed (make deps)")
    elf = b"\x7fELF" + bytes(range(256)) * 64
    frame = subprocess.run(["lz4", "-l", "-c"], input=elf, capture_output=True,
                           check=True).stdout
    image = tmp_path / "vmlinuz"
    image.write_bytes(b"MZ setup code" + b"\0" * 100 + frame + b"tail of the bzImage")
    assert kernel.unpack_vmlinux(str(image), str(tmp_path / "vmlinux"))
    assert (tmp_path / "vmlinux").read_bytes() == elf
    image.write_bytes(b"no frame here")
    assert not kernel.unpack_vmlinux(str(image), str(tmp_path / "other"))


def _opts(argv: list[str]) -> BenchOptions:
    from teu.cli._flags import parse

    opts, args = parse(argv, cli_bench.FLAGS)
    return cli_bench.options(opts, args)


def test_cli_options() -> None:
    o = _opts(["--runs", "3", "--density", "5", "--vm", "--peers", "none", "img:1"])
    assert (o.image, o.runs, o.density, o.vm, o.peers) == ("img:1", 3, 5, True, ())
    assert _opts([]).peers is None and _opts([]).network
    assert _opts(["--peers", "podman"]).peers == ("podman",)
    for bad in (["--runs", "0"], ["--plot", "x.gif"], ["--vm-accel", "hvf"],
                ["--scenario", "bank"], ["--peers", "lxc"]):
        with pytest.raises(UsageError) as e:
            _opts(bad)
        assert e.value.exit_code == 125 and "teu bench --help" in str(e.value)


def _result() -> dict:
    return {"machine": {"cores": 2, "memory_mib": 2048, "kernel": "6.1", "kvm": "none",
                        "load_average": [1.0, 0.5, 0.2]},
            "options": {"memory_containers": 10, "density": 100}, "started": "now",
            "engines": {"teu": {"image": "busybox"}, "podman": {"version": "4.3.1"},
                        "docker": {"skipped": "not installed"}},
            "startup_time_ms": {
                "teu": {"cold": procs.summary([100, 120]), "warm": procs.summary([50, 60]),
                        "ready": {"skipped": "no bridge here"}},
                "podman": {"cold": procs.summary([300]), "warm": procs.summary([200])}},
            "memory_overhead_mb": {"teu": {"per_container": 0.5,
                                           "container_own_per_container": 0.5,
                                           "daemons_mib": 0},
                                   "podman": {"per_container": 0.5, "daemons_mib": 0}},
            "throughput_rps": {"skipped": "not asked for (--no-network)"},
            "density": {"limit": 30, "limited_by": "memory", "steps": [1, 10, 30]},
            "vm": {"skipped": "qemu-system-x86_64 not found", "kvm_floor": {"skipped": "x"}}}


def test_ratios_and_table_say_what_was_skipped() -> None:
    res = _result()
    r = runner.ratios(res)
    assert r["teu/podman"]["startup_warm_p50"] == round(55 / 200, 3)
    assert r["teu/podman"]["memory_per_container"] == 1.0
    assert "teu/docker" not in r and "vm/container" not in r
    res["ratios"] = r
    text = report.table(res)
    assert "docker: not installed" in text
    assert "vm: qemu-system-x86_64 not found" in text
    assert "time to ready teu: no bridge here" in text
    assert "throughput: not asked for" in text
    assert "density: limited to 30 by memory" in text
    assert "ratio teu/podman: startup_warm_p50 0.28x" in text
    header = text.splitlines()[1].split()
    assert header == ["metric", "teu", "podman"]  # no column for what nobody measured


def test_vm_rows_say_why_without_qemu_or_kernel(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(vm.shutil, "which", lambda name: None)
    out = vm.measure(1, "tcg", str(tmp_path), str(tmp_path), None, 1, Progress(1, False), [])
    assert "qemu-system-x86_64 not found" in out["skipped"] and "kvm_floor" in out

    def no_kernel(d: str) -> dict:
        raise kernel.KernelError("apt-cache knows no linux-image-cloud-amd64")

    monkeypatch.setattr(vm.shutil, "which", lambda name: "/usr/bin/" + name)
    monkeypatch.setattr(vm.kernel, "fetch", no_kernel)
    out = vm.measure(1, "tcg", str(tmp_path), str(tmp_path), None, 1, Progress(1, False), [])
    assert out["skipped"].startswith("no kernel for the VM: apt-cache knows no")


def test_bundled_load_generator_on_loopback(tmp_path) -> None:
    (tmp_path / "index.html").write_text("x" * 100)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **kw) -> None:
            super().__init__(*a, directory=str(tmp_path), **kw)

        def log_message(self, *a) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    try:
        port = server.server_address[1]
        assert httpload.answers(port)
        assert httpload._bundled(port, 1, 4) > 10
    finally:
        server.shutdown()
        server.server_close()


def test_report_renders_with_rows_missing() -> None:
    """The HTML report of a run where most rows were skipped still has every figure."""
    from teu.bench import html

    res = _result()
    res["ratios"] = runner.ratios(res)
    assert len(html.figure_names(res)) == 4  # no shop figure without the scenario
    res["scenario"] = {"shop": {"containers": {"skipped": "no bridge"},
                                "vms": {"skipped": "not asked for (--vm)"}}}
    assert html.figure_names(res)[-1] == "shop"
    page = html.render(res)  # one render (each figure is a matplotlib PNG: seconds)
    assert page.count('src="data:image/png;base64,') == 5 and "shop containers: no bridge" in page
    assert "docker: not installed" in page
