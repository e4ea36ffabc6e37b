"""Lint rules over a store image: the config's user, environment, health check and ports,
the build history, and the files of every layer, deleted-later ones included."""

from __future__ import annotations

import re

from teu.scan import secrets
from teu.scan.inventory.image import ScannedImage
from teu.scan.inventory.merge import deleted_secrets
from teu.scan.lint.findings import LintFinding
from teu.scan.lint.refs import is_root_user, tag_problem

# BuildKit writes a RUN's build arguments before its command: "|2 NAME=value NAME=value ...".
_BUILD_ARGS = re.compile(r"^\|\d+ ((?:[A-Za-z_][A-Za-z0-9_]*=\S*\s+)+)")


def lint_image(img: ScannedImage, ref: str) -> list[LintFinding]:
    out: list[LintFinding] = []
    name = ref

    def add(rule: str, msg: str) -> None:
        out.append(LintFinding(rule, msg, name))

    problem = tag_problem(ref) if ":" in ref or "/" in ref or ref.isalpha() else None
    if problem and not ref.startswith("sha256:"):
        add(problem, f"{ref}: " + ("the latest tag" if problem == "TEU102"
                                   else "no tag or digest (means latest)"))
    cfg = img.config.get("config") or {}
    user = cfg.get("User") or ""
    if not user:
        add("TEU100", "the image sets no USER: its containers run as root")
    elif is_root_user(user):
        add("TEU101", f"the image's USER is {user}")
    for e in cfg.get("Env") or []:
        key, _, value = str(e).partition("=")
        what = secrets.in_text(value) if value else None
        if value and (secrets.secret_name(key) or what):
            add("TEU201", f"ENV {key}: " + (f"value looks like a {what}" if what
                                            else "named like a secret"))
    for i, h in enumerate(img.config.get("history") or []):
        cmd = str((h or {}).get("created_by") or "")
        what = secrets.in_text(cmd)
        if not what:
            m = _BUILD_ARGS.match(cmd)
            if m:
                names = [a.split("=", 1)[0] for a in m.group(1).split()
                         if a.split("=", 1)[1]]
                bad = [n for n in names if secrets.secret_name(n)]
                what = f"build argument {', '.join(bad)}" if bad else None
        if what:
            add("TEU202", f"history step {i + 1} holds a {what}")
    test = (cfg.get("Healthcheck") or {}).get("Test") or []
    if not test or test[0] == "NONE":
        add("TEU401", "the image has no HEALTHCHECK")
    for port in (cfg.get("ExposedPorts") or {}):
        if str(port).split("/")[0] == "22":
            add("TEU402", f"the image exposes {port}")
    deleted = deleted_secrets(img.layers)
    for n, facts in enumerate(img.layers, 1):
        for hit in facts.secrets:
            path = "/" + hit["path"]
            if (facts.diff_id, hit["path"]) in deleted:
                add("TEU204", f"layer {n} ({facts.diff_id[7:19]}): {path}: {hit['what']}, "
                              "deleted by a later layer but still in this one")
            else:
                add("TEU203", f"layer {n} ({facts.diff_id[7:19]}): {path}: {hit['what']}")
    return out
