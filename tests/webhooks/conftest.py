"""Webhook tests: the app trusts the test receiver's self-signed certificate through the
LDN_WEBHOOK_CA_BUNDLE setting (TLS verification stays on), and a real HTTPS receiver listens on
127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import browser, live_server, page  # noqa: F401 - for the screenshot
from tests.conftest import TODAY
from tests.webhooks.receiver import Receiver, make_certificate


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def app(tmp_path: Path, redis_url: str, database_url: str, certificate: tuple[Path, Path]) -> Any:
    from intake import create_app

    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "INSTANCE_PATH": tmp_path / "instance",
            "SECRET_KEY": "test-secret",
            "TODAY": lambda: TODAY,
            "WEBHOOK_CA_BUNDLE": str(certificate[0]),
        }
    )


@pytest.fixture
def receiver(certificate: tuple[Path, Path]) -> Iterator[Receiver]:
    server = Receiver(*certificate).start()
    yield server
    server.stop()
