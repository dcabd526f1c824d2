"""Traces with OpenTelemetry (issue 17): off unless the standard OTEL_* settings ask for them.

One trace follows an intake from the web request (Flask) through the task it sends (Celery
carries the trace context in the message's headers) to the worker that screens and routes the
case, with the SQL statements (SQLAlchemy) and the Redis commands along the way.

What leaves the process is scrubbed first (workflows/platform/trace_scrubbing.py): a span
keeps only the attributes on an allow-list of codes, so no personal data reaches a collector.
OpenTelemetry is imported only when tracing starts (about 120 ms of imports a process that
does not trace never pays).

Once per process: the web (each gunicorn worker, from create_app), each Celery pool process
(worker_process_init: the batch exporter's thread does not survive a fork) and beat. SQLAlchemy
is traced through its create_engine, so tracing starts before the process's first engine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from functools import partial
from typing import TYPE_CHECKING, Any

__all__ = [
    "EXPORTERS",
    "flush",
    "only_when_sampled",
    "annotate",
    "span",
    "start_tracing",
    "stop_tracing",
    "start_request_span",
    "end_request_span",
    "is_tracing",
    "traces_exporters_from",
]

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter

    from workflows.platform.settings import Settings

# OTEL_TRACES_EXPORTER values this service can honour; "none" (or unset) is off.
EXPORTERS = ("otlp", "console")
# Without OTEL_TRACES_SAMPLER, one trace in fifty is kept (the web decides, the worker follows).
# Keeping every trace cost a tenth to a third of the throughput under load and doubled the p95
# (every SQL statement and Redis command becomes a span); with one in ten the throughput held
# but the p95 did not (bench/load.py --overhead, README "Benchmarks").
# OTEL_TRACES_SAMPLER=parentbased_always_on keeps all.
DEFAULT_TRACES_RATIO = 0.02

_active: _Tracing | None = None


# The instrumentation scope of the web's request spans (intake/request_tracing.py).
WEB_SCOPE = "ldn-intake.web"


class _Tracing:
    def __init__(
        self,
        provider: TracerProvider,
        instrumentors: Sequence[Any],
        undo: Sequence[Callable[[], object]],
    ) -> None:
        self.provider = provider
        self.instrumentors = instrumentors
        self.undo = undo
        self.own = provider.get_tracer("ldn-intake")
        self.web = provider.get_tracer(WEB_SCOPE)


def traces_exporters_from(environ: Mapping[str, str]) -> tuple[str, ...]:
    """The exporters the OTEL_* settings ask for; () is off, the default.

    Off unless OTEL_TRACES_EXPORTER names an exporter, or an OTLP endpoint is set (then
    "otlp"); OTEL_SDK_DISABLED=true turns it off whatever else is set. A value this service
    cannot honour stops the start with the reason, rather than running without the traces the
    operator asked for."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return ()
    asked = environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if not asked:
        endpoint = environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or environ.get(
            "OTEL_EXPORTER_OTLP_ENDPOINT"
        )
        asked = "otlp" if endpoint else "none"
    names = tuple(name.strip() for name in asked.split(",") if name.strip())
    if names == ("none",):
        return ()
    unknown = [name for name in names if name not in EXPORTERS]
    if unknown:
        raise ValueError(
            f"OTEL_TRACES_EXPORTER={asked!r}: {', '.join(unknown)} is not an exporter here; "
            f"use {' or '.join(EXPORTERS)} (or none, the default)."
        )
    protocol = (
        environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
        or environ.get("OTEL_EXPORTER_OTLP_PROTOCOL")
        or "http/protobuf"
    )
    if "otlp" in names and protocol != "http/protobuf":
        raise ValueError(
            f"OTEL_EXPORTER_OTLP_PROTOCOL={protocol!r}: only http/protobuf is installed "
            "(every OpenTelemetry Collector accepts it, on port 4318)."
        )
    return names


def start_tracing(
    settings: Settings, service: str, exporter: SpanExporter | None = None
) -> TracerProvider | None:
    """Trace this process if the settings ask for it (or a test hands its own exporter);
    returns the provider, or None when tracing is off. Once per process: a second call
    returns the first call's provider."""
    global _active
    if _active is not None:
        return _active.provider
    if exporter is None and not settings.traces_exporters:
        return None
    from opentelemetry.instrumentation.celery import CeleryInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
    from opentelemetry.sdk.resources import SERVICE_NAME, OTELResourceDetector, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

    from workflows.platform.trace_scrubbing import ScrubbingExporter

    # The batch sizes and delays from OTEL_BSP_*, the endpoint and headers from
    # OTEL_EXPORTER_OTLP_*.
    # OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, when set, name the process instead.
    resource = Resource.create({SERVICE_NAME: service}).merge(OTELResourceDetector().detect())
    sampler = None  # the SDK's, from OTEL_TRACES_SAMPLER (a test's exporter: every trace)
    if exporter is None and settings.traces_default_ratio is not None:
        sampler = ParentBased(TraceIdRatioBased(settings.traces_default_ratio))
    provider = TracerProvider(resource=resource, sampler=sampler)
    exporters = [exporter] if exporter is not None else _exporters(settings.traces_exporters)
    for each in exporters:
        provider.add_span_processor(BatchSpanProcessor(ScrubbingExporter(each)))
    # The provider is handed to each instrumentation rather than made global, which
    # OpenTelemetry allows once per process: a test can stop tracing and leave nothing behind.
    instrumentors: list[Any] = [CeleryInstrumentor(), RedisInstrumentor(), SQLAlchemyInstrumentor()]
    for instrumentor in instrumentors:
        # The SQLAlchemy instrumentation declares "< 2.1" and otherwise does nothing; it hooks
        # the engine's cursor events, which 2.1 keeps, and tests/ops/test_tracing.py checks
        # its spans with the SQLAlchemy this project pins.
        instrumentor.instrument(
            tracer_provider=provider,
            skip_dep_check=isinstance(instrumentor, SQLAlchemyInstrumentor),
        )
    undo = _publish_only_when_sampled(instrumentors[0]) + _run_only_when_sampled(instrumentors[0])
    _active = _Tracing(provider, instrumentors, undo)
    return provider


def is_tracing() -> bool:
    return _active is not None


def _dropped() -> bool:
    """Whether the work in progress belongs to a trace that is not kept."""
    from opentelemetry import trace

    current = trace.get_current_span()
    return current.get_span_context().is_valid and not current.is_recording()


def _publish_only_when_sampled(celery: Any) -> list[Callable[[], object]]:
    """Celery's instrumentation makes a span for every task sent, kept or not (about half
    of what an untraced request paid for tracing: bench/trace_cost.py). In a trace that is
    not kept, the message only carries the trace's "not sampled" flag, so the worker drops
    its part too; otherwise the instrumentation's own hooks run. Returns what undoes it."""
    from celery import signals
    from opentelemetry import propagate

    before, after = celery._trace_before_publish, celery._trace_after_publish

    def before_publish(*args: Any, **kwargs: Any) -> None:
        if not _dropped():
            before(*args, **kwargs)
        elif kwargs.get("headers") is not None:
            propagate.inject(kwargs["headers"])

    def after_publish(*args: Any, **kwargs: Any) -> None:
        if not _dropped():
            after(*args, **kwargs)

    return _in_place_of(
        (signals.before_task_publish, before, before_publish),
        (signals.after_task_publish, after, after_publish),
    )


def _run_only_when_sampled(celery: Any) -> list[Callable[[], object]]:
    """A task whose message carries a trace that is not kept (49 in 50 by default): the worker
    only makes that trace current while the task runs, so its SQL, Redis and steps record
    nothing (only_when_sampled, span) and the tasks it sends say "not sampled" too, rather
    than have Celery's instrumentation build a span, its activation and their bookkeeping
    that no one records. Any other task runs the instrumentation's own hooks. Returns what
    undoes it."""
    from celery import signals
    from opentelemetry import context, propagate, trace
    from opentelemetry.instrumentation.celery import celery_getter

    prerun, postrun = celery._trace_prerun, celery._trace_postrun
    dropped: dict[str, Any] = {}  # task id -> the context token to detach after it

    def on_prerun(*args: Any, **kwargs: Any) -> None:
        task, task_id = kwargs.get("task"), kwargs.get("task_id")
        if task is not None and task_id is not None:
            parent = propagate.extract(task.request, getter=celery_getter)
            carried = trace.get_current_span(parent).get_span_context()
            if carried.is_valid and not carried.trace_flags.sampled:
                dropped[task_id] = context.attach(parent)
                return
        prerun(*args, **kwargs)

    def on_postrun(*args: Any, **kwargs: Any) -> None:
        token = dropped.pop(str(kwargs.get("task_id")), None)
        if token is not None:
            context.detach(token)
            return
        postrun(*args, **kwargs)

    return _in_place_of(
        (signals.task_prerun, prerun, on_prerun), (signals.task_postrun, postrun, on_postrun)
    )


def _in_place_of(
    *swaps: tuple[Any, Callable[..., None], Callable[..., None]],
) -> list[Callable[[], object]]:
    """Connect each (signal, instrumentation's receiver, ours) with ours in place of the
    instrumentation's; returns what disconnects ours (uninstrument disconnects its own)."""
    undo: list[Callable[[], object]] = []
    for signal, theirs, ours in swaps:
        signal.disconnect(theirs)
        signal.connect(ours, weak=False)
        undo.append(partial(signal.disconnect, ours))
    return undo


def start_request_span(method: str, route: str | None, headers: Any) -> Any:
    """A web request's server span, named by its route template; it continues the trace the
    caller sent (W3C traceparent in ``headers``, a mapping with .get). The sampler decides first; a request whose
    trace is not kept records nothing below it (SQL, Redis) and sends its tasks with the "not
    sampled" flag. None when this process does not trace. Pass what it returns to
    end_request_span."""
    if _active is None:
        return None
    from opentelemetry import context, propagate, trace
    from opentelemetry.instrumentation.utils import suppress_instrumentation

    parent = propagate.extract(headers)
    attributes: dict[str, str] = {"http.request.method": method}
    if route is not None:
        attributes["http.route"] = route
    span = _active.web.start_span(
        f"{method} {route}" if route else method,
        context=parent,
        kind=trace.SpanKind.SERVER,
        attributes=attributes,
    )
    token = context.attach(trace.set_span_in_context(span, parent))
    quiet = None
    if not span.is_recording():
        quiet = suppress_instrumentation()
        quiet.__enter__()
    return (span, token, quiet)


def set_request_status(started: Any, status: int) -> None:
    """The response's status on the request's span (a 5xx marks it failed)."""
    if started is None or not started[0].is_recording():
        return
    from opentelemetry.trace import Status, StatusCode

    span = started[0]
    span.set_attribute("http.response.status_code", status)
    if status >= 500:
        span.set_status(Status(StatusCode.ERROR))


def end_request_span(started: Any, error: BaseException | None) -> None:
    """End what start_request_span began (the teardown of the request)."""
    if started is None:
        return
    from opentelemetry import context
    from opentelemetry.trace import Status, StatusCode

    span, token, quiet = started
    if error is not None and span.is_recording():
        span.record_exception(error)
        span.set_status(Status(StatusCode.ERROR))
    span.end()
    if quiet is not None:
        quiet.__exit__(None, None, None)
    context.detach(token)


@contextmanager
def only_when_sampled() -> Iterator[None]:
    """Within a request or task whose trace is not kept (49 in 50 by default), the SQL and
    Redis instrumentations do nothing at all, rather than build a span for every statement
    and command that no one records. Celery still passes the trace on, so the worker's part
    of the trace is dropped as well."""
    if _active is None:
        yield
        return
    from opentelemetry import trace
    from opentelemetry.instrumentation.utils import suppress_instrumentation

    if trace.get_current_span().is_recording():
        yield
        return
    with suppress_instrumentation():
        yield


def stop_tracing() -> None:
    """Send what is waiting and undo every instrumentation (tests; a process that ends)."""
    global _active
    if _active is None:
        return
    for each in _active.undo:
        each()
    for instrumentor in _active.instrumentors:
        instrumentor.uninstrument()
    _active.provider.shutdown()
    _active = None


def span(name: str, **attributes: str | int) -> Any:
    """A span of this service's own around a step (``ldn.`` attributes), when tracing is on
    and the trace in progress is kept; otherwise nothing at all, so the pipeline pays nothing
    for it (a step of a dropped trace would be dropped too: the sampler follows its parent)."""
    if _active is None or _dropped():
        return nullcontext()
    return _own_span(name, attributes)


@contextmanager
def _own_span(name: str, attributes: Mapping[str, str | int]) -> Iterator[None]:
    assert _active is not None
    with _active.own.start_as_current_span(
        name, attributes={f"ldn.{key}": value for key, value in attributes.items()}
    ):
        yield


def annotate(**attributes: str | int) -> None:
    """Add ``ldn.`` attributes (codes and internal ids only) to the span in progress."""
    if _active is None:
        return
    from opentelemetry import trace

    current = trace.get_current_span()
    if not current.is_recording():
        return
    for key, value in attributes.items():
        current.set_attribute(f"ldn.{key}", value)


def _exporters(names: Sequence[str]) -> list[SpanExporter]:
    chosen: list[SpanExporter] = []
    for name in names:
        if name == "otlp":
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            chosen.append(OTLPSpanExporter())
        else:
            from opentelemetry.sdk.trace.export import ConsoleSpanExporter

            chosen.append(ConsoleSpanExporter())
    return chosen


def flush() -> None:
    """Export what the batch processors hold now (a test reads its spans after this)."""
    if _active is not None:
        _active.provider.force_flush()
