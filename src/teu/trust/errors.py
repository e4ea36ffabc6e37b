"""Trust failures, with cosign's exit codes where cosign has one (cmd/cosign/errors)."""

from __future__ import annotations

from teu.errors import TeuError

# cosign's exit codes for verify.
IMAGE_WITHOUT_SIGNATURE = 10
NON_EXISTENT_TAG = 11
NO_MATCHING_SIGNATURE = 12


class TrustError(TeuError):
    """Bad key, bad password, malformed signature material: exit 1 as cosign."""

    exit_code = 1


class KeyError_(TrustError):
    """A key file that cannot be read or decrypted."""


class NoSignatures(TrustError):
    exit_code = IMAGE_WITHOUT_SIGNATURE


class TagNotFound(TrustError):
    exit_code = NON_EXISTENT_TAG


class NoMatchingSignature(TrustError):
    exit_code = NO_MATCHING_SIGNATURE


class PolicyError(TrustError):
    """The policy file is missing, unreadable or malformed (file:line: what)."""

    exit_code = 125


class PolicyDenied(PolicyError):
    """The policy refuses an image: names the image, the scope that matched and why."""

    exit_code = 125
