"""Traces (issue 17): one trace from POST /api/v1/intakes to the routed case, across the web
request, the Celery message and the worker, with OpenTelemetry's in-memory exporter behind
the service's own scrubbing; nothing personal in any span; off unless OTEL_* asks."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from celery import signals
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, Status, StatusCode

from tests.canary import CANARY_MEDICATION, CANARY_PATIENT
from tests.conftest import build_app, in_process_worker, stored_case, wait_until
from tests.ops.otlp_receiver import otlp_receiver
from tests.ops.test_metrics import submit_and_route
from tests.test_no_personal_data import SECRETS
from tests.test_procfile import post_intake, procfile_processes
from workflows.platform import tracing
from workflows.platform.settings import Settings


@pytest.fixture
def spans(tmp_path: Path) -> Iterator[InMemorySpanExporter]:
    """Tracing on, into memory, for this test only (stopped and undone afterwards)."""
    exporter = InMemorySpanExporter()
    settings = Settings.from_env({}, instance_path=tmp_path / "tracing")
    provider = tracing.start_tracing(settings, "ldn-intake-test", exporter=exporter)
    assert provider is not None
    try:
        yield exporter
    finally:
        tracing.stop_tracing()


@pytest.fixture
def traced_app(
    spans: InMemorySpanExporter, tmp_path: Path, redis_url: str, database_url: str
) -> Any:
    # Built after tracing started, as create_app does it: its database engine is traced.
    return build_app(tmp_path, redis_url, database_url)


@pytest.fixture
def traced_worker(traced_app: Any) -> Iterator[Any]:
    with in_process_worker(traced_app) as celery:
        yield celery


def finished(exporter: InMemorySpanExporter, last: str) -> list[ReadableSpan]:
    """Every span ended so far, once the span named ``last`` has: the case is routed (and
    seen routed) inside the task, whose span ends only after it returns."""

    def ended() -> list[ReadableSpan]:
        tracing.flush()
        spans = list(exporter.get_finished_spans())
        return spans if any(span.name == last for span in spans) else []

    return wait_until(ended)


def everything_in(span: ReadableSpan) -> str:
    """Every text a collector would receive for this span."""
    parts = [span.name, str(span.status.description or "")]
    parts += [f"{key}={value}" for key, value in (span.attributes or {}).items()]
    for event in span.events:
        parts.append(event.name)
        parts += [f"{key}={value}" for key, value in (event.attributes or {}).items()]
    return "\n".join(parts)


def test_one_trace_runs_from_the_api_request_to_the_routed_case(
    traced_app: Any, traced_worker: Any, spans: InMemorySpanExporter, base_intake: dict[str, Any]
) -> None:
    base_intake["patient"] = dict(CANARY_PATIENT)
    base_intake["medications"] = [{"name": CANARY_MEDICATION, "status": "current"}]
    client = traced_app.test_client()
    case = submit_and_route(client, base_intake)
    # The status page: its path holds the case's public id.
    client.get(f"/api/v1/intakes/{case.public_id}")

    every = finished(spans, last="run/workflows.process_case")
    request = next(
        span
        for span in every
        if span.kind == SpanKind.SERVER and span.name == "POST /api/v1/intakes"
    )
    trace_id = request.context.trace_id
    assert request.attributes is not None
    assert request.attributes["http.route"] == "/api/v1/intakes"
    assert request.attributes["ldn.case_id"] == case.id
    in_trace = [span for span in every if span.context.trace_id == trace_id]
    names = {span.name for span in in_trace}

    # The web sent the task and the worker ran it, in the same trace.
    assert "apply_async/workflows.process_case" in names
    task = next(span for span in in_trace if span.name == "run/workflows.process_case")
    assert task.kind == SpanKind.CONSUMER
    assert task.attributes is not None and task.attributes["ldn.case_id"] == case.id
    # Each step of the pipeline, under the task.
    steps = {span.name: span for span in in_trace if span.name.startswith("pipeline.")}
    assert set(steps) == {
        "pipeline.validate",
        "pipeline.screen",
        "pipeline.route",
        "pipeline.notify",
    }
    assert all(
        step.parent and step.parent.span_id == task.context.span_id for step in steps.values()
    )
    routed = stored_case(traced_app, case.id)
    route = steps["pipeline.route"].attributes
    assert route is not None
    assert (route["ldn.decision"], route["ldn.queue"]) == (routed.decision, routed.queue)
    # SQL in the web request and in the worker, and Redis on the way.
    scopes = {span.instrumentation_scope.name for span in in_trace if span.instrumentation_scope}
    assert {
        tracing.WEB_SCOPE,
        "opentelemetry.instrumentation.celery",
        "opentelemetry.instrumentation.sqlalchemy",
        "opentelemetry.instrumentation.redis",
    } <= scopes
    sql_parents = {
        span.parent.span_id
        for span in in_trace
        if span.name.split()[0] in {"SELECT", "INSERT", "UPDATE"} and span.parent
    }
    assert request.context.span_id in sql_parents

    # Nothing a person typed, and no id a URL carries, in any span of the whole test.
    text = "\n".join(everything_in(span) for span in every).lower()
    for secret in [*SECRETS, case.public_id]:
        assert secret.lower() not in text, secret


@pytest.mark.slow  # starts the Procfile's web and worker as processes
def test_the_procfile_processes_send_one_trace_to_an_otlp_collector(
    tmp_path: Path, database_url: str, redis_url: str, base_intake: dict[str, Any]
) -> None:
    base_intake["patient"] = dict(CANARY_PATIENT)
    with otlp_receiver() as (endpoint, received):
        settings = {
            "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
            "OTEL_BSP_SCHEDULE_DELAY": "100",  # ms: the test waits for the spans
            # Every trace: by default one in fifty is kept, and this test sends one.
            "OTEL_TRACES_SAMPLER": "parentbased_always_on",
        }
        with procfile_processes(tmp_path, database_url, redis_url, **settings) as port:
            status, body = wait_until(
                lambda: (answer := post_intake(port, base_intake))[0] and answer, timeout=30
            )
            assert status == 202, body

            def task_span() -> Any:
                return next(
                    (
                        span
                        for span in received.snapshot()[1]
                        if span.name == "run/workflows.process_case"
                    ),
                    None,
                )

            task = wait_until(task_span, timeout=30)
    bodies, spans = received.snapshot()
    request = next(span for span in spans if span.name == "POST /api/v1/intakes")
    assert request.service == "ldn-intake-web"
    assert task.service == "ldn-intake-worker"
    assert task.trace_id == request.trace_id
    case_id = request.attributes["ldn.case_id"]
    assert task.attributes["ldn.case_id"] == case_id
    in_trace = {span.name for span in spans if span.trace_id == request.trace_id}
    assert {"apply_async/workflows.process_case", "pipeline.route"} <= in_trace
    assert any(
        span.attributes.get("db.system") for span in spans if span.trace_id == request.trace_id
    )
    # Every byte the collector received, searched for the canary patient and the case's id.
    raw = b"".join(bodies).lower()
    for secret in [*SECRETS, body["id"]]:
        assert secret.lower().encode() not in raw, secret


def test_tracing_is_off_unless_the_otel_settings_ask() -> None:
    assert Settings.from_env({}).traces_exporters == ()
    asked = {"OTEL_TRACES_EXPORTER": "otlp"}
    assert Settings.from_env(asked).traces_exporters == ("otlp",)
    endpoint = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}
    assert Settings.from_env(endpoint).traces_exporters == ("otlp",)
    assert Settings.from_env({**endpoint, "OTEL_TRACES_EXPORTER": "none"}).traces_exporters == ()
    assert Settings.from_env({**asked, "OTEL_SDK_DISABLED": "true"}).traces_exporters == ()
    both = {"OTEL_TRACES_EXPORTER": "otlp,console"}
    assert Settings.from_env(both).traces_exporters == ("otlp", "console")


def test_one_trace_in_fifty_is_kept_unless_otel_traces_sampler_says_otherwise(
    tmp_path: Path,
) -> None:
    from opentelemetry.sdk.trace.sampling import ParentBased

    assert Settings.from_env({}).traces_default_ratio == 0.02
    told = {"OTEL_TRACES_SAMPLER": "parentbased_always_on"}
    assert Settings.from_env(told).traces_default_ratio is None
    settings = Settings.from_env({"OTEL_TRACES_EXPORTER": "console"}, instance_path=tmp_path)
    provider = tracing.start_tracing(settings, "ldn-intake-test")
    try:
        assert provider is not None
        assert isinstance(provider.sampler, ParentBased)
        assert "TraceIdRatioBased{0.02}" in provider.sampler.get_description()
    finally:
        tracing.stop_tracing()


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"OTEL_TRACES_EXPORTER": "jaeger"}, "jaeger is not an exporter here"),
        (
            {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"},
            "only http/protobuf is installed",
        ),
    ],
)
def test_settings_this_service_cannot_honour_stop_the_start(
    environ: dict[str, str], named: str
) -> None:
    with pytest.raises(ValueError, match=named):
        Settings.from_env(environ)


def test_a_web_process_without_otel_settings_traces_nothing(app: Any) -> None:
    assert tracing.start_tracing(app.extensions["ldn"].settings, "ldn-intake-web") is None


def test_only_the_allow_listed_attributes_leave_the_process() -> None:
    """What the instrumentations record and a collector must not get: the path with its
    token, the client's address, Redis arguments, an exception's message."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    from workflows.platform.trace_scrubbing import ScrubbingExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(ScrubbingExporter(exporter)))
    tracer = provider.get_tracer("opentelemetry.instrumentation.flask")
    with tracer.start_as_current_span("GET /resume/<token>") as span:
        span.set_attributes(
            {
                "http.route": "/resume/<token>",
                "http.target": "/resume/s3cret-token?lang=es",
                "url.full": "https://intake.example.org/resume/s3cret-token",
                "net.peer.ip": "203.0.113.9",
                "http.user_agent": "Mozilla/5.0 (Rosa's phone)",
                "http.status_code": 200,
                "ldn.case_id": 41,
            }
        )
        try:
            raise ValueError("'Zorbulax 40 mg' is not valid under any of the given schemas")
        except ValueError as error:
            span.record_exception(error)
            span.set_status(Status(StatusCode.ERROR, str(error)))
    redis = provider.get_tracer("opentelemetry.instrumentation.redis")
    with redis.start_as_current_span("INCR") as span:
        span.set_attributes(
            {"db.statement": "INCR LIMITER/203.0.113.9/start", "db.system": "redis"}
        )

    web, command = exporter.get_finished_spans()
    assert dict(web.attributes or {}) == {
        "http.route": "/resume/<token>",
        "http.status_code": 200,
        "ldn.case_id": 41,
    }
    (event,) = web.events
    assert set(event.attributes or {}) == {"exception.type", "exception.escaped"}
    assert (event.attributes or {})["exception.type"] == "ValueError"
    assert web.status.status_code == StatusCode.ERROR and not web.status.description
    assert dict(command.attributes or {}) == {"db.system": "redis"}


def test_a_request_and_task_not_sampled_skip_the_sql_and_redis_instrumentation(
    tmp_path: Path, redis_url: str, database_url: str, base_intake: dict[str, Any], monkeypatch: Any
) -> None:
    """49 traces in 50 are dropped by default: their SQL statements and Redis commands are
    not turned into spans at all (what tracing cost was mostly that)."""
    from opentelemetry.instrumentation.utils import is_instrumentation_enabled

    import intake.services
    from workflows.cases import pipeline

    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "always_off")
    seen: dict[str, bool] = {}
    worker_trace: list[tuple[str, bool]] = []  # ("trace id-span id", sampled) in the task
    real_enqueue, real_notify = intake.services.enqueue_pipeline, pipeline._notify

    def enqueue(*args: Any) -> None:
        seen["web"] = is_instrumentation_enabled()
        real_enqueue(*args)

    def notify(*args: Any) -> Any:
        from opentelemetry import trace

        seen["worker"] = is_instrumentation_enabled()
        carried = trace.get_current_span().get_span_context()
        worker_trace.append(
            (f"{carried.trace_id:032x}-{carried.span_id:016x}", carried.trace_flags.sampled)
        )
        return real_notify(*args)

    monkeypatch.setattr(intake.services, "enqueue_pipeline", enqueue)
    monkeypatch.setattr(pipeline, "_notify", notify)
    exporter = InMemorySpanExporter()
    settings = Settings.from_env({}, instance_path=tmp_path / "tracing")
    tracing.start_tracing(settings, "ldn-intake-test", exporter=exporter)
    sent: list[str] = []

    def record_trace_header(**message: Any) -> None:  # runs after tracing's own receiver
        sent.append((message.get("headers") or {}).get("traceparent", ""))

    signals.before_task_publish.connect(record_trace_header)
    try:
        app = build_app(tmp_path, redis_url, database_url)
        with in_process_worker(app, concurrency=1):
            submit_and_route(app.test_client(), base_intake)
            wait_until(lambda: "worker" in seen)
        tracing.flush()
        assert seen == {"web": False, "worker": False}
        assert exporter.get_finished_spans() == ()
        # The task went out in its trace, flagged "not sampled" (W3C: the last field's low bit),
        # so a worker with a sampler of its own drops it too; no span was made to send it.
        assert sent and all(
            re.fullmatch(r"00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}", h) for h in sent
        )
        assert all(int(header[-2:], 16) & 1 == 0 for header in sent)
        # The worker made no span of its own for the task: the message's trace and span, not
        # kept, were current while it ran (so what it sends and records follows them).
        assert worker_trace == [(sent[0].split("-", 1)[1].rsplit("-", 1)[0], False)]
    finally:
        signals.before_task_publish.disconnect(record_trace_header)
        tracing.stop_tracing()
    # Where traces are kept, both are instrumented (the first test of this module has their
    # spans); and with tracing off nothing is suppressed.
    assert is_instrumentation_enabled()


# A pool process as Celery starts one: the worker module loaded, then worker_process_init.
POOL_PROCESS_START = """
import gc, sys
import workflows.platform.worker
from celery.signals import worker_process_init
from workflows.platform import tracing

worker_process_init.send(sender=None)
assert tracing.is_tracing()
collected = {id(each) for each in gc.get_objects()}  # frozen objects are not listed
sdk = sys.modules["opentelemetry.sdk.trace"].__dict__
print("frozen" if id(sdk) not in collected and gc.get_freeze_count() > 0 else "walked")
tracing.stop_tracing()
"""


def test_a_pool_process_freezes_opentelemetry_with_the_rest_of_what_it_started_with(
    tmp_path: Path,
) -> None:
    """Tracing starts before the freeze, so a full collection does not walk OpenTelemetry's
    ~40,000 objects at each turn (they were imported after the freeze before)."""
    env = {
        **{key: value for key, value in os.environ.items() if not key.startswith("OTEL_")},
        "OTEL_TRACES_EXPORTER": "console",
        "LDN_INSTANCE_PATH": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, "-c", POOL_PROCESS_START],
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "frozen"
