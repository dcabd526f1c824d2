"""How a screening result meets a shared case's `expect` (shared/cases/README.md)."""

from __future__ import annotations

import json
from typing import Any


def _codes(flags: list[dict[str, Any]] | None) -> set[str]:
    return {flag["code"] for flag in flags or []}


def mismatches(result: dict[str, Any], expect: dict[str, Any]) -> list[str]:
    """Every way ``result`` misses ``expect``, plus the checks made whatever expect says."""
    problems: list[str] = []

    def check(name: str, got: Any, wanted: Any) -> None:
        if got != wanted:
            problems.append(f"{name}: got {got!r}, expected {wanted!r}")

    if "decision" in expect:
        check("decision", result["decision"], expect["decision"])
    if "hard_stops" in expect:
        check("hard_stops", _codes(result["hard_stops"]), set(expect["hard_stops"]))
    if "cautions" in expect:
        check("cautions", _codes(result["cautions"]), set(expect["cautions"]))
    if "ketosis_ok" in expect:
        check("ketosis_ok", result["ketosis"]["ok"], expect["ketosis_ok"])
    if "ketosis_stops" in expect:
        check(
            "ketosis_stops", _codes(result["ketosis"]["stops"]), set(expect["ketosis_stops"] or [])
        )
    if "ketosis_cautions" in expect:
        check(
            "ketosis_cautions",
            _codes(result["ketosis"]["cautions"]),
            set(expect["ketosis_cautions"] or []),
        )
    if "route_queue" in expect:
        check("route_queue", result["route"]["queue"], expect["route_queue"])
    if "conditions" in expect:
        got = {(c["matched"], c["evidence_tier"]) for c in result["conditions"] if c["matched"]}
        wanted = {(c["matched"], c["evidence_tier"]) for c in expect["conditions"]}
        check("conditions", got, wanted)
    if "washout_until" in expect:
        washouts = [f for f in result["cautions"] if f["code"] == "OPIOID_WASHOUT"]
        if not any(expect["washout_until"] in json.dumps(flag) for flag in washouts):
            problems.append(f"washout_until {expect['washout_until']} not in {washouts!r}")

    every_flag = [
        *result["hard_stops"],
        *result["cautions"],
        *(result["ketosis"]["stops"] or []),
        *(result["ketosis"]["cautions"] or []),
    ]
    for flag in every_flag:
        for key in ("reason", "evidence"):
            if not isinstance(flag.get(key), str) or not flag[key].strip():
                problems.append(f"{flag.get('code')}: empty {key}")
    if not isinstance(result["ketosis"], dict) or not isinstance(result["route"], dict):
        problems.append("ketosis and route must be objects")
    score = result["score"]
    if not isinstance(score, int) or isinstance(score, bool) or not 0 <= score <= 100:
        problems.append(f"score {score!r} is not an integer 0-100")
    if not isinstance(result["route"]["priority"], int):
        problems.append("route.priority is not an integer")
    if not isinstance(result["rule_set_version"], str) or not result["rule_set_version"]:
        problems.append("rule_set_version is empty")
    return problems
