"""cosign's key pair, byte for byte (sigstore/cosign pkg/cosign/keys.go).

    cosign.pub   PEM "PUBLIC KEY": an ECDSA P-256 key, PKIX (SubjectPublicKeyInfo) DER
    cosign.key   PEM "ENCRYPTED SIGSTORE PRIVATE KEY" (older cosign: "ENCRYPTED COSIGN
                 PRIVATE KEY"): base64 of the JSON that secure-systems-lab's encrypted
                 package writes:
                   {"kdf": {"name": "scrypt", "params": {"N": 65536, "r": 8, "p": 1},
                            "salt": b64(32 bytes)},
                    "cipher": {"name": "nacl/secretbox", "nonce": b64(24 bytes)},
                    "ciphertext": b64(secretbox(PKCS#8 DER of the private key))}
                 The secretbox key is scrypt(password, salt, N, r, p, 32 bytes).

The password comes from COSIGN_PASSWORD (set, even empty, as cosign reads it), then
TEU_PASSWORD, then a prompt when stdin is a terminal.
"""

from __future__ import annotations

import binascii
import os
import sys

from teu import fastjson
from teu.trust.errors import KeyError_

PRIVATE_LABELS = ("ENCRYPTED SIGSTORE PRIVATE KEY", "ENCRYPTED COSIGN PRIVATE KEY")
WRITE_LABEL = PRIVATE_LABELS[0]
SCRYPT_N, SCRYPT_R, SCRYPT_P = 65536, 8, 1


class KeyPair:
    """A key pair in cosign's PEM files (a plain class: no dataclasses import on verify)."""

    __slots__ = ("private_pem", "public_pem")

    def __init__(self, private_pem: bytes, public_pem: bytes) -> None:
        self.private_pem = private_pem
        self.public_pem = public_pem

    def __eq__(self, other: object) -> bool:
        return isinstance(other, KeyPair) and (self.private_pem, self.public_pem) == \
            (other.private_pem, other.public_pem)


def password(confirm: bool = False, what: str = "private key") -> bytes:
    """The key's password from the environment, else a prompt (twice when `confirm`)."""
    for var in ("COSIGN_PASSWORD", "TEU_PASSWORD"):
        if var in os.environ:
            return os.environ[var].encode()
    if not sys.stdin.isatty():
        raise KeyError_(f"a password is needed for the {what}: set COSIGN_PASSWORD "
                        "(or TEU_PASSWORD), or run on a terminal")
    import getpass

    first = getpass.getpass(f"Enter password for {what}: ")
    if confirm and getpass.getpass(f"Enter password for {what} again: ") != first:
        raise KeyError_("passwords do not match")
    return first.encode()


def _b64(data: bytes) -> bytes:
    return binascii.b2a_base64(data, newline=False)


def _unb64(text: str) -> bytes:
    return binascii.a2b_base64(text)


def _pem(label: str, der: bytes) -> bytes:
    b64 = _b64(der).decode()
    lines = [b64[i:i + 64] for i in range(0, len(b64), 64)]
    return (f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----\n").encode()


def _unpem(data: bytes, labels: tuple[str, ...], path: str) -> bytes:
    text = data.decode("ascii", "replace")
    for label in labels:
        begin, end = f"-----BEGIN {label}-----", f"-----END {label}-----"
        if begin in text:
            body = text.split(begin, 1)[1].split(end, 1)
            if len(body) != 2:
                raise KeyError_(f"{path}: PEM block {label!r} is not terminated")
            try:
                # binascii rather than base64 (which imports re): same strict check
                return binascii.a2b_base64("".join(body[0].split()), strict_mode=True)
            except ValueError:
                raise KeyError_(f"{path}: PEM block {label!r} is not base64") from None
    raise KeyError_(f"{path}: not a cosign private key (no {labels[0]} PEM block)")


def encrypt_private(der: bytes, pw: bytes) -> bytes:
    """The PEM cosign writes for a PKCS#8 DER private key under `pw`."""
    import nacl.secret
    import nacl.utils
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    salt = nacl.utils.random(32)
    nonce = nacl.utils.random(nacl.secret.SecretBox.NONCE_SIZE)
    key = Scrypt(salt=salt, length=32, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P).derive(pw)
    sealed = nacl.secret.SecretBox(key).encrypt(der, nonce).ciphertext
    doc = {"kdf": {"name": "scrypt", "params": {"N": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P},
                   "salt": _b64(salt).decode()},
           "cipher": {"name": "nacl/secretbox", "nonce": _b64(nonce).decode()},
           "ciphertext": _b64(sealed).decode()}
    return _pem(WRITE_LABEL, fastjson.dumps(doc).encode())


def decrypt_private(pem: bytes, pw: bytes, path: str = "private key") -> bytes:
    """PKCS#8 DER from cosign's encrypted PEM; KeyError_ on a wrong password or bad file."""
    import nacl.exceptions
    import nacl.secret
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    try:
        doc = fastjson.loads(_unpem(pem, PRIVATE_LABELS, path))
        kdf, cipher = doc["kdf"], doc["cipher"]
        if kdf.get("name") != "scrypt" or cipher.get("name") != "nacl/secretbox":
            raise KeyError_(f"{path}: unsupported key encryption {kdf.get('name')}/"
                            f"{cipher.get('name')} (cosign uses scrypt + nacl/secretbox)")
        params = kdf["params"]
        salt = _unb64(kdf["salt"])
        nonce = _unb64(cipher["nonce"])
        sealed = _unb64(doc["ciphertext"])
        n, r, p = int(params["N"]), int(params["r"]), int(params["p"])
    except (ValueError, KeyError, TypeError, AttributeError):
        raise KeyError_(f"{path}: malformed encrypted private key") from None
    if not (2 <= n <= 1 << 20 and r <= 32 and p <= 16):
        raise KeyError_(f"{path}: scrypt parameters out of range (N={n}, r={r}, p={p})")
    key = Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(pw)
    try:
        return nacl.secret.SecretBox(key).decrypt(sealed, nonce)
    except (nacl.exceptions.CryptoError, ValueError):
        raise KeyError_(f"{path}: decrypting the private key failed: wrong password?") from None


def generate(pw: bytes) -> KeyPair:
    """A new ECDSA P-256 key pair in cosign's files' formats."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    pub = key.public_key().public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    return KeyPair(encrypt_private(der, pw), pub)


def write_pair(pair: KeyPair, prefix: str) -> tuple[str, str]:
    """Write PREFIX.key (0600) and PREFIX.pub; never overwrites; both or neither."""
    key_path, pub_path = f"{prefix}.key", f"{prefix}.pub"
    for p in (key_path, pub_path):
        if os.path.lexists(p):
            raise KeyError_(f"{p} already exists; remove it or choose --output-key-prefix")
    tmp_key, tmp_pub = f"{key_path}.tmp-{os.getpid()}", f"{pub_path}.tmp-{os.getpid()}"
    try:
        fd = os.open(tmp_key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(pair.private_pem)
        with open(tmp_pub, "wb") as f:
            f.write(pair.public_pem)
        os.rename(tmp_key, key_path)
        os.rename(tmp_pub, pub_path)
    finally:
        for p in (tmp_key, tmp_pub):
            if os.path.exists(p):
                os.unlink(p)
    return key_path, pub_path


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read(1 << 20)
    except OSError as e:
        raise KeyError_(f"{path}: {e.strerror or e}") from None


def load_private(path: str, pw: bytes | None = None) -> object:
    """The cryptography private key from a cosign .key file (asks for the password)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    pem = _read(path)
    der = decrypt_private(pem, password() if pw is None else pw, path)
    try:
        key = serialization.load_der_private_key(der, None)
    except ValueError:
        raise KeyError_(f"{path}: the decrypted key is not PKCS#8") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise KeyError_(f"{path}: only ECDSA keys are supported (found {type(key).__name__})")
    return key


# SubjectPublicKeyInfo DER of every uncompressed P-256 key starts with these 26 bytes
# (id-ecPublicKey, prime256v1, a 66-byte bit string); the 65-byte point follows.
P256_SPKI_PREFIX = bytes.fromhex("3059301306072a8648ce3d020106082a8648ce3d030107034200")


def load_public(path: str | None = None, data: bytes | None = None) -> object:
    """A public key from a PEM file (cosign.pub) or PEM bytes (a policy's keyData)."""
    from cryptography.hazmat.primitives.asymmetric import ec

    where = path or "keyData"
    pem = data if data is not None else _read(path or "")
    # cosign's keys (P-256) without cryptography's serialization package, whose import
    # (SSH key support, bcrypt) is as long as the rest of a `teu verify`: the point
    # itself is still checked by cryptography (on the curve, well formed).
    try:
        der = _unpem(pem, ("PUBLIC KEY",), where)
    except KeyError_:
        der = b""
    if len(der) == 91 and der.startswith(P256_SPKI_PREFIX):
        try:
            return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), der[26:])
        except ValueError:
            raise KeyError_(f"{where}: not a valid P-256 public key") from None
    from cryptography.hazmat.primitives import serialization

    try:
        key = serialization.load_pem_public_key(pem)
    except ValueError:
        # cosign also accepts the private key file where a public key is wanted
        # only with a password; a public key must be PEM PUBLIC KEY.
        raise KeyError_(f"{where}: not a PEM public key") from None
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise KeyError_(f"{where}: only ECDSA public keys are supported")
    return key


def public_pem(key: object) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.public_bytes(serialization.Encoding.PEM,
                            serialization.PublicFormat.SubjectPublicKeyInfo)
