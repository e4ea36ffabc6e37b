"""The exceptions every teu layer raises for a user-facing failure, shaped as the
docker SDK for Python's (docker.errors), so the CLI and teu.api raise the same classes.

A TeuError's message is shown to people as-is (no traceback), so it says what
failed, on what, and, where it helps, what to do. Each class carries two codes:
`exit_code` for the command line (docker's: 125 teu's own failure, 126/127 the
container's command) and `status_code` for the API (the HTTP status dockerd would
answer, what docker-py's APIError.status_code holds).

    TeuError                     docker.errors.DockerException
      APIError                   docker.errors.APIError       (status_code, explanation)
        NotFound                 404
          ImageNotFound          404
        Conflict                 409
        InvalidArgument          400
      ContainerError             a container exited non-zero (exit_status, stderr, ...)
      BuildError                 a build failed (reason, build_log)

Layers subclass these (teu.engine.errors.NotFound is a teu.errors.NotFound), so
`except teu.errors.NotFound` catches a missing container, image or volume from any layer.
"""

from __future__ import annotations


class TeuError(Exception):
    """A failure to report to the user in one line; exit_code follows docker's."""

    exit_code = 1
    status_code = 500

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code

    @property
    def explanation(self) -> str:
        """docker-py's name for the server's message: here, the message itself."""
        return str(self)


class APIError(TeuError):
    """A request the engine refused (docker-py: docker.errors.APIError)."""

    def is_client_error(self) -> bool:
        return 400 <= self.status_code < 500

    def is_server_error(self) -> bool:
        return 500 <= self.status_code < 600


class NotFound(APIError):
    """No such container, image, volume or network."""

    status_code = 404


class ImageNotFound(NotFound):
    """No image matches the name or ID."""


class Conflict(APIError):
    """A name in use, a running container removed without force, ..."""

    status_code = 409


class InvalidArgument(APIError):
    """A value is malformed or out of range; nothing was made."""

    status_code = 400


class ContainerError(TeuError):
    """A container run in the foreground exited non-zero (docker-py's ContainerError)."""

    def __init__(self, container: object, exit_status: int, command: object, image: str,
                 stderr: bytes | None) -> None:
        self.container = container
        self.exit_status = exit_status
        self.command = command
        self.image = image
        self.stderr = stderr
        err = f": {stderr.decode(errors='replace').strip()}" if stderr else ""
        super().__init__(f"Command '{_command_text(command)}' in image '{image}' returned "
                         f"non-zero exit status {exit_status}{err}", exit_status)


class BuildError(TeuError):
    """A build failed (docker-py's BuildError: reason and the build log)."""

    exit_code = 1

    def __init__(self, reason: str, build_log: object = None) -> None:
        super().__init__(reason)
        self.msg = reason
        self.build_log = build_log if build_log is not None else []


def _command_text(command: object) -> str:
    if isinstance(command, (list, tuple)):
        return " ".join(str(c) for c in command)
    return "" if command is None else str(command)
