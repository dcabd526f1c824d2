"""Signatures and addresses, as plain functions: what a receiver checks, what an admin may
register."""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

import pytest

from tests.conftest import REPO_ROOT
from workflows.messaging import webhooks

SECRET = "whsec_" + "ab" * 32
BODY = b'{"case":{"id":"K7Q2M9XD"},"id":"evt_1","type":"case.routed"}'


def test_a_signature_is_hmac_sha256_of_the_timestamp_and_the_body() -> None:
    header = webhooks.signature_header(SECRET, 1_800_000_000, BODY)
    expected = hmac.new(SECRET.encode(), b"1800000000." + BODY, hashlib.sha256).hexdigest()
    assert header == f"t=1800000000,v1={expected}"


def test_verification_accepts_a_fresh_signature() -> None:
    now = int(time.time())
    assert webhooks.verify_signature(SECRET, webhooks.signature_header(SECRET, now, BODY), BODY)


def test_verification_rejects_a_tampered_body() -> None:
    header = webhooks.signature_header(SECRET, int(time.time()), BODY)
    assert not webhooks.verify_signature(SECRET, header, BODY.replace(b"routed", b"accepted"))


def test_verification_rejects_an_old_timestamp_even_with_a_good_signature() -> None:
    old = int(time.time()) - 301
    header = webhooks.signature_header(SECRET, old, BODY)
    assert not webhooks.verify_signature(SECRET, header, BODY, tolerance=300)
    assert webhooks.verify_signature(SECRET, header, BODY, tolerance=600)


def test_verification_rejects_another_secret_and_a_moved_timestamp() -> None:
    now = int(time.time())
    header = webhooks.signature_header(SECRET, now, BODY)
    assert not webhooks.verify_signature("whsec_other", header, BODY)
    moved = header.replace(f"t={now}", f"t={now - 1}")
    assert not webhooks.verify_signature(SECRET, moved, BODY)


@pytest.mark.parametrize("header", ["", "v1=abc", "t=soon,v1=abc", "garbage", "t=1"])
def test_verification_rejects_a_malformed_header(header: str) -> None:
    assert not webhooks.verify_signature(SECRET, header, BODY)


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("", "Enter the endpoint's address"),
        ("http://crm.practice.example/hook", "must use https://"),
        ("ftp://crm.practice.example/hook", "must start with https://"),
        ("crm.practice.example/hook", "must start with https://"),
        ("https:///hook", "no host name"),
        ("https://user:pw@crm.practice.example/hook", "Leave user names and passwords out"),
        ("https://crm.practice.example:99999/hook", "port"),
        ("https://crm.practice.example/hook#x", "fragment"),
        ("http://127.0.0.1:8080/hook", "must use https://"),
        ("https://crm.practice.example/" + "a" * 500, "too long"),
    ],
)
def test_an_address_that_cannot_take_deliveries_is_refused_with_the_reason(
    url: str, says: str
) -> None:
    with pytest.raises(webhooks.InvalidWebhookUrl, match=says):
        webhooks.validate_url(url)


def test_https_addresses_are_accepted_and_trimmed() -> None:
    url = "https://crm.practice.example:8443/hooks/ldn?source=intake"
    assert webhooks.validate_url(f"  {url} ") == url


def test_plain_http_only_to_the_loopback_and_only_when_allowed() -> None:
    assert webhooks.validate_url("http://127.0.0.1:8080/h", allow_local_http=True)
    assert webhooks.validate_url("http://localhost/h", allow_local_http=True)
    with pytest.raises(webhooks.InvalidWebhookUrl, match="only to 127.0.0.1"):
        webhooks.validate_url("http://10.0.0.5/h", allow_local_http=True)


def test_the_backoff_doubles_from_30_seconds_and_stops_growing_at_6_hours() -> None:
    no_jitter = [webhooks.retry_delay(n, jitter=lambda: 0.0).total_seconds() for n in (1, 2, 3)]
    assert no_jitter == [30, 60, 120]
    assert webhooks.retry_delay(30, jitter=lambda: 0.0).total_seconds() == 6 * 3600
    assert webhooks.retry_delay(1, jitter=lambda: 1.0).total_seconds() == 36


def test_the_readme_verification_snippet_agrees_with_the_signer() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Verifying the signature", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict[str, Any] = {}
    exec(code, namespace)  # our own README, run so that it stays true
    readme_verify = namespace["verify_signature"]
    now = int(time.time())
    header = webhooks.signature_header(SECRET, now, BODY)
    assert readme_verify(SECRET, header, BODY)
    assert not readme_verify(SECRET, header, BODY + b" ")
    assert not readme_verify(SECRET, webhooks.signature_header(SECRET, now - 301, BODY), BODY)
