"""SCMP_ACT_NOTIFY: hand the notify fd to the listener at listenerPath (the spec's message)."""

from __future__ import annotations

from teu.runtime.seccomp.profile import (
    _SPEC_VERSION,
    SECCOMP_FD_NAME,
    SeccompError,
)


def send_to_listener(seccomp: dict, notify_fd: int, state: dict) -> None:
    """Send the notify fd to `listenerPath` with the runtime-spec ContainerProcessState.

    `state` is the container's runtime-spec state (ociVersion, id, status, pid,
    bundle, annotations); its pid is the container process as the runtime sees
    it. One connection, one message, then closed, as the spec requires. The
    path is the host's, so call this from the runtime's side: the init passes
    the fd up (e.g. socket.send_fds on its sync socket) after Filter.load().
    """
    import json  # only NOTIFY profiles pay for it
    import socket

    path = seccomp.get("listenerPath") or ""
    if not path:
        raise SeccompError("linux.seccomp.listenerPath: required when SCMP_ACT_NOTIFY is used")
    message: dict = {"ociVersion": state.get("ociVersion") or _SPEC_VERSION,
                     "fds": [SECCOMP_FD_NAME], "pid": state.get("pid", 0), "state": state}
    if seccomp.get("listenerMetadata"):
        message["metadata"] = seccomp["listenerMetadata"]
    data = json.dumps(message).encode()
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(path)
            sent = socket.send_fds(sock, [data], [notify_fd])
            if sent < len(data):
                sock.sendall(data[sent:])  # the fd went with the first bytes
    except OSError as e:
        raise SeccompError(f"linux.seccomp.listenerPath: cannot send the seccomp fd to "
                           f"{path}: {e.strerror or e}") from None
