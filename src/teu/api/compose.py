"""Compose projects from Python (docker-py has no compose: the shape follows the CLI's
verbs, in-process, with teu.compose doing the work):

    p = client.compose.project(project_directory="examples/shop", environment={...})
    p.config()["services"]            # the model `teu compose config --format json` prints
    p.up(build=True, wait=True)       # {service: [container IDs]}; detached
    [c.name for c in p.containers()]  # teu.api Container models, in start order
    p.logs()                          # b"web-1  | ...\\n"
    p.down(volumes=True)

Errors are teu.errors' (a bad file is a ComposeError naming file:line, a failed build
or an unhealthy service a ComposeError with docker compose's words). As for containers,
anything that starts a container runs in a fork server's worker (teu.api.child)."""

from __future__ import annotations

import os
from typing import Any


class ComposeCollection:
    def __init__(self, client) -> None:  # noqa: ANN001 - teu.api.client.Client
        self.client = client

    def project(self, files: list[str] | None = None, project_directory: str = "",
                project_name: str = "", env_files: list[str] | None = None,
                profiles: list[str] | None = None,
                environment: dict[str, str] | None = None) -> ComposeProject:
        """A project as `teu compose -f F... --project-directory D -p P` loads it;
        `environment` stands for the process environment (default os.environ)."""
        from teu.compose.loader import ProjectOptions

        opts = ProjectOptions(files=list(files or []), project_directory=project_directory,
                              project_name=project_name, env_files=list(env_files or []),
                              profiles=list(profiles or []),
                              environ=None if environment is None else dict(environment))
        return ComposeProject(self.client, opts)

    def list(self, all: bool = False) -> list[dict[str, Any]]:  # noqa: A002 - docker's name
        """`compose ls`: {"Name", "Status"} of the projects that have containers."""
        from teu.compose import plan
        from teu.engine import state

        def go(engine) -> list[dict[str, Any]]:  # noqa: ANN001
            counts: dict[str, dict[str, int]] = {}
            for r in state.refresh_all(engine):
                name = (r.settings["Config"].get("Labels") or {}).get(plan.PROJECT)
                if name:
                    c = counts.setdefault(name, {})
                    c[r["status"]] = c.get(r["status"], 0) + 1
            return [{"Name": n, "Status": ", ".join(f"{k}({v})" for k, v in sorted(c.items()))}
                    for n, c in sorted(counts.items()) if all or "running" in c]

        return self.client._call(go)


class ComposeProject:
    """One loaded project; each call reloads the files, as each CLI command does."""

    def __init__(self, client, opts) -> None:  # noqa: ANN001
        self.client = client
        self.opts = opts

    def __repr__(self) -> str:
        return f"<ComposeProject: {self.name}>"

    def load(self, services: list[str] | None = None):  # noqa: ANN201 - loader.Project
        import copy

        from teu.compose.loader import load

        opts = copy.copy(self.opts)
        opts.services = list(services or [])
        return load(opts)

    @property
    def name(self) -> str:
        return self.load().name

    def config(self) -> dict[str, Any]:
        """The normalised model (what `config --format json` prints, before `$` escaping)."""
        return self.load().model

    def _up_options(self, project, services: list[str] | None, **kw: Any):  # noqa: ANN001, ANN202
        from teu.compose import plan
        from teu.compose.run import UpOptions

        o = UpOptions(services=list(services or []), environ=project.environment,
                      labels={plan.CONFIG_FILES: ",".join(project.files),
                              plan.WORKING_DIR: project.directory})
        for key, value in kw.items():
            if not hasattr(o, key):
                raise TypeError(f"up() got an unexpected keyword argument {key!r}")
            setattr(o, key, value)
        return o

    def up(self, services: list[str] | None = None, build: bool = False,
           wait: bool = False, wait_timeout: float | None = None, **kw: Any
           ) -> dict[str, list[str]]:
        """`up -d` (build=True: --build; wait=True: --wait); other keywords are
        teu.compose.run.UpOptions' fields (scale, no_deps, force_recreate,
        remove_orphans, pull, no_start, timeout...). {service: container IDs}."""
        from teu.api.child import call, in_child

        project = self.load(services)
        o = self._up_options(project, services, **kw)
        if build:
            o.build = "build"
        return in_child(call(self.client, _up, project.model, o, wait, wait_timeout))

    def build(self, services: list[str] | None = None, no_cache: bool = False,
              pull: bool = False) -> dict[str, str]:
        """`compose build`: {service: image ID} of the services with a build section."""
        from teu.api.child import call, in_child
        from teu.compose.run import selected

        project = self.load(services)
        names = selected(project.model, list(services or []), True)
        return in_child(call(self.client, _build, project.model, names, no_cache, pull,
                             project.environment))

    def down(self, volumes: bool = False, timeout: float | None = None,
             remove_orphans: bool = False, rmi: str = "") -> None:
        """`compose down [-v] [-t N] [--remove-orphans] [--rmi local|all]`."""
        from teu.api.child import call, in_child
        from teu.compose.run import down

        in_child(call(self.client, down, self.load().model, _quiet, volumes, timeout, None,
                      remove_orphans, rmi))

    def containers(self, services: list[str] | None = None, all: bool = True  # noqa: A002
                   ) -> list:
        """The project's containers as teu.api Container models, in start order."""
        from teu.compose.containers import find
        from teu.engine import state

        model = self.load(services).model
        rows = self.client._call(lambda e: find(e, model, services))
        if not all:
            rows = [r for r in rows if r["status"] in state.RUNNING]
        return [self.client.containers.get(r["id"]) for r in rows]

    def logs(self, services: list[str] | None = None, tail: int | None = None,
             prefix: bool = True, timestamps: bool = False) -> bytes:
        """`compose logs --no-color` as bytes (prefixes `web-1  | ` unless prefix=False)."""
        import tempfile

        from teu.compose.containers import find
        from teu.compose.logs import Printer, short_name, show

        model = self.load(services).model
        with tempfile.TemporaryFile() as f:
            def go(engine) -> None:  # noqa: ANN001
                pairs = [(short_name(model["name"], r["name"]), r["id"])
                         for r in find(engine, model, services)]
                printer = Printer([n for n, _ in pairs], False, prefix, timestamps,
                                  f.fileno())
                show(engine, pairs, printer, False, tail)

            self.client._call(go)
            f.seek(0)
            return f.read()


def _quiet(line: str) -> None:
    """Progress lines are the CLI's; the API's caller gets results instead."""


# In the fork server's worker (teu.api.child): module-level, so that they pickle.

def _up(e: Any, model: Any, o: Any, wait: bool, wait_timeout: float | None
        ) -> dict[str, list[str]]:
    from teu.compose.run import up, wait_ready

    ids = up(e, model, _quiet, o)
    if wait and not o.no_start:
        wait_ready(e, model, ids, _quiet, wait_timeout)
    return ids


def _build(e: Any, model: Any, names: list[str], no_cache: bool, pull: bool,
           environ: dict[str, str]) -> dict[str, str]:
    from teu.compose.images import build

    with open(os.devnull, "w") as null:
        return build(e, model, names, _quiet, out=null, no_cache=no_cache, pull=pull,
                     quiet=True, environ=environ)
