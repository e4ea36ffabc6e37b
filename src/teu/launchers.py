"""Write fast launchers for the hot commands, and compile teu's bytecode.

pip's console-script wrapper runs Python with `site`, which on machines like
ours imports whatever every .pth file asks (here: certifi, ~20 ms), and the
environment may forbid writing .pyc files, so every start recompiles teu.
teu-runtime needs neither site-packages nor anything outside the standard
library, so `make install` runs this to replace its wrapper with one that
starts `python -S` and finds teu directly, and to precompile teu.

    python -m teu.launchers
"""

from __future__ import annotations

import marshal
import os
import sys

import teu

# importlib's own classes, already loaded (importlib.machinery re-exports them).
_BOOTSTRAP = sys.modules["_frozen_importlib"]
_IMPORTLIB = sys.modules["_frozen_importlib_external"]
_PYC_SUFFIX = f".{sys.implementation.cache_tag}.pyc"
_PYC_HEADER = _IMPORTLIB.MAGIC_NUMBER + b"\0\0\0\0"  # flags 0: a timestamp-checked pyc

LAUNCHERS = {"teu-runtime": "teu.runtime.cli.main", "teu": "teu.cli.main"}
# Launchers whose program imports third-party packages (uvicorn for `teu registry
# serve`, zstandard, ...): site-packages goes on sys.path after teu's own source,
# without running `site` and its .pth files.
WITH_SITE_PACKAGES = {"teu"}

# Both keep teu's bytecode fresh even where PYTHONDONTWRITEBYTECODE is set (as on
# these machines): teu is an editable install, and a module edited since
# `make install` would otherwise be recompiled on every start (~30 ms for all).
# teu-runtime also skips the interpreter's teardown (~2 ms of module and object
# clean-up): it holds no atexit work, so it flushes its output and leaves.
TEMPLATE = """#!{python} -S
# Written by teu.launchers (make install, or a pip-installed script's first start): -S skips site.
import os
import sys
sys.dont_write_bytecode = False  # see teu/launchers.py
sys.path.insert(0, {src!r}){extra}
from teu.launchers import find_teu_directly
find_teu_directly()
from {module} import main
code = main()
sys.stdout.flush()
sys.stderr.flush()
os._exit(code if isinstance(code, int) else 0 if code is None else 1)
"""

TEMPLATE_SITE = """#!{python} -S
# Written by teu.launchers (make install, or a pip-installed script's first start): -S skips site.
import sys
sys.dont_write_bytecode = False  # see teu/launchers.py
sys.path.insert(0, {src!r}){extra}
from {module} import main
sys.exit(main())
"""


class _TeuLoader(_IMPORTLIB.SourceFileLoader):
    """importlib's loader for a source file, with its usual case made short: the
    bytecode file is read and checked (magic, mtime and size of the source, as
    importlib's own timestamp check) with a few os calls, not importlib's chain of
    Python calls. Anything else (no bytecode yet, an edited source, a hash-based
    pyc) goes to importlib as it is."""

    source_stat = None  # the finder's stat of the source, to check the pyc against

    def get_code(self, fullname: str):  # noqa: ANN201 - a code object
        try:
            st = self.source_stat or os.stat(self.path)
            fd = os.open(_cached(self.path), os.O_RDONLY | os.O_CLOEXEC)
            try:
                chunks = []
                while chunk := os.read(fd, 1 << 20):
                    chunks.append(chunk)
            finally:
                os.close(fd)
        except OSError:
            return super().get_code(fullname)
        data = b"".join(chunks)
        if data[:8] != _PYC_HEADER or len(data) < 16 \
                or int.from_bytes(data[8:12], "little") != int(st.st_mtime) & 0xFFFFFFFF \
                or int.from_bytes(data[12:16], "little") != st.st_size & 0xFFFFFFFF:
            return super().get_code(fullname)
        return marshal.loads(memoryview(data)[16:])


def _cached(source: str) -> str:
    """importlib's cache_from_source for the plain case (no prefix, not optimized)."""
    directory, _, name = source.rpartition("/")
    return f"{directory}/__pycache__/{name[:-3]}{_PYC_SUFFIX}"


class _TeuFinder:
    """teu's modules straight from teu's directory (a stat or two each), before
    sys.path is searched: importlib's path finder and loader cost ~0.17 ms of CPU
    per module on this machine, these ~0.06 ms, and a container start imports ~45
    teu modules across the runtime and the container side. As importlib, a package
    (x/__init__.py) before a module (x.py); anything else (no such file, an
    extension module) is left to importlib."""

    def __init__(self, top: str) -> None:
        self.top = top.rstrip("/") + "/"  # the directory that holds teu/

    def find_spec(self, name: str, path: object = None, target: object = None):  # noqa: ANN201
        if name != "teu" and not name.startswith("teu."):
            return None
        base = self.top + name.replace(".", "/")
        package, origin = True, base + "/__init__.py"
        try:
            st = os.stat(origin)
        except OSError:
            package, origin = False, base + ".py"
            try:
                st = os.stat(origin)
            except OSError:
                return None
        loader = _TeuLoader(name, origin)
        loader.source_stat = st
        spec = _BOOTSTRAP.ModuleSpec(name, loader, origin=origin, is_package=package)
        spec.has_location = True
        spec.cached = _cached(origin)
        if package:
            spec.submodule_search_locations = [base]
        return spec


def find_teu_directly() -> None:
    """Put _TeuFinder first on sys.meta_path (the launchers call this, before any teu
    module but this one). Not where bytecode is kept elsewhere or optimized (-O,
    PYTHONPYCACHEPREFIX): importlib's rules for those are left to importlib."""
    if sys.flags.optimize or sys.pycache_prefix or any(
            isinstance(f, _TeuFinder) for f in sys.meta_path):
        return
    top = os.path.dirname(os.path.dirname(os.path.abspath(teu.__file__)))
    sys.meta_path.insert(0, _TeuFinder(top))


def install(bin_dir: str | None = None) -> list[str]:
    import compileall  # here, not above: a pip-installed script imports us to settle()
    import sysconfig

    bin_dir = bin_dir or sysconfig.get_path("scripts")
    written = [write_launcher(bin_dir, name) for name in LAUNCHERS]
    compileall.compile_dir(os.path.dirname(os.path.abspath(teu.__file__)), quiet=1)
    return written


def write_launcher(bin_dir: str, name: str) -> str:
    """bin_dir/name as a fast launcher for this interpreter and this teu; its path."""
    src = os.path.dirname(os.path.dirname(os.path.abspath(teu.__file__)))
    path = os.path.join(bin_dir, name)
    tmp = f"{path}.{os.getpid()}.tmp"  # two first starts at once each write their own
    try:
        with open(tmp, "w") as f:
            extra = ""
            if name in WITH_SITE_PACKAGES:
                extra = "".join(f"\nsys.path.append({p!r})" for p in _site_packages())
            # teu's verbs may leave buffered files to the interpreter's teardown, so
            # it exits normally (the os._exit shortcut is teu-runtime's alone).
            template = TEMPLATE_SITE if name in WITH_SITE_PACKAGES else TEMPLATE
            # The interpreter by the path we run as (a venv's bin/python), not its real
            # path: sys.executable is then the venv's, where teu finds teu-runtime and
            # conmon's runtime is looked up (the base interpreter's bin may hold another).
            f.write(template.format(python=sys.executable, src=src,
                                    module=LAUNCHERS[name], extra=extra))
        os.chmod(tmp, 0o755)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


def settle(script: str) -> None:
    """Turn a script pip installed (scripts/teu, scripts/teu-runtime) into the fast
    launcher above, once its first command is done.

    pip copies those scripts with "#!python" replaced by its interpreter, dropping any
    flag: they run `site` (and the venv's .pth files) on every start. The launcher
    skips it, as make install's do, and pip's bytecode is already there. Nothing
    happens when the script is not ours to rewrite (read-only, renamed, a launcher)."""
    try:
        path = os.path.realpath(script)  # pipx links its apps' scripts from ~/.local/bin
        name = os.path.basename(path)
        if name in LAUNCHERS and os.access(os.path.dirname(path), os.W_OK):
            with open(path, "rb") as f:
                if b"teu.launchers import settle" not in f.read(4096):
                    return
            write_launcher(os.path.dirname(path), name)
    except OSError:
        pass


def _site_packages() -> list[str]:
    """Where this interpreter finds third-party packages: its own scheme's, then
    what `site` adds (a venv made with --system-site-packages sees the base's too)."""
    import site
    import sysconfig

    paths = []
    for p in [sysconfig.get_paths()[k] for k in ("purelib", "platlib")] + site.getsitepackages():
        if p not in paths:
            paths.append(p)
    return paths


if __name__ == "__main__":
    for p in install():
        print(f"fast launcher: {p}")
