"""A template's errors: Go's messages, teu's exit codes (the caller decides docker's)."""

from __future__ import annotations

from teu.errors import TeuError


class TemplateError(TeuError):
    """A template that cannot be parsed or executed; its text is Go's, so it is shown
    without teu's `teu VERB:` prefix (docker shows Go's text too)."""

    bare = True


class ParseError(TemplateError):
    """`template: :1: unclosed action` and the like."""


class ExecError(TemplateError):
    """`template: :1:2: executing "" at <.Foo>: can't evaluate field Foo in type ...`"""

    def __init__(self, message: str, partial: str = "") -> None:
        super().__init__(message)
        self.partial = partial  # what was written before the error (docker keeps it)
