"""`teu exec [-d] [-i] [-t] [-u USER] [-e K=V] [-w DIR] CONTAINER COMMAND [ARG...]`."""

from __future__ import annotations

from teu.cli._engine import engine, guarded, not_a_tty, parse_or_help
from teu.cli._flags import BOOL, LIST, STR, Flag

FLAGS = [Flag("detach", "d", BOOL, "Detached mode: run command in the background"),
         Flag("interactive", "i", BOOL, "Keep STDIN open even if not attached"),
         Flag("tty", "t", BOOL, "Allocate a pseudo-TTY"),
         Flag("user", "u", STR, "Username or UID (format: <name|uid>[:<group|gid>])"),
         Flag("env", "e", LIST, "Set environment variables"),
         Flag("env-file", None, LIST, "Read in a file of environment variables"),
         Flag("workdir", "w", STR, "Working directory inside the container"),
         Flag("privileged", None, BOOL, "Give extended privileges to the command")]


def main(argv: list[str]) -> int:
    parsed = parse_or_help(argv, FLAGS, "teu exec", "[OPTIONS] CONTAINER COMMAND [ARG...]",
                           "Execute a command in a running container", False, 2)
    if parsed is None:
        return 0
    opts, args = parsed
    not_a_tty(bool(opts.get("interactive")), bool(opts.get("tty")), bool(opts.get("detach")))

    def go() -> int:
        from teu.engine.config.options import env_list
        from teu.engine.lifecycle.execute import exec_in

        env = env_list(opts.get("env") or [], opts.get("env_file") or [])
        return exec_in(engine(), args[0], args[1:], interactive=bool(opts.get("interactive")),
                       tty=bool(opts.get("tty")), user=opts.get("user"), env=env,
                       workdir=opts.get("workdir"), detach=bool(opts.get("detach")),
                       privileged=bool(opts.get("privileged")))

    return guarded(go, command_codes=True)
