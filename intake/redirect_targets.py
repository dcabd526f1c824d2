"""Where a `next` parameter may send a browser: a path of this site, or nowhere.

One check for every place that reads `next` (the language switch, the staff sign-in). Prefix
tests on the raw text were fooled: browsers drop TAB, CR and LF inside a URL, so
"/\t/evil.example" became "//evil.example", another host. The text is refused outright if it
holds any control character or backslash (browsers read "\\" as "/"), then parsed, and kept
only if it has no scheme and no host and its path, with percent escapes decoded, cannot be
read as one either.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

__all__ = ["local_path"]

_LONGEST = 2000


def local_path(target: str | None, within: str = "/") -> str | None:
    """``target`` when it is a path of this site under ``within`` (query kept), else None."""
    if not target or len(target) > _LONGEST or not _printable(target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    decoded = unquote(parts.path)
    if decoded.startswith("//") or not _printable(decoded) or not decoded.startswith(within):
        return None
    return target


def _printable(text: str) -> bool:
    return "\\" not in text and all(" " < ch != "\x7f" for ch in text)
