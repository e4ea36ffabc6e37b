"""The loader's input and output shapes: what the command line says about a project
(ProjectOptions) and the loaded project (Project). Plain classes, not dataclasses: a
compose command whose model comes from the cache (teu.compose.modelcache) imports
this and not the loader, and `dataclasses` alone costs ~25 ms of imports."""

from __future__ import annotations

TYPE_CHECKING = False  # not typing's: the import costs ~5 ms
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


class ProjectOptions:
    """What the command line says about where and how to load a project."""

    def __init__(self, files: list[str] | None = None,  # -f, in order; "-" is stdin
                 project_directory: str = "",  # --project-directory
                 project_name: str = "",  # -p
                 env_files: list[str] | None = None,  # --env-file
                 profiles: list[str] | None = None,  # --profile
                 environ: dict[str, str] | None = None,  # the process's (default os.environ)
                 workdir: str = "",  # where the command runs (default os.getcwd())
                 interpolate: bool = True,  # --no-interpolate: False
                 resolve_paths: bool = True,
                 stdin: Callable[[], str] | None = None,
                 warn: Callable[[str], None] | None = None,
                 services: list[str] | None = None) -> None:
        self.files = list(files or [])
        self.project_directory = project_directory
        self.project_name = project_name
        self.env_files = list(env_files or [])
        self.profiles = list(profiles or [])
        self.environ = environ
        self.workdir = workdir
        self.interpolate = interpolate
        self.resolve_paths = resolve_paths
        self.stdin = stdin
        self.warn = warn
        # Services named on the command line (`up SVC`, `run SVC`): enabled whatever
        # their profiles, as docker compose enables a service it is asked for by name.
        self.services = list(services or [])

    def __repr__(self) -> str:
        return f"ProjectOptions({self.__dict__!r})"


class Project:
    """A loaded project: its name, directory, files, environment and model."""

    def __init__(self, name: str, directory: str, files: list[str],
                 environment: dict[str, str], model: dict[str, Any], profiles: list[str],
                 disabled: dict[str, Any] | None = None,
                 env_files: dict[str, list] | None = None,
                 declared_env: dict[str, dict] | None = None) -> None:
        self.name = name
        self.directory = directory
        self.files = files
        self.environment = environment
        self.model = model
        self.profiles = profiles
        self.disabled = disabled if disabled is not None else {}
        # Per service, the env_file files merged into its environment: [(path, values)]
        # (teu kube generate turns them into ConfigMaps).
        self.env_files = env_files if env_files is not None else {}
        # Per service, its environment and env_file as written (bare keys resolved, the
        # files not merged in): what docker compose 2.40's `config --hash` hashes.
        self.declared_env = declared_env if declared_env is not None else {}

    @property
    def services(self) -> dict[str, Any]:
        return self.model.get("services", {})

    def fields(self) -> dict[str, Any]:
        """Its fields by name (what Project(**fields) takes back)."""
        return dict(self.__dict__)

    def __repr__(self) -> str:
        return f"Project(name={self.name!r}, directory={self.directory!r})"
