"""Which intakes this browser has been used for: a long-lived signed cookie of draft ids.

The session cookie ends with the browser session (and with "start over"); this one outlives
it, so a patient who opens their emailed link months later on the phone they filled the intake
in is not asked for their date of birth again (workflows.cases.device_check asks a browser
that is not in it). It holds ids only, signed with the app's secret so a browser cannot add a
draft it was never used for, and the newest few, so it stays small.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Response, after_this_request, current_app, g, request
from itsdangerous import BadSignature, URLSafeSerializer

__all__ = ["COOKIE", "used_for", "remember"]

COOKIE = "ldn_device"
KEPT = 20  # ids: a family filling intakes on one computer stays well within it
LIFETIME = timedelta(days=400)  # the longest a browser keeps a cookie (Chrome's cap)


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key or "", salt="ldn-device-drafts")


def _drafts() -> list[int]:
    try:
        ids = _signer().loads(request.cookies.get(COOKIE, ""))
    except BadSignature:
        return []
    return [i for i in ids if isinstance(i, int)] if isinstance(ids, list) else []


def used_for(draft_id: int) -> bool:
    """Whether this browser has held this draft (made it, or passed its check)."""
    return draft_id in _drafts()


def remember(draft_id: int) -> None:
    """Add the draft to this browser's cookie, on the response being made. Called twice in a
    request (a case's first draft and the one a link names), the cookie keeps both."""
    pending = g.get("device_drafts")
    ids = [*(i for i in (pending or _drafts()) if i != draft_id), draft_id][-KEPT:]
    g.device_drafts = ids
    if pending is not None:
        return  # the cookie is already set on this response, from g.device_drafts

    @after_this_request
    def set_cookie(response: Response) -> Response:
        response.set_cookie(
            COOKIE,
            _signer().dumps(g.device_drafts),
            max_age=int(LIFETIME.total_seconds()),
            secure=current_app.config["SESSION_COOKIE_SECURE"],
            httponly=True,
            samesite="Lax",
        )
        return response
