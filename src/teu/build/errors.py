"""Build errors: one line, naming the Dockerfile, its line and the instruction."""

from __future__ import annotations

from teu import errors


class BuildError(errors.BuildError):
    """A build that cannot go on; docker build exits 1 (docker-py: BuildError)."""

    exit_code = 1


class DockerfileError(BuildError):
    """Bad Dockerfile syntax or arguments: `Dockerfile:LINE: INSTRUCTION: what is wrong`."""

    def __init__(self, message: str, line: int = 0, file: str = "Dockerfile",
                 instruction: str = "") -> None:
        self.reason = message
        self.line = line
        self.file = file
        self.instruction = instruction
        super().__init__(self._format())

    def _format(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        msg = self.reason
        word = self.instruction.upper()
        if word and not msg.upper().startswith(word) and f" {word}" not in msg.upper():
            msg = f"{word}: {msg}"
        return f"{where}: {msg}"

    def located(self, file: str | None = None, line: int | None = None) -> DockerfileError:
        """The same error with the file (and line) filled in."""
        if file is not None:
            self.file = file
        if line is not None and not self.line:
            self.line = line
        self.args = (self._format(),)
        return self


class StepFailed(BuildError):
    """A RUN that exited non-zero: its code and the last lines of its output."""

    def __init__(self, message: str, code: int, tail: list[str]) -> None:
        self.code = code
        self.tail = tail
        super().__init__(message)
