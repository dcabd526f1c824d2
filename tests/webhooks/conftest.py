"""Webhook tests: the app trusts the test receiver's self-signed certificate through the
LDN_WEBHOOK_CA_BUNDLE setting (TLS verification stays on), and a real HTTPS receiver listens on
127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.webhooks.receiver import Receiver, app_trusting, make_certificate


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def app(tmp_path: Path, redis_url: str, database_url: str, certificate: tuple[Path, Path]) -> Any:
    return app_trusting(certificate[0], tmp_path, redis_url, database_url)


@pytest.fixture
def receiver(certificate: tuple[Path, Path]) -> Iterator[Receiver]:
    server = Receiver(*certificate).start()
    yield server
    server.stop()
