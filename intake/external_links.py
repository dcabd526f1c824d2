"""Links that leave the service (in messages, and the API's status_url): built from
PUBLIC_URL, never from the request's Host header, which whoever sends the request chooses."""

from __future__ import annotations

from typing import Any

from flask import url_for

from intake.services import services

__all__ = ["external_url"]


def external_url(endpoint: str, **values: Any) -> str:
    """The absolute address of ``endpoint`` as patients and other programs reach it."""
    return services().settings.public_url.rstrip("/") + url_for(endpoint, **values)
