"""A real HTTPS webhook receiver on 127.0.0.1, in a thread: it records what arrives and answers
with the status codes a test asks for (200 once they run out). Without a certificate it speaks
plain HTTP (the development allowance for the loopback address)."""

from __future__ import annotations

import json
import ssl
import subprocess
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from workflows.messaging.webhooks import verify_signature

__all__ = ["RECEIVER_NAME", "Received", "Receiver", "make_certificate", "app_trusting"]

RECEIVER_NAME = "webhooks.receiver.test"  # .test never resolves (RFC 6761): tests resolve it


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and for RECEIVER_NAME (openssl CLI), the name a
    test's resolver points at 127.0.0.1: (certificate, key)."""
    certificate, key = folder / "receiver.pem", folder / "receiver.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(key), "-out", str(certificate),
         "-subj", "/CN=127.0.0.1",
         "-addext", f"subjectAltName=IP:127.0.0.1,DNS:{RECEIVER_NAME}"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return certificate, key


def app_trusting(certificate: Path, tmp_path: Path, redis_url: str, database_url: str) -> Any:
    """The test app (as tests/conftest.py builds it) trusting ``certificate`` for webhooks."""
    from intake import create_app
    from tests.conftest import TODAY

    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "INSTANCE_PATH": tmp_path / "instance",
            "SECRET_KEY": "test-secret",
            "TODAY": lambda: TODAY,
            "WEBHOOK_CA_BUNDLE": str(certificate),
        }
    )


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    answered: int

    @property
    def payload(self) -> dict[str, Any]:
        return json.loads(self.body)

    def is_signed_by(self, secret: str, tolerance: int = 300) -> bool:
        return verify_signature(secret, self.headers.get("LDN-Signature", ""), self.body, tolerance)


class Receiver:
    def __init__(self, certificate: Path | None, key: Path | None) -> None:
        self.requests: list[Received] = []
        self._answers: list[int] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server hook's name
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver._lock:
                    answer = receiver._answers.pop(0) if receiver._answers else 200
                    receiver.requests.append(
                        Received(self.path, dict(self.headers.items()), body, answer)
                    )
                self.send_response(answer)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.scheme = "http"
        if certificate is not None and key is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(certificate, key)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
            self.scheme = "https"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str = "/hooks/ldn") -> str:
        return f"{self.scheme}://127.0.0.1:{self.server.server_port}{path}"

    def answer_with(self, *codes: int) -> None:
        with self._lock:
            self._answers.extend(codes)

    def received(self, path: str | None = None) -> list[Received]:
        with self._lock:
            return [r for r in self.requests if path is None or r.path == path]

    def start(self) -> Receiver:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)
