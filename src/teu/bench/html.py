"""The self-contained HTML report: the machine, the table, the notes, the figures as
PNG data URIs (teu.bench.plots) and the full JSON, in one file that opens anywhere."""

from __future__ import annotations

import base64
import html
import os

from teu.bench import machine, plots, report

STYLE = """body{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222}
table{border-collapse:collapse;font-size:14px}td,th{border:1px solid #ccc;padding:3px 8px}
th{background:#eef}td:first-child{text-align:left}td{text-align:right}
img{max-width:100%;border:1px solid #ddd;margin:6px 0}.m{color:#666;font-size:13px}
pre{font-size:11px;background:#f6f6f6;padding:8px;overflow:auto}"""


def figure_names(res: dict) -> list[str]:
    """The report's figures: every panel, and the shop's when the run had the scenario."""
    return [n for n, _ in plots.PANELS] + (["shop"] if (res.get("scenario") or {}).get("shop")
                                           else [])


def render(res: dict) -> str:
    rows, notes = report.rows(res)
    esc = html.escape
    head = "".join(f"<th>{esc(c)}</th>" for c in rows[0])
    body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in r) + "</tr>"
                   for r in rows[1:])
    figures = "".join(
        f'<h2>{esc(name)}</h2><img alt="{esc(name)}" src="data:image/png;base64,'
        f'{base64.b64encode(plots.panel_png(res, name)).decode()}">'
        for name in figure_names(res))
    import json

    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>teu bench {esc(res['started'])}</title>
<style>{STYLE}</style></head><body>
<h1>teu bench</h1>
<p class="m">{esc(machine.line(res['machine']))}; started {esc(res['started'])}, finished
{esc(res.get('finished', ''))}; load at the end
{esc(' '.join(str(x) for x in res['machine'].get('load_average_end', [])))}</p>
<table><tr>{head}</tr>{body}</table>
<ul>{''.join(f'<li>{esc(n)}</li>' for n in notes)}</ul>
{figures}
<h2>JSON</h2><details><summary>the full result</summary>
<pre>{esc(json.dumps(res, indent=2))}</pre></details>
</body></html>
"""


def write(res: dict, path: str) -> None:
    text = render(res)
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)
