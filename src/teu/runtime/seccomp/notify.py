"""SCMP_ACT_NOTIFY: hand the notify fd to the listener at listenerPath (the spec's message).

The filter is loaded in the container's process, so the listener fd is born
there; the runtime takes a copy with pidfd_getfd(2) (Linux 5.6, as runc does),
sends it to the agent with the container's state, and closes its copy. Once
the container's process closes its own, the agent holds the only one: when
the agent dies, the notified calls fail with ENOSYS instead of hanging.
"""

from __future__ import annotations

import os

from teu.runtime.seccomp.profile import (
    _SPEC_VERSION,
    SECCOMP_FD_NAME,
    SeccompError,
)

_SYS_PIDFD_GETFD = 438  # the same number in every Linux syscall table (asm-generic)


def take_fd(pid: int, fd: int) -> int:
    """A copy of process `pid`'s file descriptor `fd` in this process (close-on-exec)."""
    import ctypes

    try:
        pidfd = os.pidfd_open(pid)
    except OSError as e:
        raise SeccompError(f"seccomp notify: pidfd_open({pid}): {e.strerror}") from None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.syscall.restype = ctypes.c_long
        got = libc.syscall(ctypes.c_long(_SYS_PIDFD_GETFD), ctypes.c_long(pidfd),
                           ctypes.c_long(fd), ctypes.c_long(0))
        if got < 0:
            err = ctypes.get_errno()
            raise SeccompError(f"seccomp notify unsupported: pidfd_getfd: {os.strerror(err)}")
        return got
    finally:
        os.close(pidfd)


def hand_over(seccomp: dict, pid: int, fd: int, state: dict) -> None:
    """Take process `pid`'s notify fd `fd` and send it to listenerPath with `state`."""
    mine = take_fd(pid, fd)
    try:
        send_to_listener(seccomp, mine, state)
    finally:
        os.close(mine)


def send_to_listener(seccomp: dict, notify_fd: int, state: dict) -> None:
    """Send the notify fd to `listenerPath` with the runtime-spec ContainerProcessState.

    `state` is the container's runtime-spec state (ociVersion, id, status, pid,
    bundle, annotations); its pid is the container process as the runtime sees
    it. One connection, one message, then closed, as the spec requires. The
    path is the host's, so this runs on the runtime's side (hand_over).
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
    data = json.dumps(message, separators=(",", ":")).encode()
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(path)
            sent = socket.send_fds(sock, [data], [notify_fd])
            if sent < len(data):
                sock.sendall(data[sent:])  # the fd went with the first bytes
    except OSError as e:
        # runc's wording: seccomp agents' users search for it.
        raise SeccompError(f"linux.seccomp.listenerPath: failed to connect with seccomp agent "
                           f"specified in the seccomp profile: {path}: "
                           f"{e.strerror or e}") from None
