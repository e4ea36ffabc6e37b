"""The terminal table and the JSON of a `teu bench` result (the HTML report with its
plots is teu.bench.html). The table has one column per engine, the VM and the host;
a row that could not be measured says why below the table."""

from __future__ import annotations

import json

from teu.bench import machine

COLUMNS = ("teu", "podman", "docker", "vm", "host")


def to_json(res: dict) -> str:
    return json.dumps(res, indent=2, sort_keys=False)


def _num(v: object, fmt: str = "{:.1f}") -> str:
    return fmt.format(v) if isinstance(v, int | float) else "-"


def _spread(s: object) -> str:
    if not isinstance(s, dict) or "p50" not in s:
        return "-"
    return f"{s['p50']:.0f}/{s['p95']:.0f}/{s['max']:.0f}"


def rows(res: dict) -> tuple[list[list[str]], list[str]]:
    """(table rows, notes: what was skipped and why, and how each figure was taken)."""
    notes: list[str] = []
    st = res.get("startup_time_ms", {})
    mem = res.get("memory_overhead_mb", {})
    vm = res.get("vm", {})
    tp = res.get("throughput_rps", {})
    dens = res.get("density", {})

    def skipped(where: str, d: object) -> bool:
        if isinstance(d, dict) and "skipped" in d:
            notes.append(f"{where}: {d['skipped']}")
            return True
        return False

    for name, e in res.get("engines", {}).items():
        skipped(name, e)
    skipped("startup", st)
    skipped("vm", vm)
    out = [["metric", *COLUMNS]]

    def line(label: str, cells: dict[str, str]) -> None:
        out.append([label, *[cells.get(c, "") for c in COLUMNS]])

    line("startup cold ms p50/p95/max", {e: _spread(v.get("cold")) for e, v in st.items()
                                         if isinstance(v, dict)})
    line("startup warm ms p50/p95/max (vm: boot)", {
        **{e: _spread(v.get("warm")) for e, v in st.items() if isinstance(v, dict)},
        **({"vm": _spread(vm.get("boot_ms"))} if "boot_ms" in vm else {})})
    ready = st.get("teu", {}).get("ready") if isinstance(st.get("teu"), dict) else None
    if not skipped("time to ready", ready):
        line("time to ready ms p50/p95/max", {
            "teu": _spread(ready), **({"vm": _num(vm["ready_ms"], "{:.0f}")}
                                      if "ready_ms" in vm else {})})
    cells = {}
    for e, v in mem.items():
        if not skipped(f"memory {e}", v):
            cells[e] = _num(v.get("per_container"), "{:.2f}")
    if "pss_mib" in vm:
        cells["vm"] = _num(vm["pss_mib"], "{:.1f}")
    line(f"memory MiB per container (x{res['options']['memory_containers']})", cells)
    line("  container's own processes MiB", {
        e: _num(v.get("container_own_per_container"), "{:.2f}") for e, v in mem.items()
        if isinstance(v, dict) and "skipped" not in v})
    line("  daemons MiB", {e: _num(v.get("daemons_mib"), "{:.1f}") for e, v in mem.items()
                           if isinstance(v, dict) and "skipped" not in v})
    img = res.get("image_size_mb", {})
    if not skipped("image sizes", img) and "compressed" in img:
        line("image MB compressed / unpacked", {
            "teu": f"{img['compressed']:.2f} / {img['uncompressed']:.2f}"})
        sh = img["shared"]
        line(f"  {sh['images']} images sharing it: sum / disk", {
            "teu": f"{sh['sum_of_sizes']:.2f} / {sh['layers_disk_use']:.2f}"})
    if not skipped("throughput", tp) and "container" in tp:
        line(f"throughput req/s ({tp['tool']})", {
            "teu": _num(tp["container"], "{:.0f}"), "host": _num(tp["host"], "{:.0f}"),
            **({"vm": _num(vm["throughput_rps"], "{:.0f}")} if "throughput_rps" in vm
               else {})})
    for e, steps in dens.items():
        if e in ("limit", "limited_by", "steps") or skipped(f"density {e}", steps):
            continue
        for s in steps:
            start = s["start_ms"]["p50"] if s.get("start_ms") else None
            line(f"density {e} x{s['count']}: start ms, MiB/ctr", {
                e: f"{_num(start, '{:.0f}')}, {s['total_mib_per_container']:.2f}"})
    if dens and dens.get("steps") and dens["steps"][-1] < res["options"]["density"]:
        notes.append(f"density: limited to {dens['limit']} by {dens['limited_by']}")
    if vm.get("accel"):
        notes.append(f"vm: {vm['accel'].upper()} ({vm['accel_why']}); {vm.get('kernel', '')}, "
                     f"{vm.get('memory_mib')} MiB guest")
    if isinstance(vm.get("network"), str):
        notes.append(f"vm network: {vm['network']}")
    floor = vm.get("kvm_floor", {})
    if "ms" in floor:
        notes.append(f"/dev/kvm floor: {floor['ms']['p50']:.2f} ms p50 ({floor['what']})")
    for pair, rs in res.get("ratios", {}).items():
        shown = ", ".join(f"{k} {v:.2f}x" for k, v in rs.items() if v is not None)
        if shown:
            notes.append(f"ratio {pair}: {shown}")
    shop = res.get("scenario", {}).get("shop")
    if shop:
        for side in ("containers", "vms"):
            d = shop.get(side)
            if not d or skipped(f"shop {side}", d):
                continue
            notes.append(f"shop as {side}: all ready in {d['all_ready_ms']:.0f} ms, "
                         f"{d['memory_mib']:.1f} MiB, {d['total_rps']:.0f} req/s over "
                         f"{len(d['services'])} services")
    # columns nobody filled are dropped
    used = [i for i in range(1, len(COLUMNS) + 1) if any(r[i] for r in out[1:])]
    return [[r[0], *[r[i] for i in used]] for r in out], notes


def table(res: dict) -> str:
    body, notes = rows(res)
    widths = [max(len(r[i]) for r in body) for i in range(len(body[0]))]
    text = [f"teu bench: {machine.line(res['machine'])}; image "
            f"{res['engines'].get('teu', {}).get('image', '?')}"]
    for n, r in enumerate(body):
        text.append("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
        if n == 0:
            text.append("  ".join("-" * w for w in widths))
    text += [f"  {n}" for n in notes]
    return "\n".join(text) + "\n"
