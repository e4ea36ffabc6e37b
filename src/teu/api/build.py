"""teu build from Python:

    from teu.api import build
    r = build.build("app", tags=["app:1"], build_args={"V": "1"}, target="runtime")
    r["image_id"], r["warnings"], r["log"]

Keywords are teu.build.builder.BuildOptions' fields (dockerfile, dockerfile_text,
tags, build_args, target, no_cache, labels, secrets as {id: path}, network, allow,
build_contexts, root, runroot, ...). The build runs in a fork server's worker (it unshares a
mount namespace and becomes a subreaper, which the caller's process should not);
a failure raises teu.build.errors.BuildError's message as a TeuError.
"""

from __future__ import annotations

from typing import Any

from teu.api.child import in_child


def build(context: str, **options: Any) -> dict[str, Any]:
    """Build; {"image_id", "manifest_digest", "tags", "warnings", "log"}."""
    import functools

    return in_child(functools.partial(_build, context, options))


def _build(context: str, options: dict[str, Any]) -> dict[str, Any]:
    """In the fork server's worker."""
    import io

    from teu.build.builder import Builder, BuildOptions, Secret

    secrets = options.pop("secrets", None) or {}
    opts = BuildOptions(context=context, **options)
    opts.secrets = {k: v if isinstance(v, Secret) else Secret(k, src=str(v))
                    for k, v in secrets.items()}
    log = io.StringIO()
    b = Builder(opts, out=log)
    try:
        r = b.run()
    finally:
        b.close()
    return {"image_id": r.image_id, "manifest_digest": r.manifest_digest,
            "tags": r.tags, "warnings": r.warnings, "log": log.getvalue()}
