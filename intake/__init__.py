"""The ldn-intake web application: the patient intake, the JSON API and (later) staff pages.

create_app()                  # settings from the environment (service-contract §2)
create_app({"TESTING": True, "DATABASE_URL": ..., "REDIS_URL": ...})
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from flask import Flask, abort, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException

from intake.cli import register as register_cli
from intake.i18n import init_i18n
from intake.metrics import init_metrics
from intake.request_ids import init_request_ids
from intake.request_tracing import trace_requests
from intake.security import init_security
from intake.services import Services
from intake.staff.auth import login_manager
from workflows.platform.database import DatabaseUnavailable
from workflows.platform.logging_setup import configure_logging
from workflows.platform.settings import Settings
from workflows.platform.tracing import start_tracing

__all__ = ["create_app"]

log = logging.getLogger("intake")

csrf = CSRFProtect()

# test_config keys that override a setting of the environment
_SETTING_KEYS = {
    "DATABASE_URL": "database_url",
    "REDIS_URL": "redis_url",
    "SECRET_KEY": "secret_key",
    "INSTANCE_PATH": "instance_path",
    "DEV_OUTBOX": "dev_outbox",
    "PUBLIC_URL": "public_url",
    "HOST": "host",
    "SMTP_URL": "smtp_url",
    "MAIL_FROM": "mail_from",
    "MAIL_RETRY_SECONDS": "mail_retry_seconds",
    "WEBHOOK_CA_BUNDLE": "webhook_ca_bundle",
    "WEBHOOK_ALLOW_LOCAL_HTTP": "webhook_allow_local_http",
    "PAGE_SIZE": "page_size",
    "METRICS_TOKEN": "metrics_token",
    "METRICS_ALLOW": "metrics_allow",
    "LDN_METRICS": "metrics_enabled",
    "PRACTICE_NAME": "practice_name",
    "PRACTICE_PHONE": "practice_phone",
    "PRACTICE_EMAIL": "practice_email",
}


def _dev_outbox_allowed(settings: Settings) -> bool:
    """/dev/outbox only on a developer's machine, and said at start-up either way (the page
    itself answers loopback clients only: intake.dev.views)."""
    if not settings.dev_outbox:
        return False
    refusal = settings.dev_outbox_refusal
    if refusal:
        log.warning("dev_outbox.refused", extra={"reason": refusal})
        return False
    log.warning("dev_outbox.on", extra={"path": "/dev/outbox", "clients": "loopback only"})
    return True


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    test_config = dict(test_config or {})
    overrides = {
        attr: test_config[key] for key, attr in _SETTING_KEYS.items() if key in test_config
    }
    settings = Settings.from_env(**overrides)
    if not test_config.get("TESTING"):
        # Before the app's logger exists, so Flask adds no handler of its own; tests capture
        # the records themselves.
        configure_logging(settings.log_format)

    # Before the services open their database engine: SQLAlchemy is traced from create_engine.
    start_tracing(settings, "ldn-intake-web")
    app = Flask(__name__, instance_path=str(settings.instance_path))
    trace_requests(app, settings.traces_excluded_urls)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="ldn_session",
        # Staff sessions are permanent and end after 15 idle minutes (refreshed on each request).
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=15),
        SESSION_COOKIE_SECURE=settings.public_url.startswith("https://"),
        WTF_CSRF_TIME_LIMIT=None,  # a long intake must not lose its token half way
        MAX_CONTENT_LENGTH=512 * 1024,
        API_RATE_LIMIT_PER_MINUTE=settings.api_rate_limit_per_minute,
    )
    app.config.update(
        {key: value for key, value in test_config.items() if key not in _SETTING_KEYS}
    )

    init_request_ids(app)  # first: a request refused by a later check has an id too
    app.extensions["ldn"] = Services.build(settings, app.config.get("TODAY"))
    init_i18n(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    init_security(app, settings, app.extensions["ldn"].redis_url)
    register_cli(app)
    init_metrics(app, settings)

    from intake.api import fhir  # noqa: F401 - registers the FHIR routes on the API blueprint
    from intake.api.views import bp as api_bp
    from intake.dev.views import bp as dev_bp
    from intake.patient import amend  # noqa: F401 - registers the amend routes
    from intake.patient.views import bp as patient_bp
    from intake.patient.views import session_expired
    from intake.staff import duplicates as _duplicate_views  # noqa: F401 - registers its routes
    from intake.staff import operations as _operation_views  # noqa: F401 - registers its routes
    from intake.staff import two_factor  # noqa: F401 - registers the two-factor routes
    from intake.staff import webhooks as _webhook_views  # noqa: F401 - registers its routes
    from intake.staff.views import bp as staff_bp

    app.register_blueprint(patient_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(staff_bp)
    csrf.exempt(api_bp)
    # Tests see the outbox unless one asks for the real rule by setting DEV_OUTBOX itself.
    if (app.testing and "DEV_OUTBOX" not in test_config) or _dev_outbox_allowed(settings):
        app.register_blueprint(dev_bp)
    if settings.bench_routes:
        from intake.dev.views import bench

        app.register_blueprint(bench)
        csrf.exempt(bench)
    if settings.count_statements:
        from intake.statement_count import count_statements

        count_statements(app, settings.database_url)

    @app.before_request
    def _refuse_nul_in_the_address() -> None:
        # No address of this service holds a NUL character, and PostgreSQL text cannot: one in
        # the path or the query string (found by Schemathesis in ?queue=) is refused up front
        # rather than failing deep in a query or the audit log.
        if "\x00" in request.path or any(
            "\x00" in key or "\x00" in value for key, value in request.args.items(multi=True)
        ):
            abort(400, description="The address contains a NUL character (%00); remove it.")

    @app.context_processor
    def _practice() -> dict[str, Any]:
        # Every page's footer names the practice and how to reach it (PRACTICE_* settings).
        return {"practice": app.extensions["ldn"].settings.practice}

    # A form sent without its session (the cookie ended, or was replaced): say what happened
    # and the way back, rather than the library's words (intake.patient.views).
    app.register_error_handler(CSRFError, session_expired)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Any:
        if error.code == 429:
            error.description = _(
                "Too many requests from this address. Please wait a minute and try again."
            )
        if request.path.startswith("/api/") or request.path == "/healthz":
            return jsonify(
                {"error": error.name.lower().replace(" ", "_"), "message": error.description}
            ), error.code
        return render_template("error.html", error=error), error.code

    @app.errorhandler(DatabaseUnavailable)
    def _database_down(error: DatabaseUnavailable) -> Any:
        # The database is unreachable: say so plainly. Saved answers stay saved; what was
        # typed on this page is still in the browser (Back), and nothing half-written is kept.
        app.logger.warning("database.unavailable", extra={"error": type(error.orig).__name__})
        message = _(
            "We cannot save right now. Please try again in a minute; your saved answers are safe."
        )
        if request.path.startswith("/api/"):
            return jsonify({"error": "service_unavailable", "message": message}), 503
        return render_template("unavailable.html", message=message), 503

    @app.after_request
    def _no_store(response: Any) -> Any:
        # Intake pages and API answers carry health data: no shared or browser caching.
        if request.path.startswith(("/intake", "/api/", "/staff")):
            response.headers["Cache-Control"] = "no-store"
        return response

    return app
