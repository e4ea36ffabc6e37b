"""`compose watch`: the services' `develop.watch` rules acted on as their files change,
as docker compose does: `sync` copies changed files into the running container (and
removes deleted ones), `sync+restart` then restarts it, `sync+exec` then runs the rule's
command in it, `rebuild` builds the service's image again and recreates its container.

Changes are found by polling (mtime and size of every file under a rule's path, twice
a second): no inotify binding is needed, and a burst of writes becomes one action.
Engine calls that enter a container (cp, exec, restart) run in a forked child, as the
CLI's separate commands would."""

from __future__ import annotations

import fnmatch
import os
import time
from collections.abc import Callable

from teu.compose.errors import ComposeError


def rules(model: dict, services: list[str]) -> list[tuple[str, dict]]:
    """(service, rule) for every watch rule of the services (all when none named)."""
    out = []
    for name in services or sorted(model["services"]):
        for rule in ((model["services"][name].get("develop") or {}).get("watch") or []):
            if rule.get("action") not in ("sync", "rebuild", "sync+restart", "sync+exec",
                                          "restart"):
                raise ComposeError(f"services.{name}.develop.watch: unknown action "
                                   f"{rule.get('action')!r}")
            if rule.get("action", "").startswith("sync") and not rule.get("target"):
                raise ComposeError(f"services.{name}.develop.watch: {rule['action']} needs "
                                   "a target")
            out.append((name, rule))
    if not out:
        raise ComposeError("none of the selected services is configured for watch, "
                           "consider setting a 'develop' section")
    return out


def ignored(rel: str, patterns: list[str]) -> bool:
    """A path relative to the rule's path matches one of its ignore patterns (a pattern
    ending in / names a directory and everything under it)."""
    parts = rel.split("/")
    for p in patterns:
        if p.endswith("/"):
            if p.rstrip("/") in parts[:-1] or fnmatch.fnmatch(parts[0], p.rstrip("/")):
                return True
        elif fnmatch.fnmatch(rel, p) or fnmatch.fnmatch(parts[-1], p):
            return True
    return False


def snapshot(path: str, ignore: list[str]) -> dict[str, tuple[int, int]]:
    """{relative path: (mtime_ns, size)} of the files under path (or of path itself)."""
    if os.path.isfile(path):
        st = os.stat(path)
        return {"": (st.st_mtime_ns, st.st_size)}
    out = {}
    for top, _dirs, files in os.walk(path):
        rel_top = os.path.relpath(top, path)
        for f in files:
            rel = f if rel_top == "." else f"{rel_top}/{f}"
            if ignored(rel, ignore):
                continue
            try:
                st = os.lstat(os.path.join(top, f))
            except FileNotFoundError:
                continue
            out[rel] = (st.st_mtime_ns, st.st_size)
    return out


def changes(old: dict, new: dict) -> tuple[list[str], list[str]]:
    """(changed or added, deleted) relative paths."""
    changed = sorted(k for k, v in new.items() if old.get(k) != v)
    deleted = sorted(k for k in old if k not in new)
    return changed, deleted


def watch(engine, model: dict, services: list[str], say: Callable[[str], None],  # noqa: ANN001
          rebuild: Callable[[str], None], interval: float = 0.5,
          stop: Callable[[], bool] | None = None) -> None:
    """Poll the rules' paths until `stop()` (or Ctrl-C) and act on what changed;
    `rebuild(service)` builds and recreates one service."""
    todo = rules(model, services)
    state = [snapshot(r["path"], r.get("ignore") or []) for _, r in todo]
    say("Watch enabled")
    while not (stop and stop()):
        time.sleep(interval)
        for i, (service, rule) in enumerate(todo):
            new = snapshot(rule["path"], rule.get("ignore") or [])
            changed, deleted = changes(state[i], new)
            state[i] = new
            if not changed and not deleted:
                continue
            action = rule["action"]
            if action == "rebuild":
                say(f"Rebuilding service(s) [\"{service}\"] after changes were detected...")
                rebuild(service)
                say(f"service(s) [\"{service}\"] successfully built")
                continue
            n = len(changed) + len(deleted)
            say(f"Syncing service \"{service}\" after {n} changed files")
            for cid in _running(engine, model, service):
                _apply(engine, cid, rule, changed, deleted)
            if action in ("sync+restart", "restart"):
                say(f"service(s) [\"{service}\"] restarted")


def _running(engine, model: dict, service: str) -> list[str]:  # noqa: ANN001
    from teu.compose.containers import find

    return [r["id"] for r in find(engine, model, [service]) if r["status"] == "running"]


def _apply(engine, cid: str, rule: dict, changed: list[str], deleted: list[str]) -> None:  # noqa: ANN001
    """One container: the changed files copied in, the deleted ones removed, then the
    rule's restart or exec."""
    from teu.compose.parallel import forked

    paths = engine.paths
    path, target, action = rule["path"], rule.get("target", ""), rule["action"]

    def go() -> int:
        from teu.engine.context import Engine
        from teu.engine.files.cp import copy
        from teu.engine.lifecycle.control import restart
        from teu.engine.lifecycle.execute import exec_in

        e = Engine(paths.root, paths.runroot)
        try:
            if action.startswith("sync"):
                if deleted:
                    gone = [target if rel == "" else f"{target}/{rel}" for rel in deleted]
                    exec_in(e, cid, ["rm", "-rf", "--", *gone])
                if changed:
                    if os.path.isfile(path):
                        copy(e, path, f"{cid}:{target}")
                    else:
                        parents = sorted({os.path.dirname(f"{target}/{rel}") for rel in changed})
                        exec_in(e, cid, ["mkdir", "-p", *parents])
                        for rel in changed:
                            src = os.path.join(path, rel)
                            if os.path.exists(src):
                                copy(e, src, f"{cid}:{target}/{rel}")
            if action in ("sync+restart", "restart"):
                restart(e, cid)
            elif action == "sync+exec":
                command = (rule.get("exec") or {}).get("command")
                if command:
                    exec_in(e, cid, command if isinstance(command, list)
                            else ["/bin/sh", "-c", command])
        finally:
            e.close()
        return 0

    forked(go)
