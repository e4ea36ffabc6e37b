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

import compileall
import os
import sys
import sysconfig

import teu

LAUNCHERS = {"teu-runtime": "teu.runtime.cli.main"}

TEMPLATE = """#!{python} -S
# Written by `python -m teu.launchers` (make install): -S skips site, see teu/launchers.py.
import sys
sys.path.insert(0, {src!r})
from {module} import main
sys.exit(main())
"""


def install(bin_dir: str | None = None) -> list[str]:
    bin_dir = bin_dir or sysconfig.get_path("scripts")
    src = os.path.dirname(os.path.dirname(os.path.abspath(teu.__file__)))
    written = []
    for name, module in LAUNCHERS.items():
        path = os.path.join(bin_dir, name)
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            f.write(TEMPLATE.format(python=os.path.realpath(sys.executable), src=src,
                                    module=module))
        os.chmod(tmp, 0o755)
        os.replace(tmp, path)
        written.append(path)
    compileall.compile_dir(os.path.dirname(os.path.abspath(teu.__file__)), quiet=1)
    return written


if __name__ == "__main__":
    for p in install():
        print(f"fast launcher: {p}")
