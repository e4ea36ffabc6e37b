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
