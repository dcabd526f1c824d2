"""What a span may carry out of the process (workflows/platform/tracing.py): only the
attributes on an allow-list of codes (route templates, methods, statuses, task names, SQL with
its placeholders, the case's internal id).

The instrumentations also record the path with its query (a resume token), the client's
address and browser, Redis commands with their arguments (rate-limit keys hold addresses) and
exception messages (a schema error quotes what the patient typed): none of them is on the list,
so none reaches a collector. A deny-list would let through whatever a new version of an
instrumentation starts recording. tests/ops/test_tracing.py checks a whole trace against the
canary patient.
"""

from __future__ import annotations

from collections.abc import Sequence

from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.trace import Status, StatusCode

__all__ = ["KEPT_ATTRIBUTES", "ScrubbingExporter", "scrubbed"]

# Attributes a span may carry out of the process: codes and measures, never what a person typed
# or where they connected from. Keys of this service's own spans start with "ldn.".
KEPT_ATTRIBUTES = frozenset(
    {
        # Flask / WSGI: the route's template, never the path (it may hold a token)
        "http.route",
        "http.method",
        "http.request.method",
        "http.status_code",
        "http.response.status_code",
        "http.scheme",
        "url.scheme",
        "http.flavor",
        "network.protocol.version",
        # SQLAlchemy: the statement with its placeholders; the values are bound apart
        "db.system",
        "db.system.name",
        "db.name",
        "db.namespace",
        "db.operation",
        "db.operation.name",
        "db.statement",
        "db.query.text",
        # Redis: which database, not the command's arguments (keys hold addresses)
        "db.redis.database_index",
        # Celery
        "celery.action",
        "celery.task_name",
        "celery.state",
        "messaging.system",
        "messaging.message_id",
        "messaging.destination",
        "messaging.destination_kind",
        "messaging.operation",
    }
)
# The Redis instrumentation's db.statement is the command with its arguments: only the name is
# kept (the span's name already says it).
_REDIS_SCOPE = "opentelemetry.instrumentation.redis"
# An exception event keeps its class; its message and traceback (whose last line repeats the
# message) may quote input.
KEPT_EVENT_ATTRIBUTES = frozenset({"exception.type", "exception.escaped"})


def _kept(key: str) -> bool:
    return key in KEPT_ATTRIBUTES or key.startswith("ldn.")


def scrubbed(span: ReadableSpan) -> ReadableSpan:
    """A copy of the span with only the attributes on the allow-list (see the module)."""
    redis = span.instrumentation_scope is not None and (
        span.instrumentation_scope.name == _REDIS_SCOPE
    )
    attributes = {
        key: value
        for key, value in (span.attributes or {}).items()
        if _kept(key) and not (redis and key in {"db.statement", "db.query.text"})
    }
    events = [
        Event(
            event.name,
            {
                key: value
                for key, value in (event.attributes or {}).items()
                if key in KEPT_EVENT_ATTRIBUTES
            },
            event.timestamp,
        )
        for event in span.events
    ]
    # An error's description is its exception's message: the class is in the event.
    status = span.status
    if status.description:
        status = Status(StatusCode.ERROR)
    return ReadableSpan(
        name=span.name,
        context=span.context,
        parent=span.parent,
        resource=span.resource,
        attributes=attributes,
        events=events,
        links=span.links,
        kind=span.kind,
        status=status,
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )


class ScrubbingExporter(SpanExporter):
    """Hands the exporter it wraps only scrubbed spans (see the module)."""

    def __init__(self, inner: SpanExporter) -> None:
        self.inner = inner

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return self.inner.export([scrubbed(each) for each in spans])

    def shutdown(self) -> None:
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return bool(self.inner.force_flush(timeout_millis))
