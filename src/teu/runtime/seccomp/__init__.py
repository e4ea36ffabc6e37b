"""OCI seccomp (`linux.seccomp` of config.json, runtime-spec 1.0-1.3) through libseccomp.

The container init calls this on its way to execve, so importing the module
costs only ctypes and os; libseccomp.so.2 is opened on first use, once. The
work is split in two so a runtime can report profile errors before it forks
and leave only the load to the child:

    flt = compile_filter(config["linux"]["seccomp"])   # validate + build, not loaded
    ...fork...
    flt.load()                                         # in the container init
    if flt.uses_notify:
        fd = flt.notify_fd()   # pass up to the runtime, which calls send_to_listener()

`load(seccomp)` does both steps at once and returns the notify fd, if any.

Semantics follow runc (the reference the peers are tested against):
- syscall names libseccomp does not know are skipped, so one profile works
  across kernels and architectures;
- a rule whose action equals the default action is skipped (libseccomp
  refuses it, and it would change nothing);
- args: one rule with all conditions AND-ed, unless two conditions name the
  same argument index, then one rule per condition (OR), as runc does;
- no_new_privs is not set by the filter (SCMP_FLTATR_CTL_NNP = 0): the runtime
  sets it when process.noNewPrivileges asks, and only then;
- with no `flags` key at all, SECCOMP_FILTER_FLAG_SPEC_ALLOW is used when the
  kernel has it (runc >= 1.2), so seccomp does not force the costly
  speculative-store-bypass mitigation onto the container;
- SCMP_ACT_NOTIFY needs listenerPath, may not be the default action, and may not
  be used on the calls that hand the notify fd over (write, sendmsg).
"""

from __future__ import annotations

from teu.runtime.seccomp.features import features
from teu.runtime.seccomp.filter import (
    Filter,
    _condition_groups,
    _libseccomp,
    compile_filter,
    libseccomp_version,
    load,
)
from teu.runtime.seccomp.notify import send_to_listener
from teu.runtime.seccomp.profile import (
    ACTIONS,
    ARCHES,
    FLAGS,
    OPERATORS,
    SECCOMP_FD_NAME,
    Profile,
    Rule,
    SeccompError,
    action_value,
    enabled,
    parse,
)

__all__ = ["ACTIONS", "ARCHES", "FLAGS", "OPERATORS", "SECCOMP_FD_NAME", "Filter", "Profile",
           "Rule", "SeccompError", "_condition_groups", "_libseccomp", "action_value",
           "compile_filter", "enabled", "features", "libseccomp_version", "load", "parse",
           "send_to_listener"]
