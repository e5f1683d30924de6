"""API keys and operator tokens: generation, hashing and masking.

Secrets carry 256 random bits in base62; they are stored only as SHA-256 hashes. A plain
hash is enough (no slow KDF) because the input has full entropy, and lookups by hash are
constant-time with respect to the secret's content (no string comparison to time).
"""
from __future__ import annotations

import hashlib
import secrets

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
RANDOM_BYTES = 32
RANDOM_LENGTH = 43  # ceil(256 / log2(62)) characters hold 32 random bytes

KEY_PREFIX = "kp_"
MANAGEMENT_PREFIX = "kpm_"
GATEWAY_PREFIX = "kpg_"


def _base62(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    chars = []
    while number:
        number, rest = divmod(number, 62)
        chars.append(_ALPHABET[rest])
    return "".join(reversed(chars)).rjust(RANDOM_LENGTH, "0")


def generate(prefix: str) -> str:
    return prefix + _base62(secrets.token_bytes(RANDOM_BYTES))


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def mask_key(secret: str) -> str:
    """'kp_' + first 4 + '…' + last 4 of the random part."""
    body = secret[len(KEY_PREFIX):]
    return f"{KEY_PREFIX}{body[:4]}…{body[-4:]}"
