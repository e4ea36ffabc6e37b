"""The last steps before the user's program: limits, identity, capabilities, exec.

Shared by the container's init and by `exec`. Nothing here forks: the caller is
already the process that will become the user's program.
"""

from __future__ import annotations

import os
import stat

from teu.errors import TeuError
from teu.runtime import capabilities
from teu.runtime.linux import PR_SET_KEEPCAPS, PR_SET_NO_NEW_PRIVS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from teu.runtime.linux import Syscalls

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class ExecError(TeuError):
    """The program cannot be run: exit_code is the shell's 127 (not found) or 126."""


def env_dict(env: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in env:
        key, _, value = item.partition("=")
        out[key] = value
    return out


def find_executable(name: str, env: dict[str, str]) -> str:
    """Resolve args[0] the way execvp would, with the container's PATH (in the container)."""
    if "/" in name:
        return _check_executable(name, name)
    for d in (env.get("PATH") or DEFAULT_PATH).split(":"):
        candidate = os.path.join(d or ".", name)
        try:
            st = os.stat(candidate)
        except OSError:
            continue
        if stat.S_ISREG(st.st_mode) and st.st_mode & 0o111:
            return candidate
    raise ExecError(f'exec: "{name}": executable file not found in $PATH', 127)


def _check_executable(path: str, name: str) -> str:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise ExecError(f'exec: "{name}": stat {path}: no such file or directory', 127) from None
    except OSError as e:
        raise ExecError(f'exec: "{name}": {e.strerror.lower()}', 126) from None
    if stat.S_ISDIR(st.st_mode) or not st.st_mode & 0o111:
        raise ExecError(f'exec: "{name}": permission denied', 126)
    return path


def enter_cwd(cwd: str) -> None:
    """chdir to process.cwd, and make sure it is inside the container's root.

    A cwd such as /proc/self/fd/N names whatever fd N is in this process: were one a
    host directory, the program would start outside its root (CVE-2024-21626). The
    kernel's getcwd says "(unreachable)" for such a directory, which Python reports as
    ENOENT; a path inside the root always has a name."""
    try:
        os.chdir(cwd)
    except OSError as e:
        raise ExecError(f'chdir to cwd ("{cwd}") set in config.json failed: '
                        f"{(e.strerror or str(e)).lower()}", 126) from None
    try:
        os.getcwd()
    except FileNotFoundError:
        raise ExecError(f'chdir to cwd ("{cwd}"): it is outside the container\'s root',
                        126) from None


def set_rlimits(rlimits: list[dict] | None, sys: Syscalls | None = None) -> None:
    if not rlimits:
        return
    from teu.runtime import linux as L

    sys = sys or L.syscalls()
    for rl in rlimits:
        kind = L.RLIMITS.get(rl["type"])
        if kind is None:
            raise TeuError(f"rlimit {rl['type']} is not known on this system")
        try:
            sys.setrlimit(kind, rl["soft"], rl["hard"])
        except OSError as e:
            # the resource module's words for the two refusals
            why = {1: "not allowed to raise maximum limit",
                   22: "current limit exceeds maximum limit"}.get(e.errno, e.strerror)
            raise TeuError(f"setting {rl['type']} to {rl['soft']}:{rl['hard']}: {why} "
                           "(raising a hard limit needs CAP_SYS_RESOURCE)") from None


def set_oom_score_adj(value: int | None, pid: int | str = "self") -> None:
    """The process's oomScoreAdj (ours, or another's: the runtime sets it for an init
    in a new user namespace, which may not lower its own)."""
    if value is None:
        return
    try:
        with open(f"/proc/{pid}/oom_score_adj", "w") as f:
            f.write(str(value))
    except OSError as e:
        raise TeuError(f"setting oomScoreAdj to {value}: {e.strerror}") from None


def switch_identity(sys: Syscalls, process: dict) -> None:
    """Drop the bounding set, change uid/gid/groups keeping caps, then set the cap sets.

    Without process.capabilities the process keeps what the runtime has, as runc does.
    """
    caps = process.get("capabilities")
    known = capabilities.last_cap()
    if caps is not None:
        capabilities.drop_bounding(sys, capabilities.mask(caps.get("bounding"), known), known)
        sys.prctl(PR_SET_KEEPCAPS, 1)
    user = process.get("user") or {}
    uid, gid = user.get("uid", 0), user.get("gid", 0)
    groups = user.get("additionalGids")
    if groups is not None or _may_setgroups():
        os.setgroups(list(groups or []))
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    if caps is not None:
        sys.prctl(PR_SET_KEEPCAPS, 0)
        capabilities.apply_sets(sys, caps, known)
    if "umask" in user:
        os.umask(user["umask"])


def _may_setgroups() -> bool:
    # In a user namespace whose setgroups is "deny", setgroups(2) fails with EPERM.
    try:
        with open("/proc/self/setgroups") as f:
            return f.read().strip() != "deny"
    except OSError:
        return True


def set_no_new_privileges(sys: Syscalls, process: dict) -> None:
    if process.get("noNewPrivileges"):
        sys.prctl(PR_SET_NO_NEW_PRIVS, 1)


def close_other_fds(keep_until: int) -> None:
    """Mark every fd >= keep_until close-on-exec: the program sees only what it was given."""
    try:
        names = os.listdir("/proc/self/fd")
    except FileNotFoundError:
        # No /proc in the root (a container without a mount namespace is only chrooted):
        # close them instead; nothing above keep_until is needed from here to the exec.
        os.closerange(keep_until, os.sysconf("SC_OPEN_MAX"))
        names = []
    for name in names:
        fd = int(name)
        if fd >= keep_until:
            try:
                os.set_inheritable(fd, False)
            except OSError:
                pass
    for fd in range(3, keep_until):
        try:
            os.set_inheritable(fd, True)
        except OSError:
            pass


def execute(path: str, args: list[str], env: list[str]) -> None:
    """Replace this process with the program; on failure exit as a shell would."""
    try:
        os.execve(path, args, env_dict(env))
    except OSError as e:
        code = 127 if isinstance(e, FileNotFoundError) else 126
        os.write(2, f"teu-runtime: exec {args[0]}: {e.strerror}\n".encode())
        os._exit(code)
