"""The OpenAPI 3.1 description of the public JSON API, built from the intake JSON Schema."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from workflows.fhir import FHIR_JSON, QUESTIONNAIRE_ID
from workflows.screening.validation import SCHEMA_PATH


def fhir_resource(resource_type: str) -> dict[str, Any]:
    """Enough schema to say what comes back; the FHIR R4 specification defines the rest."""
    return {
        "type": "object",
        "required": ["resourceType"],
        "properties": {"resourceType": {"const": resource_type}},
        "externalDocs": {"url": f"https://hl7.org/fhir/R4/{resource_type.lower()}.html"},
    }


@cache
def openapi_document() -> dict[str, Any]:
    intake_schema = json.loads(SCHEMA_PATH.read_text())
    defs = intake_schema.pop("$defs")
    intake_schema.pop("$schema", None)
    intake_schema.pop("$id", None)
    # OpenAPI 3.1 speaks JSON Schema 2020-12; local references move under components.
    text = json.dumps(intake_schema).replace("#/$defs/", "#/components/schemas/")
    errors = {
        "type": "object",
        "required": ["errors"],
        "properties": {
            "errors": {
                "type": "array",
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
    status = {
        "type": "object",
        "required": ["id", "status", "submitted_at", "message"],
        "properties": {
            "id": {"type": "string"},
            "status": {
                "enum": [
                    "received",
                    "screening",
                    "routed",
                    "needs_info",
                    "accepted",
                    "declined",
                    "withdrawn",
                ]
            },
            "submitted_at": {"type": "string", "format": "date"},
            "message": {"type": "string"},
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "ldn-intake API",
            "version": "1.0.0",
            "description": "Submit an LDN intake and follow its status. Screening is automatic; "
            "a physician makes every decision.",
        },
        "servers": [{"url": "/"}],
        "paths": {
            "/api/v1/intakes": {
                "post": {
                    "summary": "Submit an intake",
                    "description": "The server sets submitted_at to today. Rate-limited per address.",
                    "parameters": [
                        {
                            "name": "Content-Language",
                            "in": "header",
                            "required": False,
                            "description": "The patient's language (en or es, default en): "
                            "messages to the patient are written in it.",
                            "schema": {"type": "string"},
                        }
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Intake"}}
                        },
                    },
                    "responses": {
                        "202": {
                            "description": "Received; screening runs in the background.",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "required": ["id", "status", "status_url", "access_token"],
                                        "properties": {
                                            "id": {"type": "string"},
                                            "status": {"const": "received"},
                                            "status_url": {"type": "string", "format": "uri"},
                                            "access_token": {"type": "string"},
                                        },
                                    }
                                }
                            },
                        },
                        "422": {
                            "description": "Invalid intake: one entry per bad field; nothing stored.",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/FieldErrors"}
                                }
                            },
                        },
                        "429": {"description": "Too many requests from this address."},
                    },
                }
            },
            "/api/v1/intakes/{id}": {
                "get": {
                    "summary": "Read an intake's status",
                    "security": [{"accessToken": []}],
                    "parameters": [
                        {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
                    ],
                    "responses": {
                        "200": {
                            "description": "The status, in plain language for the patient.",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/IntakeStatus"}
                                }
                            },
                        },
                        "404": {
                            "description": "No such intake for this token (wrong id or token)."
                        },
                    },
                }
            },
            "/api/v1/cases/{id}/fhir": {
                "get": {
                    "summary": "Export a case as a FHIR R4 Bundle (staff only)",
                    "description": "A Bundle of type collection: Patient, QuestionnaireResponse, "
                    "a Condition per diagnosis (ICD-10-CM where known), a MedicationStatement per "
                    "medication, the screening as a RiskAssessment and a DetectedIssue per flag, "
                    "for physician review. Coordinators and admins see every case, physicians the "
                    "cases they may work. Every export is audited; never cached.",
                    "security": [{"staffToken": []}, {"staffSession": []}],
                    "parameters": [
                        {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
                    ],
                    "responses": {
                        "200": {
                            "description": "The case as a FHIR R4 Bundle.",
                            "content": {FHIR_JSON: {"schema": fhir_resource("Bundle")}},
                        },
                        "401": {"description": "No staff token or session."},
                        "404": {"description": "No such case, or not one this physician may see."},
                    },
                }
            },
            f"/fhir/Questionnaire/{QUESTIONNAIRE_ID}": {
                "get": {
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
                    },
                }
            },
            "/healthz": {
                "get": {
                    "summary": "Health of the database, Redis and the workers",
                    "responses": {
                        "200": {"description": "All up"},
                        "503": {"description": "Something is down"},
                    },
                }
            },
        },
        "components": {
            "schemas": {
                "Intake": json.loads(text),
                "FieldErrors": errors,
                "IntakeStatus": status,
                **defs,
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
                    "description": "A staff API token (flask --app intake staff token EMAIL).",
                },
                "staffSession": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "ldn_session",
                    "description": "A signed-in staff session (/staff/login).",
                },
            },
        },
    }
