"""The OpenAPI 3.1 description of the JSON API, built around the intake JSON Schema.

Every operation the service answers under /api/v1 and /healthz is described with each status
code it can send and the shape of each JSON body, so that a client (and Schemathesis in
tests/web/test_openapi_fuzz.py) can hold the service to it.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from workflows.cases.models import CaseStatus
from workflows.fhir import FHIR_JSON, QUESTIONNAIRE_ID
from workflows.screening.validation import SCHEMA_PATH

__all__ = ["openapi_document", "HEALTH_TIMEOUT_MAX_SECONDS"]

# /healthz?timeout= waits this long at most for the workers' replies (the default too): anyone
# may call it, and each call without a fresh cached answer holds a web thread that long. Live
# workers on a working broker answer in milliseconds.
HEALTH_TIMEOUT_MAX_SECONDS = 0.5

PUBLIC_STATUSES = [
    "received",
    "screening",
    "routed",
    "needs_info",
    "accepted",
    "declined",
    "withdrawn",
]
QUEUES = ["physician", "coordinator", "waitlist"]
DECISIONS = ["eligible", "eligible_with_cautions", "needs_review", "ineligible"]


def fhir_resource(resource_type: str) -> dict[str, Any]:
    """Enough schema to say what comes back; the FHIR R4 specification defines the rest."""
    return {
        "type": "object",
        "required": ["resourceType"],
        "properties": {"resourceType": {"const": resource_type}},
        "externalDocs": {"url": f"https://hl7.org/fhir/R4/{resource_type.lower()}.html"},
    }


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict[str, Any]:
    return _json(_ref("Error"), description)


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


BAD_ADDRESS = _error("The path or the query string holds a NUL character (%00).")
UNAVAILABLE = _error("The database is unreachable; nothing was changed. Try again in a minute.")
STAFF_ERRORS = {
    "400": BAD_ADDRESS,
    "401": _error("No valid staff token or session."),
    "403": _error("The staff member's role may not use this endpoint."),
    "503": UNAVAILABLE,
}

ERROR = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {"type": "string", "examples": ["not_found"]},
        "message": {"type": "string"},
    },
}
FIELD_ERRORS = {
    "type": "object",
    "required": ["errors"],
    "properties": {
        "errors": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {
                    "field": {"type": "string", "examples": ["medications[0].stopped_on"]},
                    "message": {"type": "string"},
                },
            },
        }
    },
}
ACCEPTED = {
    "type": "object",
    "required": ["id", "status", "status_url", "access_token"],
    "properties": {
        "id": {"type": "string"},
        "status": {"const": "received"},
        "status_url": {"type": "string", "format": "uri"},
        "access_token": {"type": "string"},
    },
}
INTAKE_STATUS = {
    "type": "object",
    "required": ["id", "status", "submitted_at", "message"],
    "properties": {
        "id": {"type": "string"},
        "status": {"enum": PUBLIC_STATUSES},
        "submitted_at": {"type": "string", "format": "date"},
        "message": {"type": "string"},
    },
}
HEALTH = {
    "type": "object",
    "required": ["database", "redis", "workers"],
    "properties": {
        "database": {"type": "string", "examples": ["ok", "down: OperationalError"]},
        "redis": {"type": "string", "examples": ["ok", "down: ConnectionError"]},
        "workers": {"type": "integer", "minimum": 0},
        "down": {"type": "array", "items": {"enum": ["database", "redis"]}},
    },
}
FLAG = {
    "type": "object",
    "required": ["code", "reason", "evidence"],
    "properties": {
        "code": {"type": "string", "examples": ["OPIOID_CURRENT"]},
        "reason": {"type": "string"},
        "evidence": {"type": "string"},
        "field": {"type": "string"},
        "earliest_start": {"type": "string", "format": "date"},
    },
}
SCREENING_RESULT = {
    "description": "The screening result of screening-contract §3.",
    "type": "object",
    "required": [
        "decision",
        "hard_stops",
        "cautions",
        "conditions",
        "ketosis",
        "route",
        "score",
        "rule_set_version",
    ],
    "properties": {
        "decision": {"enum": DECISIONS},
        "hard_stops": {"type": "array", "items": _ref("Flag")},
        "cautions": {"type": "array", "items": _ref("Flag")},
        "conditions": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["input", "matched", "evidence_tier"],
                "properties": {
                    "input": {"type": "string"},
                    "matched": {"type": "string"},
                    "evidence_tier": {"enum": ["A", "B", "C"]},
                },
            },
        },
        "ketosis": {
            "type": "object",
            "required": ["requested", "ok", "stops", "cautions"],
            "properties": {
                "requested": {"type": "boolean"},
                "ok": {"type": ["boolean", "null"]},
                "stops": {"type": "array", "items": _ref("Flag")},
                "cautions": {"type": "array", "items": _ref("Flag")},
            },
        },
        "route": {
            "type": "object",
            "required": ["queue", "priority"],
            "properties": {
                "queue": {"enum": QUEUES},
                "priority": {"type": "integer"},
            },
        },
        "score": {"type": "integer", "minimum": 0, "maximum": 100},
        "rule_set_version": {"type": "string"},
        "reviews": {
            "description": "Flags no rule can settle: a person must look (screening-contract §5).",
            "type": "array",
            "items": _ref("Flag"),
        },
        "medications": {
            "description": (
                "How each medication was read, in input order; entries that say there is no "
                "medication are left out (screening-contract §5). Cases screened before "
                "2026-12-02 have no such list."
            ),
            "type": "array",
            "items": {
                "type": "object",
                "required": ["input", "status", "identified", "ingredients", "field"],
                "properties": {
                    "input": {"type": "string"},
                    "status": {"enum": ["current", "stopped"]},
                    "identified": {"type": "boolean"},
                    "ingredients": {"type": "array", "items": {"type": "string"}},
                    "matched_name": {"type": "string"},
                    "source": {
                        "enum": ["rules", "everyday", "vocabulary", "coordinator"],
                        "description": (
                            "the practice's rule data, its everyday list, the drug vocabulary, "
                            "or a coordinator's recorded identification"
                        ),
                    },
                    "stopped_on": {"type": "string", "format": "date"},
                    "field": {"type": "string", "examples": ["medications[0].name"]},
                    "flagged": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
    },
}
STAFF_CASE = {
    "type": "object",
    "required": [
        "id",
        "status",
        "submitted_at",
        "queue",
        "priority",
        "decision",
        "patient_state",
        "assignee",
        "intake",
        "screening_result",
        "history",
    ],
    "properties": {
        "id": {"type": "string"},
        "status": {"enum": [status.value for status in CaseStatus]},
        "submitted_at": {"type": "string", "format": "date"},
        "queue": _nullable({"enum": QUEUES}),
        "priority": {"type": ["integer", "null"]},
        "decision": _nullable({"enum": DECISIONS}),
        "patient_state": {"type": ["string", "null"], "examples": ["TX", "OTHER"]},
        "assignee": {"type": ["string", "null"], "description": "The assigned physician's name"},
        "intake": _ref("Intake"),
        "screening_result": _nullable(_ref("ScreeningResult")),
        "history": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["at", "actor", "action", "detail"],
                "properties": {
                    "at": {"type": "string", "format": "date-time"},
                    "actor": {"type": "string"},
                    "action": {"type": "string"},
                    "detail": {"type": "object"},
                },
            },
        },
    },
}
QUEUE = {
    "type": "object",
    "required": ["cases", "next"],
    "properties": {
        "cases": {
            "type": "array",
            "items": {
                "type": "object",
                "required": [
                    "id",
                    "status",
                    "queue",
                    "priority",
                    "decision",
                    "patient_state",
                    "flags",
                    "waiting_since",
                ],
                "properties": {
                    "id": {"type": "string"},
                    "status": {"enum": [status.value for status in CaseStatus]},
                    "queue": _nullable({"enum": QUEUES}),
                    "priority": {"type": ["integer", "null"]},
                    "decision": _nullable({"enum": DECISIONS}),
                    "patient_state": {"type": ["string", "null"]},
                    "flags": {"type": "array", "items": {"type": "string"}},
                    "waiting_since": {"type": "string", "format": "date-time"},
                },
            },
        },
        "next": {
            "type": ["string", "null"],
            "format": "uri",
            "description": "The next page (same filter), or null on the last page.",
        },
    },
}


def _intake_schemas() -> dict[str, Any]:
    """The intake JSON Schema and its $defs, as components (OpenAPI 3.1 is JSON Schema
    2020-12; local references move under components)."""
    intake_schema = json.loads(SCHEMA_PATH.read_text())
    defs = intake_schema.pop("$defs")
    intake_schema.pop("$schema", None)
    intake_schema.pop("$id", None)
    text = json.dumps({"Intake": intake_schema, **defs})
    return json.loads(text.replace("#/$defs/", "#/components/schemas/"))


def _paths() -> dict[str, Any]:
    staff_security: list[dict[str, list[str]]] = [{"staffToken": []}, {"staffSession": []}]
    public_id = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
    return {
        "/api/v1/intakes": {
            "post": {
                "operationId": "submitIntake",
                "summary": "Submit an intake",
                "description": "The server sets submitted_at to today. Rate-limited per address.",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref("Intake")}},
                },
                "responses": {
                    "202": {
                        **_json(ACCEPTED, "Received; screening runs in the background."),
                        "headers": {
                            "Location": {
                                "description": "The status_url",
                                "schema": {"type": "string"},
                            }
                        },
                    },
                    "413": _error("The body is larger than 512 KiB."),
                    "422": _json(
                        _ref("FieldErrors"),
                        "Invalid intake: one entry per bad field; nothing stored.",
                    ),
                    "429": _error("Too many requests from this address."),
                    "503": UNAVAILABLE,
                },
            }
        },
        "/api/v1/intakes/{id}": {
            "get": {
                "operationId": "readIntakeStatus",
                "summary": "Read an intake's status",
                "security": [{"accessToken": []}],
                "parameters": [public_id],
                "responses": {
                    "200": _json(
                        _ref("IntakeStatus"), "The status, in plain language for the patient."
                    ),
                    "400": BAD_ADDRESS,
                    "404": _error("No such intake for this token (wrong id or token)."),
                    "503": UNAVAILABLE,
                },
            }
        },
        "/api/v1/cases/{id}": {
            "get": {
                "operationId": "readCase",
                "summary": "A case for staff: intake, screening result, queue, history",
                "description": "Coordinators and admins see every case; physicians the cases "
                "assigned to them or waiting in the physician queue from their licensed states. "
                "Each read is written to the audit log.",
                "security": staff_security,
                "parameters": [public_id],
                "responses": {
                    "200": _json(_ref("StaffCase"), "The case."),
                    "404": _error("No such case, or not one this staff member may see."),
                    **STAFF_ERRORS,
                },
            }
        },
        "/api/v1/queue": {
            "get": {
                "operationId": "readQueue",
                "summary": "The cases waiting for staff, ordered as the queue page orders them",
                "security": staff_security,
                "parameters": [
                    {
                        "name": "queue",
                        "in": "query",
                        "required": False,
                        "description": "Only the cases of this queue (any other value: none).",
                        "schema": {"type": "string", "examples": QUEUES},
                    },
                    {
                        "name": "cursor",
                        "in": "query",
                        "required": False,
                        "description": "Where a page starts: take it from the `next` link of "
                        "the page before (absent: the first page). Pages hold LDN_PAGE_SIZE "
                        "cases (50 unless set).",
                        "schema": {"type": "string"},
                    },
                ],
                "responses": {
                    "200": _json(_ref("Queue"), "A page of the cases."),
                    **STAFF_ERRORS,
                    "400": _error("A cursor this API did not give, or a malformed address."),
                },
            }
        },
        "/api/v1/cases/{id}/fhir": {
            "get": {
                "operationId": "exportCaseAsFhir",
                "summary": "Export a case as a FHIR R4 Bundle (staff only)",
                "description": "A Bundle of type collection: Patient, QuestionnaireResponse, "
                "a Condition per diagnosis (ICD-10-CM where known), a MedicationStatement per "
                "medication, the screening as a RiskAssessment and a DetectedIssue per flag, "
                "for physician review. Coordinators and admins see every case, physicians the "
                "cases they may work. Every export is audited; never cached.",
                "security": staff_security,
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {
                    "200": {
                        "description": "The case as a FHIR R4 Bundle.",
                        "content": {FHIR_JSON: {"schema": fhir_resource("Bundle")}},
                    },
                    **STAFF_ERRORS,
                    "404": _error("No such case, or not one this physician may see."),
                },
            }
        },
        f"/fhir/Questionnaire/{QUESTIONNAIRE_ID}": {
            "get": {
                "operationId": "getIntakeQuestionnaire",
                "summary": "The intake as a FHIR R4 Questionnaire",
                "description": "Public (no patient data); the QuestionnaireResponse of every "
                "exported case refers to it by its canonical URL and version. Cacheable; "
                "revalidate with If-None-Match.",
                "responses": {
                    "200": {
                        "description": "The Questionnaire.",
                        "content": {FHIR_JSON: {"schema": fhir_resource("Questionnaire")}},
                    },
                    "304": {"description": "Not modified since the ETag given."},
                    "400": BAD_ADDRESS,
                },
            }
        },
        "/healthz": {
            "get": {
                "operationId": "health",
                "summary": "Health of the database, Redis and the workers",
                "parameters": [
                    {
                        "name": "timeout",
                        "in": "query",
                        "required": False,
                        "description": "Seconds to wait for the workers' replies. The "
                        "workers' count is cached for a few seconds, and the endpoint is "
                        "rate-limited per address.",
                        "schema": {
                            "type": "number",
                            "exclusiveMinimum": 0,
                            "maximum": HEALTH_TIMEOUT_MAX_SECONDS,
                            "default": HEALTH_TIMEOUT_MAX_SECONDS,
                        },
                    }
                ],
                "responses": {
                    "200": _json(_ref("Health"), "All up."),
                    "400": _error(
                        "The timeout is not a number of seconds in range, or the address holds "
                        "a NUL character."
                    ),
                    "503": _json(_ref("Health"), "Something is down: `down` names it."),
                },
            }
        },
        "/api/v1/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This document",
                "responses": {"200": _json({"type": "object"}, "The OpenAPI 3.1 document.")},
            }
        },
    }


@cache
def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "ldn-intake API",
            "version": "1.1.0",
            "description": "Submit an LDN intake and follow its status; staff read cases and "
            "queues. Screening is automatic; a physician makes every decision.",
        },
        "servers": [{"url": "/"}],
        "paths": _paths(),
        "components": {
            "schemas": {
                **_intake_schemas(),
                "FieldErrors": FIELD_ERRORS,
                "Error": ERROR,
                "IntakeStatus": INTAKE_STATUS,
                "Health": HEALTH,
                "Flag": FLAG,
                "ScreeningResult": SCREENING_RESULT,
                "StaffCase": STAFF_CASE,
                "Queue": QUEUE,
            },
            "securitySchemes": {
                "accessToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The access_token returned when the intake was submitted.",
                },
                "staffToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A staff API token (`flask --app intake staff token EMAIL`).",
                },
                "staffSession": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "ldn_session",
                    "description": "A signed-in staff session (the staff pages).",
                },
            },
        },
    }
