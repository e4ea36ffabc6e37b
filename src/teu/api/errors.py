"""teu.api.errors: docker-py's exception classes (also importable as teu.errors)."""

from teu.errors import (
    APIError,
    BuildError,
    Conflict,
    ContainerError,
    ImageNotFound,
    InvalidArgument,
    NotFound,
    TeuError,
)

DockerException = TeuError  # docker-py's base class's name

__all__ = ["APIError", "BuildError", "Conflict", "ContainerError", "DockerException",
           "ImageNotFound", "InvalidArgument", "NotFound", "TeuError"]
