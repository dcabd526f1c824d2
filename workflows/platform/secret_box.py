"""Small secrets sealed for storage in the database: AES-256-GCM with a key derived from the
app's SECRET_KEY (HKDF-SHA256, a fixed ``info`` string per use), so every web and worker
process that shares SECRET_KEY reads them and nothing new has to be configured.

The stored form is ``v1:`` + base64url(12-byte nonce + ciphertext + 16-byte tag), without
padding: a 32-character TOTP secret becomes 83 characters (Fernet would be 143, too long for
the String(128) column). The version prefix names the key derivation, so a later key can be
added as ``v2:`` and old values still read. Each value is bound to a context (the row it
belongs to) as associated data: a sealed value copied to another row does not open.
"""

from __future__ import annotations

import base64
import binascii
import os
from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = ["VERSION", "SecretUnreadable", "SecretBox"]

VERSION = "v1"
_NONCE_BYTES = 12


class SecretUnreadable(Exception):
    """A sealed value that does not open: SECRET_KEY changed, or the value was altered or
    moved to another row. The message names no secret."""


class SecretBox:
    """Seals and opens short strings with one key derived from ``secret_key`` for ``purpose``."""

    def __init__(self, secret_key: str, purpose: bytes) -> None:
        self._secret_key = secret_key
        self._purpose = purpose

    @cached_property
    def _aead(self) -> AESGCM:
        # Imported on first use: OpenSSL's bindings cost a web process about 6 MB, and only
        # staff two-factor sign-in needs them.
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=self._purpose).derive(
            self._secret_key.encode()
        )
        return AESGCM(key)

    def __repr__(self) -> str:  # never the key, not even in a traceback
        return "SecretBox(...)"

    def seal(self, plaintext: str, context: str) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = nonce + self._aead.encrypt(nonce, plaintext.encode(), context.encode())
        return f"{VERSION}:" + base64.urlsafe_b64encode(sealed).decode().rstrip("=")

    def open(self, stored: str, context: str) -> str:
        from cryptography.exceptions import InvalidTag

        version, _, body = stored.partition(":")
        if version != VERSION or not body:
            raise SecretUnreadable(f"not a {VERSION} sealed value")
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            plaintext = self._aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], context.encode())
        except (InvalidTag, ValueError, binascii.Error):
            raise SecretUnreadable("the sealed value does not open with this key") from None
        return plaintext.decode()
