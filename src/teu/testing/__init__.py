"""Helpers that make test material locally (no network): root filesystems and bundles."""
