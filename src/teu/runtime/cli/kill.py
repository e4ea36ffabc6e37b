"""usage: teu-runtime kill [--all] ID [SIGNAL]

Send SIGNAL (a name like TERM or SIGKILL, or a number; default SIGTERM) to the
container's init, or with --all to every process in its cgroup.
"""

from __future__ import annotations

import _signal as signal  # the C module: `signal` imports enum, a start-up cost on every kill

from teu.runtime.cli.main import Globals, UsageError, need_id

FLAGS = {"all": (False, False)}
ALIASES = {"a": "all"}


def parse_signal(text: str) -> int:
    if text.isdigit():
        number = int(text)
        if not 0 <= number < signal.NSIG:  # 0: only ask whether it exists, as kill(2)
            raise UsageError(f"invalid signal {text!r}")
        return number
    name = text.upper()
    if not name.startswith("SIG"):
        name = "SIG" + name
    # SIG_DFL, SIG_BLOCK and the like are constants of another kind, not signals.
    sig = getattr(signal, name, None) if not name.startswith("SIG_") else None
    if not isinstance(sig, int):
        raise UsageError(f"unknown signal {text!r}")
    return sig


def run(g: Globals, flags: dict, positional: list[str]) -> int:
    from teu.runtime.lifecycle import kill

    cid = need_id(positional, "kill")
    sig = parse_signal(positional[1]) if len(positional) > 1 else signal.SIGTERM
    kill(g.root, cid, sig, all_processes=bool(flags.get("all")))
    return 0
