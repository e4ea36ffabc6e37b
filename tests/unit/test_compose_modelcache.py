"""teu.compose.modelcache: a project comes back from the cache only while everything the
load looked at reads the same (the files, the names it probed, the environment)."""

from __future__ import annotations

import pytest

from teu.compose import loader, modelcache
from teu.compose.project import ProjectOptions

COMPOSE = "services:\n  web:\n    image: busybox\n    environment: {A: \"${A:-one}\"}\n"


@pytest.fixture
def project(tmp_path, monkeypatch):  # noqa: ANN201
    """load() of a project directory, counting the loads that were not cache hits."""
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "compose.yaml").write_text(COMPOSE)
    fresh = []
    real = loader.load_recording

    def counted(opts):  # noqa: ANN001, ANN202
        fresh.append(1)
        return real(opts)

    monkeypatch.setattr(loader, "load_recording", counted)

    def load(environ: dict | None = None, warn=None, **kw):  # noqa: ANN001, ANN202
        opts = ProjectOptions(workdir=str(tmp_path / "p"), environ=environ or {}, warn=warn,
                              **kw)
        return modelcache.load(opts, str(tmp_path / "run"))

    load.fresh = fresh
    load.dir = tmp_path / "p"
    return load


def _env(p) -> dict:  # noqa: ANN001
    return p.model["services"]["web"]["environment"]


def test_a_second_load_is_a_hit_with_the_same_project(project) -> None:
    first = project()
    second = project()
    assert len(project.fresh) == 1
    assert second.model == first.model and second.name == first.name == "p"
    assert second.files == first.files and second.environment == first.environment


def test_a_changed_file_is_loaded_again(project) -> None:
    project()
    (project.dir / "compose.yaml").write_text(COMPOSE.replace("one", "two"))  # same size
    assert _env(project())["A"] == "two"
    assert len(project.fresh) == 2


def test_files_that_appear_later_count(project) -> None:
    project()
    (project.dir / ".env").write_text("A=from-dotenv\n")
    assert _env(project())["A"] == "from-dotenv"
    (project.dir / "compose.override.yaml").write_text(
        "services:\n  web:\n    environment: {B: b}\n")
    assert _env(project())["B"] == "b"
    assert len(project.fresh) == 3
    project()
    assert len(project.fresh) == 3


def test_an_optional_env_file_that_appears_later_counts(project) -> None:
    (project.dir / "compose.yaml").write_text(
        COMPOSE + "    env_file: [{path: extra.env, required: false}]\n")
    assert "C" not in _env(project())
    (project.dir / "extra.env").write_text("C=c\n")
    assert _env(project())["C"] == "c"
    assert project().env_files["web"] == [[str(project.dir / "extra.env"), {"C": "c"}]]
    assert len(project.fresh) == 2


def test_the_environment_and_options_are_part_of_the_key(project) -> None:
    assert _env(project({"A": "x"}))["A"] == "x"
    assert _env(project({"A": "y"}))["A"] == "y"
    assert project(project_name="other").name == "other"
    assert len(project.fresh) == 3


def test_warnings_are_replayed_on_a_hit(project) -> None:
    (project.dir / "compose.yaml").write_text(COMPOSE.replace("${A:-one}", "${UNSET}"))
    seen: list[str] = []
    project(warn=seen.append)
    project(warn=seen.append)
    assert len(project.fresh) == 1
    assert len(seen) == 2 and seen[0] == seen[1] and "UNSET" in seen[0]


def test_stdin_is_never_kept(project) -> None:
    for _ in range(2):
        project(files=["-"], stdin=lambda: COMPOSE)
    assert not (project.dir.parent / "run" / modelcache.DIRECTORY).exists()


def test_an_error_is_not_kept(project) -> None:
    (project.dir / "compose.yaml").write_text("services:\n  web:\n    imagee: busybox\n")
    for _ in range(2):
        with pytest.raises(Exception, match="imagee"):
            project()
    assert len(project.fresh) == 2
