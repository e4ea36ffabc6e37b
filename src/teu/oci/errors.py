"""Errors of the OCI image types: each names the field that was wrong."""

from __future__ import annotations

from teu.errors import TeuError


class ImageSpecError(TeuError, ValueError):
    """A document or value breaks the OCI image spec; the message names the field."""


class DigestMismatchError(ImageSpecError):
    """Content did not hash to the digest it was promised under."""

    def __init__(self, expected: str, actual: str, what: str = "content") -> None:
        super().__init__(f"{what}: digest mismatch: expected {expected}, got {actual}")
        self.expected = expected
        self.actual = actual
