"""The admin page for webhooks, /staff/admin/webhooks: register, deactivate, rotate a secret,
send a test event, and see every delivery with its outcome. Views are thin: workflows/messaging/webhooks.py
holds the rules and audits each change."""

from __future__ import annotations

import json
import secrets

import redis.exceptions
from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField, URLField

# types-WTForms 3.2 predates SelectChoice (WTForms 3.3): its stubs do not know it.
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]
from wtforms.validators import InputRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from intake.services import services
from intake.staff.auth import role_required
from intake.staff.forms import SummarisedForm
from intake.staff.views import bp
from workflows.messaging import webhook_admin, webhooks
from workflows.platform.orm import utcnow
from workflows.platform.redis_clients import redis_client
from workflows.staff.accounts import StaffNotFound

__all__ = ["EndpointForm", "EndpointActionForm"]


class EndpointForm(SummarisedForm):
    url = URLField(
        "Endpoint address (https://)",
        [InputRequired("Enter the endpoint's address (https://...)."), Length(max=500)],
    )
    description = StringField("Description", [Length(max=200)])
    events = SelectMultipleField(
        "Events",
        [InputRequired("Choose at least one event.")],
        choices=[SelectChoice(event, event) for event in webhooks.EVENT_TYPES],
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
    )


class EndpointActionForm(FlaskForm):
    """Deactivate, rotate, test: a button and its CSRF token."""


# A new secret is shown once, on the page the browser is redirected to (so a reload cannot post
# the form again): it waits in Redis under a random one-time key, for this admin only, briefly.
SECRET_HANDOVER_SECONDS = 300


def _hand_over(endpoint_id: int, secret: str) -> str | None:
    key = secrets.token_urlsafe(16)
    value = json.dumps({"staff": current_user.id, "endpoint": endpoint_id, "secret": secret})
    try:
        redis_client(services().redis_url).set(
            f"ldn:webhook-secret:{key}", value, ex=SECRET_HANDOVER_SECONDS
        )
    except redis.exceptions.RedisError:
        return None
    return key


def _take_over(key: str) -> tuple[int, str] | None:
    try:
        raw = redis_client(services().redis_url).getdel(f"ldn:webhook-secret:{key}")
    except redis.exceptions.RedisError:
        return None
    held = json.loads(raw) if raw else None
    if not held or held["staff"] != current_user.id:
        return None
    return held["endpoint"], held["secret"]


def _show_secret(endpoint_id: int, secret: str) -> ResponseReturnValue:
    key = _hand_over(endpoint_id, secret)
    if key is None:
        flash(
            "The signing secret could not be shown (Redis is unavailable): make a new one with "
            "New secret.",
            "error",
        )
        return redirect(url_for(".webhooks_page"))
    return redirect(url_for(".webhooks_page", shown=key))


def _page(form: EndpointForm, new_secret: tuple[int, str] | None = None) -> str:
    status = request.args.get("status") or None
    if status not in (None, *webhooks.DeliveryStatus.ALL):
        status = None
    page = webhook_admin.read_webhooks_page(services().sessions, status)
    form.url.description = "For example https://crm.practice.example/hooks/ldn" + (
        ". Development: http://127.0.0.1 is allowed too."
        if services().settings.webhook_allow_local_http
        else "."
    )
    return render_template(
        "staff/webhooks.html",
        form=form,
        action_form=EndpointActionForm(),
        endpoints=page.endpoints,
        deliveries=page.deliveries,
        status=status,
        statuses=webhooks.DeliveryStatus.ALL,
        new_secret=new_secret,
        event_types=webhooks.EVENT_TYPES,
        allow_local_http=services().settings.webhook_allow_local_http
        and services().settings.is_development,
        allow_loopback=services().settings.is_development,
        now=utcnow(),
    )


@bp.get("/admin/webhooks")
@role_required("admin")
def webhooks_page() -> ResponseReturnValue:
    shown = request.args.get("shown")
    return _page(
        EndpointForm(formdata=None, events=list(webhooks.EVENT_TYPES), html_id="wh"),
        _take_over(shown) if shown else None,
    )


@bp.post("/admin/webhooks")
@role_required("admin")
def webhook_register() -> ResponseReturnValue:
    form = EndpointForm(html_id="wh")
    if not form.validate_on_submit():
        return _page(form), 400
    ldn = services()
    try:
        shown_once = webhook_admin.register(
            ldn.sessions,
            current_user.id,
            form.url.data or "",
            form.description.data or "",
            form.events.data or [],
            ldn.settings.webhook_allow_local_http,
            allow_loopback=ldn.settings.is_development,
        )
    except (webhooks.InvalidWebhookUrl, webhooks.InvalidEventTypes) as invalid:
        field = form.events if isinstance(invalid, webhooks.InvalidEventTypes) else form.url
        field.errors = [*field.errors, str(invalid)]
        return _page(form), 400
    except StaffNotFound:
        abort(403)
    flash("Endpoint registered.", "success")
    return _show_secret(*shown_once)


def _require_csrf() -> None:
    if not EndpointActionForm().validate_on_submit():
        abort(400)


@bp.post("/admin/webhooks/<int:endpoint_id>/deactivate")
@role_required("admin")
def webhook_deactivate(endpoint_id: int) -> ResponseReturnValue:
    _require_csrf()
    try:
        abandoned = webhook_admin.deactivate(services().sessions, current_user.id, endpoint_id)
    except webhooks.EndpointNotFound:
        abort(404)
    except StaffNotFound:
        abort(403)
    flash(
        "Endpoint deactivated: it gets no more deliveries"
        + (f"; {abandoned} waiting deliveries were abandoned." if abandoned else "."),
        "success",
    )
    return redirect(url_for(".webhooks_page"))


@bp.post("/admin/webhooks/<int:endpoint_id>/rotate")
@role_required("admin")
def webhook_rotate(endpoint_id: int) -> ResponseReturnValue:
    _require_csrf()
    try:
        secret = webhook_admin.rotate_secret(services().sessions, current_user.id, endpoint_id)
    except webhooks.EndpointNotFound:
        abort(404)
    except StaffNotFound:
        abort(403)
    flash("New signing secret made: the old one no longer signs deliveries.", "success")
    return _show_secret(endpoint_id, secret)


@bp.post("/admin/webhooks/<int:endpoint_id>/test")
@role_required("admin")
def webhook_test(endpoint_id: int) -> ResponseReturnValue:
    _require_csrf()
    ldn = services()
    try:
        webhook_admin.send_test_event(ldn.sessions, current_user.id, endpoint_id, ldn.send_webhook)
    except webhooks.EndpointNotFound:
        abort(404)
    except StaffNotFound:
        abort(403)
    flash("Test event sent: its outcome appears in the deliveries below.", "success")
    return redirect(url_for(".webhooks_page"))
