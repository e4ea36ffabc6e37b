"""The report's figures, drawn with matplotlib (the optional extra `teu[report]`,
imported only here): startup distribution, memory per container against count,
container against VM, throughput. Each carries the machine it was measured on."""

from __future__ import annotations

import io

from teu.bench import machine
from teu.errors import TeuError

ENGINE_COLORS = {"teu": "#2b7bb9", "podman": "#892ca0", "docker": "#2ca02c",
                 "vm": "#d9822b", "host": "#5a5a5a"}


def require() -> None:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise TeuError("--report and --plot need matplotlib: pip install 'teu[report]' "
                       "(or apt-get install python3-matplotlib)", 1) from None


def _pyplot():  # noqa: ANN202
    import matplotlib

    matplotlib.use("Agg")  # files only, never a display
    import matplotlib.pyplot as plt

    return plt


def _engines(res: dict, key: str) -> list[str]:
    d = res.get(key, {})
    return [e for e in ("teu", "podman", "docker")
            if isinstance(d.get(e), dict) and "skipped" not in d[e]]


def startup(ax, res: dict) -> None:  # noqa: ANN001 - a matplotlib Axes
    st = res.get("startup_time_ms", {})
    data, labels, colors = [], [], []
    for e in _engines(res, "startup_time_ms"):
        for kind in ("cold", "warm"):
            s = st[e].get(kind)
            if isinstance(s, dict) and s.get("samples"):
                data.append(s["samples"])
                ratio = res.get("ratios", {}).get(f"teu/{e}", {}).get(f"startup_{kind}_p50")
                labels.append(f"{e}\n{kind}" + (f"\nteu {ratio:.2f}x" if ratio else ""))
                colors.append(ENGINE_COLORS[e])
        ready = st[e].get("ready")
        if isinstance(ready, dict) and ready.get("samples"):
            data.append(ready["samples"])
            labels.append(f"{e}\nto ready")
            colors.append(ENGINE_COLORS[e])
    if not data:
        ax.text(0.5, 0.5, "not measured", ha="center", transform=ax.transAxes)
        return
    box = ax.boxplot(data, patch_artist=True, widths=0.6)
    ax.set_xticks(range(1, len(labels) + 1), labels)
    for patch, c in zip(box["boxes"], colors, strict=True):
        patch.set_facecolor(c)
        patch.set_alpha(0.35)
    for i, (d, c) in enumerate(zip(data, colors, strict=True), start=1):
        ax.plot([i + 0.08 * ((j % 5) - 2) for j in range(len(d))], d, "o", color=c,
                markersize=3, alpha=0.7)
    ax.set_ylabel("ms")
    ax.set_title("startup: run --rm true (cold, warm), -d httpd to first answer")


def density(ax, res: dict) -> None:  # noqa: ANN001
    d = res.get("density", {})
    drawn = False
    for e in ("teu", "podman", "docker"):
        steps = d.get(e)
        if not isinstance(steps, list) or not steps:
            continue
        counts = [s["count"] for s in steps]
        label = f"{e}: all processes"
        teu_last = (d.get("teu") or [{}])[-1].get("total_mib_per_container")
        if e != "teu" and teu_last:
            label += f" (teu {teu_last / steps[-1]['total_mib_per_container']:.2f}x at "
            label += f"{counts[-1]})"
        ax.plot(counts, [s["total_mib_per_container"] for s in steps], "o-",
                color=ENGINE_COLORS[e], label=label)
        ax.plot(counts, [s["engine_mib_per_container"] for s in steps], "s--",
                color=ENGINE_COLORS[e], alpha=0.6, label=f"{e}: engine only")
        drawn = True
    if not drawn:
        ax.text(0.5, 0.5, "not measured", ha="center", transform=ax.transAxes)
        return
    ax.set_xscale("log")
    ax.set_yscale("log")  # a daemon's cost over one container dwarfs the rest otherwise
    ax.minorticks_off()
    counts = d.get("steps") or []
    ax.set_xticks(counts, [str(c) for c in counts])
    ax.set_xlabel("idle containers at once")
    ax.set_ylabel("MiB PSS per container")
    ax.set_title("memory per container against count")
    ax.legend(fontsize=7)


def versus_vm(ax, res: dict) -> None:  # noqa: ANN001
    st = res.get("startup_time_ms", {}).get("teu", {})
    mem = res.get("memory_overhead_mb", {}).get("teu", {})
    vm = res.get("vm", {})
    ctr_mem = None
    if isinstance(mem, dict) and "per_container" in mem:
        ctr_mem = mem["per_container"] + mem.get("container_own_per_container", 0)
    rows = [("start ms", (st.get("warm") or {}).get("p50"), (vm.get("boot_ms") or {}).get("p50")),
            ("to ready ms", (st.get("ready") or {}).get("p50"), vm.get("ready_ms")),
            ("memory MiB", ctr_mem, vm.get("pss_mib"))]
    floor = (vm.get("kvm_floor") or {}).get("ms", {}).get("p50")
    x = range(len(rows))
    ax.bar([i - 0.2 for i in x], [r[1] or 0 for r in rows], 0.4, label="teu container",
           color=ENGINE_COLORS["teu"])
    accel = (vm.get("accel") or "vm").upper()
    ax.bar([i + 0.2 for i in x], [r[2] or 0 for r in rows], 0.4,
           label=f"qemu VM ({accel})" if "boot_ms" in vm else "VM: not measured",
           color=ENGINE_COLORS["vm"])
    for i, (_, c, v) in enumerate(rows):
        if c and v:
            ax.text(i + 0.2, v, f"{v / c:.0f}x", ha="center", va="bottom", fontsize=8)
    if floor:
        ax.axhline(floor, color="gray", linestyle=":", label=f"/dev/kvm floor {floor:.2f} ms "
                   "(3-instruction guest)")
    ax.set_xticks(list(x), [r[0] for r in rows])
    ax.set_yscale("log")
    ax.set_title("container vs VM (log scale; label: VM / container)")
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=3)


def throughput(ax, res: dict) -> None:  # noqa: ANN001
    tp = res.get("throughput_rps", {})
    vm = res.get("vm", {})
    bars = []
    if "host" in tp:
        bars += [("host", tp["host"]), ("teu container\n(published port)", tp["container"])]
    if "throughput_rps" in vm:
        bars.append((f"VM ({vm['accel'].upper()},\nuser net)", vm["throughput_rps"]))
    if not bars:
        ax.text(0.5, 0.5, "not measured", ha="center", transform=ax.transAxes)
        return
    colors = [ENGINE_COLORS["host"], ENGINE_COLORS["teu"], ENGINE_COLORS["vm"]][:len(bars)]
    ax.bar([b[0] for b in bars], [b[1] for b in bars], color=colors)
    host = tp.get("host")
    for i, (_, v) in enumerate(bars):
        ax.text(i, v, f"{v:.0f}" + (f"\n{v / host:.2f}x host" if host else ""), ha="center",
                va="bottom", fontsize=8)
    ax.set_ylabel("requests/s")
    ax.set_title(f"busybox httpd, {tp.get('tool', '')} on 127.0.0.1")


def shop(ax, res: dict) -> None:  # noqa: ANN001
    sh = (res.get("scenario") or {}).get("shop") or {}
    rows = [("all ready ms", "all_ready_ms"), ("memory MiB", "memory_mib"),
            ("req/s across", "total_rps")]
    if not any("total_rps" in (sh.get(side) or {}) for side in ("containers", "vms")):
        ax.text(0.5, 0.5, "not measured", ha="center", transform=ax.transAxes)
        return
    x = range(len(rows))
    for offset, side, color in ((-0.2, "containers", ENGINE_COLORS["teu"]),
                                (0.2, "vms", ENGINE_COLORS["vm"])):
        d = sh.get(side) or {}
        label = f"as {side}" + (f" ({d['accel'].upper()})" if d.get("accel") else "")
        if "skipped" in d or not d:
            label += ": not measured"
        ax.bar([i + offset for i in x], [d.get(k) or 0 for _, k in rows], 0.4, color=color,
               label=label)
    ax.set_xticks(list(x), [r[0] for r in rows])
    ax.set_yscale("log")
    ax.set_title("shop: web, catalog, cart (log scale)")
    ax.legend(fontsize=7)


PANELS = (("startup", startup), ("density", density), ("vm", versus_vm),
          ("throughput", throughput))
EXTRA_PANELS = (("shop", shop),)


def _caption(fig, res: dict) -> None:  # noqa: ANN001
    fig.text(0.01, 0.005, f"{machine.line(res['machine'])}; {res['started']}", fontsize=7,
             color="gray")


def panel_png(res: dict, name: str) -> bytes:
    plt = _pyplot()
    fn = dict(PANELS + EXTRA_PANELS)[name]
    fig, ax = plt.subplots(figsize=(7, 4.2))
    fn(ax, res)
    _caption(fig, res)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    return buf.getvalue()


def summary_figure(res: dict, path: str) -> None:
    """All four panels in one picture, .png or .svg by the file's name."""
    plt = _pyplot()
    fig, axes = plt.subplots(2, 2, figsize=(13, 8.5))
    for ax, (_, fn) in zip(axes.flat, PANELS, strict=True):
        fn(ax, res)
    fig.suptitle("teu bench")
    _caption(fig, res)
    fig.tight_layout(rect=(0, 0.02, 1, 0.97))
    fig.savefig(path, format="svg" if path.lower().endswith(".svg") else "png", dpi=100)
    plt.close(fig)
