"""Errors of the image store; each message names the image (or blob) and what failed."""

from __future__ import annotations

from teu import errors
from teu.errors import TeuError


class ImageError(TeuError):
    """A store operation failed; teu's own failure, so exit 125 like docker."""

    exit_code = 125


class ImageNotFound(ImageError, errors.ImageNotFound):
    """No image in the store matches the name or ID."""


class BlobNotFound(ImageError, errors.NotFound):
    """A blob an image needs is not in the store."""


class ConflictError(ImageError, errors.Conflict):
    """The operation would break another image (e.g. removing an ID with several tags)."""


class LayerError(ImageError):
    """A layer cannot be applied: hostile paths, bad archive, diff ID mismatch."""
