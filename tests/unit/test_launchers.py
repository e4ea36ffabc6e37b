"""The fast launchers `make install` writes (teu.launchers)."""

from __future__ import annotations

import site

from teu import launchers


def test_teu_launcher_sees_every_site_packages_dir(tmp_path) -> None:
    # A venv made with --system-site-packages finds uvicorn in the base interpreter's
    # site-packages: the launcher, which skips `site`, must put those on sys.path too.
    launchers.install(str(tmp_path))
    text = (tmp_path / "teu").read_text()
    for path in site.getsitepackages():
        assert f"sys.path.append({path!r})" in text
    assert "site-packages" not in (tmp_path / "teu-runtime").read_text()


def test_settle_rewrites_only_a_pip_installed_script_of_ours(tmp_path) -> None:
    shipped = "#!/venv/bin/python3\nfrom teu.launchers import settle\n"
    (tmp_path / "teu-runtime").write_text(shipped)
    (tmp_path / "other").write_text(shipped)
    (tmp_path / "teu").write_text("#!/venv/bin/python3 -S\n# someone's own launcher\n")
    for name in ("teu-runtime", "other", "teu"):
        launchers.settle(str(tmp_path / name))
    settled = (tmp_path / "teu-runtime").read_text()
    assert settled.splitlines()[0].endswith(" -S") and "from teu.runtime.cli.main" in settled
    assert (tmp_path / "other").read_text() == shipped
    assert "someone's own launcher" in (tmp_path / "teu").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other", "teu", "teu-runtime"]


def _load(finder, name):
    import importlib.util

    spec = finder.find_spec(name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_teu_finder_reads_fresh_bytecode_and_recompiles_a_stale_one(tmp_path) -> None:
    import os
    import py_compile

    package = tmp_path / "teu"
    package.mkdir()
    (package / "__init__.py").write_text("")
    source = package / "mod.py"
    source.write_text("WHO = 'bytecode'\n")
    os.utime(source, (1_700_000_000, 1_700_000_000))
    py_compile.compile(str(source), cfile=launchers._cached(str(source)))
    source.write_text("WHO = 'source!!'\n")  # same size; mtime put back below
    os.utime(source, (1_700_000_000, 1_700_000_000))
    finder = launchers._TeuFinder(str(tmp_path))
    assert finder.find_spec("teu").submodule_search_locations == [str(package)]
    assert _load(finder, "teu.mod").WHO == "bytecode"  # the pyc matches: it is what runs
    os.utime(source, (1_700_000_100, 1_700_000_100))  # edited since: importlib recompiles
    assert _load(finder, "teu.mod").WHO == "source!!"
    for name in ("teux", "json", "teu.missing"):
        assert finder.find_spec(name) is None  # left to importlib
