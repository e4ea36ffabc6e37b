"""The images of a project's services: their names, `build:` sections through teu.build
(`up --build`, `compose build`), and which of them must be built before `up` runs.

docker compose's rules: a service with `build:` is named by its `image:` (then built and
tagged so) or else `PROJECT-SERVICE`; `up` builds it when the image is missing (or with
`--build`, or `pull_policy: build`), `--no-build` never builds; built images carry the
project's labels, so `down --rmi local` finds them."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

from teu.compose.errors import ComposeError

COMPOSE_VERSION = "2.40.3"


def image_of(model: dict, service: str) -> str:
    """The image a service's containers run: `image:`, else `PROJECT-SERVICE`."""
    svc = model["services"][service]
    return svc.get("image") or f"{model['name']}-{service}"


def build_options(model: dict, service: str, *, no_cache: bool = False, pull: bool = False,
                  build_args: dict[str, str] | None = None, quiet: bool = False,
                  environ: dict[str, str] | None = None) -> Any:
    """teu.build's BuildOptions for a service's `build:` section (pure)."""
    from teu.build.builder import BuildOptions, Secret

    svc = model["services"][service]
    b = svc.get("build")
    if not isinstance(b, dict):
        raise ComposeError(f"service {service!r} has no build section")
    env = os.environ if environ is None else environ
    context = b.get("context") or "."
    if context.startswith(("http://", "https://", "git@", "git://")):
        raise ComposeError(f"service {service!r}: remote build contexts are not supported")
    args: dict[str, str] = {}
    for k, v in (b.get("args") or {}).items():
        if v is None:  # `- NAME` without a value: docker takes it from the environment
            if k in env:
                args[k] = env[k]
            continue
        args[k] = str(v)
    args.update(build_args or {})
    labels = {str(k): str(v) for k, v in (b.get("labels") or {}).items()}
    labels.update({"com.docker.compose.project": model["name"],
                   "com.docker.compose.service": service,
                   "com.docker.compose.version": COMPOSE_VERSION})
    secrets = {}
    for ref in b.get("secrets") or []:
        source = ref["source"] if isinstance(ref, dict) else str(ref)
        target = (ref.get("target") if isinstance(ref, dict) else None) or source
        spec = (model.get("secrets") or {}).get(source)
        if spec is None:
            raise ComposeError(f"service {service!r} refers to undefined build secret "
                               f"{source}")
        if spec.get("file"):
            secrets[target] = Secret(target, src=spec["file"])
        elif spec.get("environment"):
            secrets[target] = Secret(target, env=spec["environment"])
        else:
            raise ComposeError(f"build secret {source}: only file and environment secrets "
                               "can be given to a build")
    dockerfile = b.get("dockerfile") or "Dockerfile"
    opts = BuildOptions(
        context=context,
        tags=[image_of(model, service), *[str(t) for t in b.get("tags") or []]],
        build_args=args, target=b.get("target") or "", no_cache=no_cache or
        bool(b.get("no_cache")), labels=labels, progress="quiet" if quiet else "plain",
        secrets=secrets, ssh=[str(s) for s in b.get("ssh") or []],
        network=b.get("network") or "default", pull=pull or bool(b.get("pull")),
        build_contexts={k: str(v) for k, v in (b.get("additional_contexts") or {}).items()},
        dockerfile_name=os.path.basename(dockerfile))
    if b.get("dockerfile_inline") is not None:
        opts.dockerfile_text = str(b["dockerfile_inline"]).encode()
    else:
        opts.dockerfile = os.path.join(context, dockerfile)
    return opts


def _cache_spec(text: str) -> dict[str, str]:
    """A cache_from/cache_to entry: `type=...,k=v` or a bare image reference."""
    from teu.build.outputs import parse_spec

    if "type=" not in text:
        return {"type": "registry", "ref": text}
    return parse_spec(text, "cache")


def build(engine, model: dict, services: list[str], say: Callable[[str], None],  # noqa: ANN001
          out=None, **kw: Any) -> dict[str, str]:  # noqa: ANN001
    """Build the `build:` services among `services` (one after the other, each build's
    own stages in parallel); {service: image ID}. A failed build raises ComposeError
    naming the service, and tags nothing."""
    from teu.build import outputs
    from teu.build.builder import Builder
    from teu.build.errors import BuildError

    done: dict[str, str] = {}
    for service in services:
        b = model["services"][service].get("build")
        if b is None:
            continue
        opts = build_options(model, service, **kw)
        opts.root, opts.runroot = engine.paths.root, engine.paths.runroot
        say(f" Service {service}  Building")
        builder = Builder(opts, out or sys.stderr)
        try:
            for text in b.get("cache_from") or []:
                outputs.cache_from(builder, _cache_spec(str(text)))
            result = builder.run()
            for text in b.get("cache_to") or []:
                outputs.cache_to(builder, _cache_spec(str(text)))
        except BuildError as e:
            raise ComposeError(f"failed to solve: service {service!r}: {e}") from None
        finally:
            builder.close()
        done[service] = result.image_id
        say(f" Service {service}  Built")
    return done


def image_id(engine, ref: str, store=None) -> str | None:  # noqa: ANN001
    """The ID of a local image, or None (looked up in `store` if given, an open
    teu.image.store.Store: one for a whole project saves a database open per service)."""
    if store is not None:
        return store.resolve_id(ref)
    from teu.image.store import Store

    with Store(engine.paths.root) as store:
        return store.resolve_id(ref)


def ensure(engine, model: dict, services: list[str], say: Callable[[str], None],  # noqa: ANN001
           policy: str = "", **kw: Any) -> None:
    """Before `up` creates anything: build what must be built. policy "build" (--build)
    builds every `build:` service, "no-build" builds none (a missing image is then an
    error), "" builds those whose image is missing or whose pull_policy is build."""
    todo = []
    for service in services:
        svc = model["services"][service]
        if svc.get("build") is None:
            continue
        missing = image_id(engine, image_of(model, service)) is None
        if policy == "no-build":
            if missing:
                raise ComposeError(f"service {service!r} has no image "
                                   f"{image_of(model, service)!r} and --no-build was given")
            continue
        if policy == "build" or missing or svc.get("pull_policy") == "build":
            todo.append(service)
    if todo:
        build(engine, model, todo, say, **kw)
