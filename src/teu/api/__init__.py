"""teu's public Python API, shaped as the docker SDK for Python (docker-py), in-process.

    import teu
    client = teu.from_env()            # or teu.Client(root=..., runroot=...)
    out = client.containers.run("busybox", "echo hi", remove=True)      # b"hi\\n"
    c = client.containers.run("busybox", ["sleep", "60"], detach=True, name="s",
                              mem_limit="64m", labels={"app": "demo"})
    for chunk in c.logs(stream=True, follow=True): ...
    code, output = c.exec_run("hostname")
    c.stop(timeout=1); c.remove()
    client.images.pull("127.0.0.1:5000/library/busybox")
    client.sandbox.run("echo hi", image="busybox")   # untrusted code, every limit on

Keyword arguments are docker-py's (mem_limit, environment={...}, volumes={...},
restart_policy={...}); an unknown one is a TypeError, a bad value an InvalidArgument,
raised before anything is made. Errors are teu.errors' classes (docker-py's names:
APIError, NotFound, ImageNotFound, ContainerError, ...), the same the CLI reports.
Starting a container changes the starting process (a private mount namespace, a
child subreaper, signal handlers), so run/start/exec happen in a worker of a fork
server that teu.api spawns on first use (teu.api.child): never a fork of the caller,
which may be threaded. The caller's process is left as it was. `teu.api.images` keeps the image calls as plain
functions (pull, push, save, load, ...).
"""

from __future__ import annotations

from teu.api.client import Client, from_env
from teu.api.models.containers import Container, ExecResult
from teu.api.models.images import Image
from teu.api.models.networks import Network
from teu.api.models.volumes import Volume
from teu.api.sandbox import SandboxResult

__all__ = ["Client", "Container", "ExecResult", "Image", "Network", "SandboxResult", "Volume",
           "from_env"]
