"""Signal state a program starts with: what the runtime's own Python must not pass on."""

from __future__ import annotations

import _signal  # built in: no cost (`signal` would import enum, ~4 ms)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from teu.runtime.linux import Syscalls


def reset_signals(sys: Syscalls | None = None) -> None:
    """Every signal back to its default and none blocked, as a program expects at its
    start (and runc guarantees): an exec keeps what is ignored and blocked, and Python
    ignores SIGPIPE and SIGXFSZ; whoever started the runtime may have ignored SIGINT
    (a script's background job) or blocked signals. Called before seccomp is loaded: a
    profile may deny rt_sigaction. With `sys`, the C library's reserved signals too
    (conmon leaves them ignored)."""
    for sig in range(1, _signal.NSIG):
        try:
            _signal.signal(sig, _signal.SIG_DFL)
        except (OSError, ValueError):
            if sys is not None and sig not in (9, 19):  # not SIGKILL, SIGSTOP
                try:
                    sys.default_signal(sig)  # the C library's own (32, 33)
                except OSError:
                    pass
    _signal.pthread_sigmask(_signal.SIG_SETMASK, ())
