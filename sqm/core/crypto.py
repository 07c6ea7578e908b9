"""Personal-data encryption (AES-GCM with a key ring) and HMAC lookup hashes.

SQM_DATA_KEY holds one or more keys as `id:base64key`, comma separated. The first is
the active key every new value is encrypted with; the others are kept to decrypt rows
written before a rotation (`sqm keys rotate` re-encrypts them). Each ciphertext carries
its key id, and each personal-data row stores the id it was last written with.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

from sqm.env import ConfigurationError

NONCE_BYTES = 12


@dataclass(frozen=True)
class KeyRing:
    active_id: str
    ciphers: dict[str, AESGCM]

    def encrypt(self, plaintext: str, context: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self.ciphers[self.active_id].encrypt(
            nonce, plaintext.encode("utf-8"), context.encode()
        )
        return f"{self.active_id}${base64.b64encode(nonce + sealed).decode('ascii')}"

    def decrypt(self, token: str, context: str) -> str:
        key_id, _, body = token.partition("$")
        cipher = self.ciphers.get(key_id)
        if cipher is None:
            raise ConfigurationError(
                f"personal data is encrypted with key {key_id!r}, which SQM_DATA_KEY lacks"
            )
        raw = base64.b64decode(body)
        return cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode()).decode()


def parse_key_spec(spec: str, setting: str = "SQM_DATA_KEY") -> tuple[str, dict[str, bytes]]:
    """Split `id:base64key[,id:base64key…]` into the active (first) id and the raw 32-byte keys.

    Shared by the data keys (AES-GCM) and the audit keys (HMAC), which rotate the same way.
    """
    keys: dict[str, bytes] = {}
    order: list[str] = []
    for part in (p.strip() for p in (spec or "").split(",")):
        if not part:
            continue
        key_id, sep, b64 = part.partition(":")
        try:
            key = base64.urlsafe_b64decode(b64 + "=" * (-len(b64) % 4))
        except ValueError:
            key = b""
        if not sep or not key_id or len(key) != 32:
            raise ConfigurationError(
                f"{setting} must be `id:base64key[,id:base64key…]` with 32-byte keys; "
                "generate one with `sqm keys generate`"
            )
        keys[key_id] = key
        order.append(key_id)
    if not order:
        raise ConfigurationError(f"{setting} is empty")
    return order[0], keys


def parse_keyring(spec: str) -> KeyRing:
    active, keys = parse_key_spec(spec, "SQM_DATA_KEY")
    return KeyRing(active_id=active, ciphers={k: AESGCM(v) for k, v in keys.items()})


@lru_cache(maxsize=4)
def _keyring_for(spec: str) -> KeyRing:
    return parse_keyring(spec)


def keyring() -> KeyRing:
    return _keyring_for(settings.SQM_DATA_KEY)


@lru_cache(maxsize=4)
def _lookup_key(spec: str) -> bytes:
    return hashlib.sha256(b"sqm-lookup:" + spec.encode()).digest()


def lookup_hash(value: str) -> str:
    """HMAC-SHA256 of a normalised value, for exact lookup of encrypted columns."""
    key = _lookup_key(settings.SQM_LOOKUP_KEY)
    normalised = "".join(value.split()).upper()
    return hmac.digest(key, normalised.encode("utf-8"), "sha256").hex()
