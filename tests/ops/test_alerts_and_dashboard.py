"""The alert rules (ops/prometheus/alerts.yml) and the Grafana dashboard (ops/grafana/) name only
metrics the service exports: the names are collected from a live /metrics after a case went
through the pipeline, so a metric renamed in workflows/platform/metrics.py fails here."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from tests.ops.test_metrics import submit_and_route

OPS = Path(__file__).resolve().parents[2] / "ops"
METRIC = re.compile(r"\bldn_[a-z0-9_]+\b")
SUFFIXES = {
    "counter": ["_total", "_created"],
    "histogram": ["_bucket", "_count", "_sum", "_created"],
}


@pytest.fixture
def exported(client: Any, worker: Any, base_intake: dict[str, Any]) -> set[str]:
    submit_and_route(client, base_intake)
    names: set[str] = set()
    text = client.get("/metrics").get_data(as_text=True)
    for family in text_string_to_metric_families(text):
        names.add(family.name)
        names.update(family.name + suffix for suffix in SUFFIXES.get(family.type, []))
        names.update(sample.name for sample in family.samples)
    return names


def alert_rules() -> list[dict[str, Any]]:
    document = yaml.safe_load((OPS / "prometheus" / "alerts.yml").read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def test_every_alert_names_only_exported_metrics(exported: set[str]) -> None:
    rules = alert_rules()
    wanted = {
        "LdnCasesPastServiceTarget",
        "LdnScreeningFailed",
        "LdnNoWorker",
        "LdnMailFailing",
        "LdnWebhooksFailing",
        "LdnRoutingSlow",
    }
    assert wanted <= {rule["alert"] for rule in rules}
    for rule in rules:
        used = set(METRIC.findall(rule["expr"]))
        assert used, rule["alert"]
        assert used <= exported, (rule["alert"], used - exported)


def test_every_dashboard_panel_names_only_exported_metrics(exported: set[str]) -> None:
    dashboard = json.loads((OPS / "grafana" / "ldn-intake.json").read_text())
    assert dashboard["panels"]
    for panel in dashboard["panels"]:
        used = {name for target in panel["targets"] for name in METRIC.findall(target["expr"])}
        assert used, panel["title"]
        assert used <= exported, (panel["title"], used - exported)
