"""Security headers (Flask-Talisman) and rate limits (Flask-Limiter, counted in Redis so every
web process shares them)."""

from __future__ import annotations

import hmac

from flask import Flask, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_talisman import Talisman
from limits import parse

from workflows.platform.settings import Settings

__all__ = [
    "limiter",
    "HEALTH_LIMIT",
    "DRAFT_CREATE_LIMIT",
    "RESUME_MAIL_LIMIT",
    "may_mail_resume_link",
    "draft_create_limit",
    "init_security",
    "api_intake_limit",
    "LOGIN_LIMIT",
    "TWO_FACTOR_LIMIT",
    "RESUME_LIMIT",
]

# swallow_errors: with Redis down the limits fail open, so patients can still submit (the
# case waits in the database for the broker; see Services.enqueue).
limiter = Limiter(
    key_func=get_remote_address, default_limits=[], headers_enabled=True, swallow_errors=True
)
LOGIN_LIMIT = "10/minute"  # staff sign-in attempts per address, on top of the account lock-out
# Codes typed per address, on every two-factor form together (sign-in, recovery, enrolment).
TWO_FACTOR_LIMIT = "10/minute"
RESUME_LIMIT = "20/minute"  # resume-token guesses per address
# New drafts per address (step 1 saved without a draft): each one emails a link to the
# address typed, so this also bounds the mail one address can make the practice send.
DRAFT_CREATE_LIMIT = "5/minute;20/hour"
# Resume links mailed to one recipient, whoever asks: a victim's inbox cannot be flooded from
# many addresses either. Counted under a keyed hash of the address, never the address.
RESUME_MAIL_LIMIT = "3/day"
# /healthz per address: a monitor probes a few times a minute; more is someone else.
HEALTH_LIMIT = "30/minute"

# No inline script or style anywhere: the CSS and the small script ship as files.
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "img-src": "'self' data:",
    "style-src": "'self'",
    "script-src": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
    "base-uri": "'none'",
    "object-src": "'none'",
}


def api_intake_limit() -> str:
    return f"{current_app.config['API_RATE_LIMIT_PER_MINUTE']}/minute"


def _limits_storage(redis_url: str) -> str:
    if redis_url.startswith("redis+socket://"):
        return "redis+unix://" + redis_url.removeprefix("redis+socket://")
    return redis_url


def init_security(app: Flask, settings: Settings, redis_url: str) -> None:
    https = settings.public_url.startswith("https://")
    Talisman(
        app,
        force_https=https,
        strict_transport_security=https,  # HSTS only where the site is served over https
        strict_transport_security_max_age=31536000,
        session_cookie_secure=https,
        frame_options="DENY",
        referrer_policy="no-referrer",
        content_security_policy=CONTENT_SECURITY_POLICY,
        permissions_policy={"geolocation": "()", "camera": "()", "microphone": "()"},
    )
    app.config.setdefault("RATELIMIT_STORAGE_URI", _limits_storage(redis_url))
    # A moving window: a burst that straddles the turn of a minute is still one burst.
    app.config.setdefault("RATELIMIT_STRATEGY", "moving-window")
    limiter.init_app(app)


def draft_create_limit() -> str:
    """DRAFT_CREATE_LIMIT, or the app's own (tests that start many intakes from one address)."""
    return str(current_app.config.get("DRAFT_CREATE_LIMIT", DRAFT_CREATE_LIMIT))


def may_mail_resume_link(address: str) -> bool:
    """Count one resume-link message to ``address``; False once RESUME_MAIL_LIMIT is reached.
    Fails open (True) when Redis is away, as every limit here does."""
    key = hmac.new(
        current_app.config["SECRET_KEY"].encode(), address.strip().lower().encode(), "sha256"
    ).hexdigest()
    try:
        limit = parse(current_app.config.get("RESUME_MAIL_LIMIT", RESUME_MAIL_LIMIT))
        return bool(limiter.limiter.hit(limit, "resume-mail", key))
    except Exception:  # noqa: BLE001 - the storage is down: do not stop a patient's intake
        return True
