"""Unguessable tokens and public ids; only their hashes are stored."""

from __future__ import annotations

import hashlib
import hmac
import secrets

__all__ = ["new_token", "hash_token", "token_matches", "new_public_id"]

_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # no 0/O, 1/I/L: read aloud on the phone


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_matches(token: str | None, stored_hash: str) -> bool:
    return bool(token) and hmac.compare_digest(hash_token(token or ""), stored_hash)


def new_public_id() -> str:
    """A case reference such as "LDN-7KQ2-M9XD": random, short enough to read to a coordinator."""
    body = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    return f"LDN-{body[:4]}-{body[4:]}"
