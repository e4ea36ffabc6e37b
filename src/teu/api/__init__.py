"""teu's public Python API: the container workflow of `teu` (docker's verbs) as calls.

    from teu.api import Client

    teu = Client(root="/var/lib/teu", runroot="/run/teu")
    result = teu.run("busybox", ["echo", "hi"], remove=True)   # foreground
    result.exit_code, result.stdout                             # 0, b"hi\\n"
    cid = teu.run("busybox", ["sleep", "60"], detach=True, name="s", memory="64m").id
    teu.exec(cid, ["hostname"]).stdout
    teu.stop(cid, timeout=1); teu.remove(cid)

Options are the long flags of `teu run` with `_` for `-` (memory, cap_add,
security_opt, volume, tmpfs, env, ...), repeatable ones as lists. Errors are
teu.errors.TeuError subclasses with docker's exit codes in `.exit_code`.

Starting a container changes the starting process (a private mount namespace,
a child subreaper, signal handlers), so run/start/restart happen in a forked
child; the caller's process is left as it was.
"""

from __future__ import annotations

from teu.api.client import Client, ExecResult, RunResult

__all__ = ["Client", "ExecResult", "RunResult"]
