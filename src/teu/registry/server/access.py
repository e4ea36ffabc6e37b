"""Access scopes (`repository:NAME:pull,push`) and the per-repository rules that grant them."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass

ANONYMOUS = ""


@dataclass(frozen=True)
class Access:
    type: str  # "repository" or "registry"
    name: str  # repository name, or "catalog"
    action: str  # "pull", "push", "delete", "*"

    def scope(self) -> str:
        return f"{self.type}:{self.name}:{self.action}"


def parse_scope(scope: str) -> list[Access]:
    """One scope string -> the accesses it asks for; unparsable scopes ask for nothing.

    The name may itself contain ':' (a registry host with a port, in
    docker's scopes), so type is up to the first colon and actions after the last.
    """
    typ, sep, rest = scope.partition(":")
    name, sep2, actions = rest.rpartition(":")
    if not sep or not sep2 or not typ or not name:
        return []
    typ = typ.split("(")[0]  # docker sends "repository(plugin)"
    return [Access(typ, name, a) for a in actions.split(",") if a]


def parse_scopes(scopes: list[str]) -> list[Access]:
    out: list[Access] = []
    for s in scopes:
        for part in s.split(" "):
            out.extend(parse_scope(part))
    return out


@dataclass(frozen=True)
class Rule:
    """`account` may do `actions` on repositories matching `repository` (a glob).

    account "*" is any authenticated user, "" (or "anonymous") is everyone
    including anonymous clients. Actions: pull, push, delete, or "*".
    """

    account: str
    repository: str
    actions: frozenset[str]

    def grants(self, account: str | None, access: Access) -> bool:
        if self.account in ("", "anonymous"):
            pass
        elif self.account == "*":
            if not account:
                return False
        elif self.account != account:
            return False
        if access.type == "registry":
            if self.repository not in ("*", "**") or access.name != "catalog":
                return False
        elif access.type != "repository" or not fnmatch.fnmatchcase(access.name, self.repository):
            return False
        return "*" in self.actions or access.action in self.actions


def granted(rules: list[Rule], account: str | None, wanted: list[Access]) -> list[Access]:
    """The subset of `wanted` that `rules` allow `account`."""
    return [a for a in wanted if any(r.grants(account, a) for r in rules)]


def covers(grants: list[dict], need: Access) -> bool:
    """Whether a token's `access` claim covers `need`."""
    for g in grants:
        if g.get("type") != need.type or g.get("name") != need.name:
            continue
        actions = g.get("actions") or []
        if need.action in actions or "*" in actions:
            return True
    return False
