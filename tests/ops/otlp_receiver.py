"""A stand-in for an OpenTelemetry Collector: an HTTP server on 127.0.0.1 that takes OTLP
traces (http/protobuf, POST /v1/traces) and keeps what it was sent, raw and decoded."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)


@dataclass(frozen=True)
class ReceivedSpan:
    service: str
    name: str
    trace_id: bytes
    span_id: bytes
    parent_span_id: bytes
    attributes: dict[str, Any]


@dataclass
class Received:
    bodies: list[bytes] = field(default_factory=list)
    spans: list[ReceivedSpan] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    size: int = 0  # undecoded: the total size and number of exports
    requests: int = 0

    def add(self, body: bytes) -> None:
        request = ExportTraceServiceRequest.FromString(body)
        spans = []
        for resource_spans in request.resource_spans:
            service = next(
                (
                    attribute.value.string_value
                    for attribute in resource_spans.resource.attributes
                    if attribute.key == "service.name"
                ),
                "",
            )
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    attributes = {
                        attribute.key: getattr(
                            attribute.value, attribute.value.WhichOneof("value") or "string_value"
                        )
                        for attribute in span.attributes
                    }
                    spans.append(
                        ReceivedSpan(
                            service,
                            span.name,
                            span.trace_id,
                            span.span_id,
                            span.parent_span_id,
                            attributes,
                        )
                    )
        with self.lock:
            self.bodies.append(body)
            self.spans.extend(spans)

    def count(self, body: bytes) -> None:
        with self.lock:
            self.size += len(body)
            self.requests += 1

    def snapshot(self) -> tuple[list[bytes], list[ReceivedSpan]]:
        with self.lock:
            return list(self.bodies), list(self.spans)


@contextmanager
def otlp_receiver(decode: bool = True) -> Iterator[tuple[str, Received]]:
    """Yields the endpoint to give OTEL_EXPORTER_OTLP_ENDPOINT and what it receives; with
    ``decode`` False only the bodies are kept (bench/load.py: no decoding on its CPU)."""
    received = Received()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.path == "/v1/traces":
                if decode:
                    received.add(body)
                else:
                    received.count(body)
            answer = ExportTraceServiceResponse().SerializeToString()
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        server.server_close()
