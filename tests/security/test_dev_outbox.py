"""/dev/outbox lists every patient's address and live resume and amend links: only a
developer's own machine may see it (issue 16, item 2)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import build_app
from workflows.platform.settings import Settings, is_loopback


def outbox_app(tmp_path: Path, redis_url: str, database_url: str, **config: Any) -> Any:
    return build_app(tmp_path, redis_url, database_url, DEV_OUTBOX=True, **config)


def test_on_a_loopback_server_the_outbox_answers_loopback_clients_only(
    tmp_path: Path, redis_url: str, database_url: str
) -> None:
    app = outbox_app(tmp_path, redis_url, database_url)
    assert app.test_client().get("/dev/outbox").status_code == 200  # from 127.0.0.1
    for address in ["10.0.0.5", "192.168.1.20", "203.0.113.9", "::ffff:10.0.0.5"]:
        client = app.test_client()
        response = client.get("/dev/outbox", environ_base={"REMOTE_ADDR": address})
        assert response.status_code == 404, address
    ipv6 = app.test_client().get("/dev/outbox", environ_base={"REMOTE_ADDR": "::1"})
    assert ipv6.status_code == 200


@pytest.mark.parametrize(
    ("config", "reason"),
    [
        ({"HOST": "0.0.0.0", "PUBLIC_URL": "http://intake.lan:5000"}, "HOST=0.0.0.0"),
        ({"PUBLIC_URL": "https://intake.example.org"}, "PUBLIC_URL is https"),
    ],
)
def test_a_server_others_can_reach_never_serves_it_and_says_so_at_start_up(
    tmp_path: Path,
    redis_url: str,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
    config: dict[str, str],
    reason: str,
) -> None:
    with caplog.at_level(logging.WARNING, logger="intake"):
        app = outbox_app(tmp_path, redis_url, database_url, **config)
    response = app.test_client().get("/dev/outbox", base_url="https://localhost")
    assert response.status_code == 404
    [refused] = [r for r in caplog.records if r.getMessage() == "dev_outbox.refused"]
    assert reason in refused.reason


def test_start_up_says_when_the_outbox_is_on(
    tmp_path: Path, redis_url: str, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="intake"):
        outbox_app(tmp_path, redis_url, database_url)
    assert [r.clients for r in caplog.records if r.getMessage() == "dev_outbox.on"] == [
        "loopback only"
    ]


def test_without_the_setting_there_is_no_outbox(
    tmp_path: Path, redis_url: str, database_url: str
) -> None:
    app = build_app(tmp_path, redis_url, database_url, DEV_OUTBOX=False)
    assert app.test_client().get("/dev/outbox").status_code == 404


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.5.0.1", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("10.0.0.1", False),
        ("intake.example.org", False),
        ("", False),
    ],
)
def test_loopback_addresses(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_a_server_for_other_machines_needs_its_public_url(tmp_path: Path) -> None:
    environ = {"LDN_INSTANCE_PATH": str(tmp_path), "HOST": "0.0.0.0"}
    with pytest.raises(ValueError, match="set PUBLIC_URL"):
        Settings.from_env(environ)
    settings = Settings.from_env({**environ, "PUBLIC_URL": "https://intake.example.org"})
    assert settings.public_url == "https://intake.example.org"
