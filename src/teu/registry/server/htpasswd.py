"""htpasswd files, as distribution and Apache's htpasswd -B write them.

bcrypt entries ($2y$/$2a$/$2b$) are what distribution accepts; teu also takes
{SHA} entries (htpasswd -s) since some tools still write them. Plain-text and
MD5-crypt ($apr1$) entries are refused at load time: silently accepting a
weak or unknown scheme would be worse than a clear error.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from teu.errors import TeuError


class Htpasswd:
    def __init__(self, entries: dict[str, str]) -> None:
        self.entries = entries
        # bcrypt is slow on purpose (~50-250 ms); a client sends the same
        # credentials on every request, so remember (a hash of) the ones that passed.
        self._ok: set[bytes] = set()

    @classmethod
    def load(cls, path: str) -> Htpasswd:
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except OSError as e:
            raise TeuError(f"htpasswd {path}: {e.strerror}") from None
        return cls.parse(text, path)

    @classmethod
    def parse(cls, text: str, source: str = "htpasswd") -> Htpasswd:
        entries: dict[str, str] = {}
        for lineno, line in enumerate(text.splitlines(), 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            user, sep, hashed = line.partition(":")
            if not sep or not user:
                raise TeuError(f"{source}:{lineno}: expected user:hash")
            if not (hashed.startswith(("$2y$", "$2a$", "$2b$")) or hashed.startswith("{SHA}")):
                raise TeuError(f"{source}:{lineno}: unsupported hash for {user!r} "
                               "(use bcrypt: htpasswd -B)")
            entries[user] = hashed
        return cls(entries)

    def verify(self, user: str, password: str) -> bool:
        hashed = self.entries.get(user)
        if hashed is None:
            return False
        key = hashlib.sha256(f"{user}\0{password}\0{hashed}".encode()).digest()
        if key in self._ok:
            return True
        if hashed.startswith("{SHA}"):
            want = base64.b64encode(hashlib.sha1(password.encode()).digest()).decode()
            ok = hmac.compare_digest(want, hashed[5:])
        else:
            import bcrypt  # imported here: only servers with htpasswd auth need it

            # bcrypt's library knows $2b$/$2a$; Apache's $2y$ is the same algorithm.
            h = hashed.encode()
            if h.startswith(b"$2y$"):
                h = b"$2b$" + h[4:]
            try:
                ok = bcrypt.checkpw(password.encode(), h)
            except ValueError:
                ok = False
        if ok:
            self._ok.add(key)
        return ok


def bcrypt_entry(user: str, password: str, rounds: int = 10) -> str:
    """A `user:$2y$...` line, as `htpasswd -nbB` prints it (for tests and setup)."""
    import bcrypt

    h = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds)).decode()
    return f"{user}:$2y${h[4:]}"
