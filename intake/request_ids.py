"""Every web request has an id, on each of its log lines and in its X-Request-ID header.

The caller's X-Request-ID is kept when it is a sane one (a load balancer's or another
service's, so one id follows the request across services); anything else is replaced, since a
header is typed by whoever sends the request and could carry anything into the logs.
"""

from __future__ import annotations

import re
import uuid

from flask import Flask, Response, g, request

from workflows.platform.logging_setup import bind, unbind

__all__ = ["HEADER", "init_request_ids", "request_id_for"]

HEADER = "X-Request-ID"
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9-]{1,64}")


def request_id_for(header_value: str | None) -> str:
    """The caller's id when it is short and made of letters, digits and dashes; else a new one."""
    if header_value and _SANE_REQUEST_ID.fullmatch(header_value):
        return header_value
    return uuid.uuid4().hex


def init_request_ids(app: Flask) -> None:
    """Register first, so that a request refused by a later check has an id too."""

    @app.before_request
    def _bind_request_id() -> None:
        g.request_id = request_id_for(request.headers.get(HEADER))
        g.request_id_binding = bind(request_id=g.request_id)

    @app.after_request
    def _return_request_id(response: Response) -> Response:
        response.headers[HEADER] = g.get("request_id") or request_id_for(None)
        return response

    @app.teardown_request
    def _unbind_request_id(_: BaseException | None) -> None:
        binding = g.pop("request_id_binding", None)
        if binding is not None:
            unbind(binding)
