"""`teu bench [IMAGE]`: startup, memory, image size, throughput and density measured on
this machine, beside podman/docker when installed and a qemu VM with --vm (teu.bench).

The rows that publish a port make a bridge and nftables rules in the network namespace
teu runs in, as `teu run -p` does: to keep them off a machine's own network, run it in
a namespace of its own (`ip netns add b; nsenter --net=/run/netns/b teu bench`) or pass
--no-network."""

from __future__ import annotations

import subprocess
import sys

from teu.cli._flags import BOOL, INT, STR, Flag, UsageError, parse_or_help
from teu.errors import TeuError

FLAGS = [
    Flag("runs", "n", INT, "Samples per startup row (default 10)"),
    Flag("density", None, INT, "Most idle containers at once: 1, 10, 50, 100 up to it "
         "(default 100, 0: none)"),
    Flag("memory-containers", None, INT, "Idle containers beside which memory is measured "
         "(default 10)"),
    Flag("vm", None, BOOL, "Boot the same userland as a qemu VM and compare"),
    Flag("vm-accel", None, STR, "auto (KVM when it boots the kernel, else TCG), kvm, tcg"),
    Flag("kernel-dir", None, STR, "The VM's kernel (default $TEU_PEERS/vm-kernel, fetched "
         "there with apt-get download when missing)"),
    Flag("scenario", None, STR, "shop: web, catalog and cart as containers (and VMs)"),
    Flag("peers", None, STR, "Comma-separated peers to measure (podman,docker; none). "
         "Default: those installed"),
    Flag("seconds", None, INT, "Seconds per throughput round (default 5)"),
    Flag("rounds", None, INT, "Alternating throughput rounds (default 3)"),
    Flag("no-network", None, BOOL, "Skip the rows that publish a port (no bridge made)"),
    Flag("workdir", None, STR, "Where the private roots go (default: a temporary dir)"),
    Flag("json", None, BOOL, "Print the result as JSON instead of the table"),
    Flag("report", None, STR, "Write a self-contained HTML report with plots", "FILE.html"),
    Flag("plot", None, STR, "Write the summary figure (.png or .svg)", "FILE"),
    Flag("quiet", "q", BOOL, "No progress bar"),
]


def options(opts: dict, args: list[str]):  # noqa: ANN201 - teu.bench.BenchOptions
    from teu.bench.options import BenchOptions

    def count(name: str, default: int, low: int) -> int:
        v = opts.get(name.replace("-", "_"), default)
        if v < low:
            raise UsageError(f"invalid argument \"{v}\" for \"--{name}\": must be at least "
                             f"{low}\nSee 'teu bench --help'.", 125)
        return v

    accel = opts.get("vm_accel", "auto")
    if accel not in ("auto", "kvm", "tcg"):
        raise UsageError(f'invalid argument "{accel}" for "--vm-accel": auto, kvm or tcg\n'
                         "See 'teu bench --help'.", 125)
    scenario = opts.get("scenario")
    if scenario not in (None, "shop"):
        raise UsageError(f'invalid argument "{scenario}" for "--scenario": the one '
                         "scenario is shop\nSee 'teu bench --help'.", 125)
    plot = opts.get("plot")
    if plot and not plot.lower().endswith((".png", ".svg")):
        raise UsageError(f'invalid argument "{plot}" for "--plot": a .png or .svg file\n'
                         "See 'teu bench --help'.", 125)
    peers = None
    if "peers" in opts:
        peers = tuple(p for p in opts["peers"].split(",") if p and p != "none")
        bad = [p for p in peers if p not in ("podman", "docker")]
        if bad:
            raise UsageError(f'invalid argument "{opts["peers"]}" for "--peers": podman, '
                             "docker or none\nSee 'teu bench --help'.", 125)
    return BenchOptions(
        image=args[0] if args else None, runs=count("runs", 10, 1),
        density=count("density", 100, 0), memory_containers=count("memory-containers", 10, 1),
        vm=bool(opts.get("vm")) or bool(scenario and opts.get("vm")), vm_accel=accel,
        scenario=scenario, peers=peers, seconds=count("seconds", 5, 1),
        rounds=count("rounds", 3, 1), network=not opts.get("no_network"),
        kernel_dir=opts.get("kernel_dir"), workdir=opts.get("workdir"),
        progress=not opts.get("quiet"))


def main(argv: list[str]) -> int:
    parsed = parse_or_help(argv, FLAGS, "teu bench", "[OPTIONS] [IMAGE]",
                           "Measure container startup, memory, image size, throughput and "
                           "density on this machine (and against a VM with --vm).\nThe rows "
                           "that publish a port make teu's bridge in this network namespace, "
                           "as `teu run -p` does\n(--no-network skips them)", True, 0, 1)
    if parsed is None:
        return 0
    opts, args = parsed
    bench_opts = options(opts, args)
    if opts.get("report") or opts.get("plot"):
        from teu.bench import plots

        plots.require()  # before measuring: no matplotlib is a one-line error now
    from teu.bench import report, runner

    try:
        result = runner.run(bench_opts)
    except (RuntimeError, subprocess.SubprocessError) as e:  # nothing measured at all
        raise TeuError(str(e).strip().splitlines()[-1] if str(e) else repr(e), 1) from None
    if opts.get("report"):
        from teu.bench import html

        html.write(result, opts["report"])
    if opts.get("plot"):
        from teu.bench import plots

        plots.summary_figure(result, opts["plot"])
    sys.stdout.write(report.to_json(result) + "\n" if opts.get("json")
                     else report.table(result))
    return 0
