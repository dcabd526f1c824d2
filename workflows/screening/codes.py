"""The closed vocabulary of flag codes and kinds (screening-contract.md §4)."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

__all__ = ["FlagCode", "FlagKind", "codes_of"]


class FlagKind(StrEnum):
    HARD_STOP = "hard_stop"
    CAUTION = "caution"
    KETO_STOP = "keto_stop"
    KETO_CAUTION = "keto_caution"
    # A question no rule can settle: a person must look (screening-contract §5).
    REVIEW = "review"

    @property
    def is_ketosis(self) -> bool:
        return self in (FlagKind.KETO_STOP, FlagKind.KETO_CAUTION)


class FlagCode(StrEnum):
    """Every code the screening may emit; rule data may use no other (the loader checks)."""

    OUT_OF_STATE = "OUT_OF_STATE"
    UNDER_18 = "UNDER_18"
    OPIOID_CURRENT = "OPIOID_CURRENT"
    NALTREXONE_ALREADY = "NALTREXONE_ALREADY"
    ACUTE_LIVER = "ACUTE_LIVER"
    NALTREXONE_ALLERGY = "NALTREXONE_ALLERGY"
    OPIOID_WASHOUT = "OPIOID_WASHOUT"
    THYROID_REPLACEMENT = "THYROID_REPLACEMENT"
    TRANSPLANT_IMMUNOSUPPRESSANT = "TRANSPLANT_IMMUNOSUPPRESSANT"
    PLANNED_SURGERY = "PLANNED_SURGERY"
    CHRONIC_LIVER = "CHRONIC_LIVER"
    PREGNANCY = "PREGNANCY"
    KETO_TYPE1_DIABETES = "KETO_TYPE1_DIABETES"
    KETO_SGLT2 = "KETO_SGLT2"
    KETO_PREGNANCY = "KETO_PREGNANCY"
    KETO_EATING_DISORDER = "KETO_EATING_DISORDER"
    KETO_PANCREATITIS = "KETO_PANCREATITIS"
    KETO_LIVER_FAILURE = "KETO_LIVER_FAILURE"
    KETO_INBORN_ERROR = "KETO_INBORN_ERROR"
    KETO_INSULIN_OR_SULFONYLUREA = "KETO_INSULIN_OR_SULFONYLUREA"
    KETO_KIDNEY_STONES = "KETO_KIDNEY_STONES"
    KETO_GALLBLADDER = "KETO_GALLBLADDER"
    MEDICATION_UNIDENTIFIED = "MEDICATION_UNIDENTIFIED"


# The kind each code has in the contract; the loader refuses rule data that disagrees.
CONTRACT_KINDS: dict[FlagCode, FlagKind] = {
    **dict.fromkeys(
        [
            FlagCode.OUT_OF_STATE,
            FlagCode.UNDER_18,
            FlagCode.OPIOID_CURRENT,
            FlagCode.NALTREXONE_ALREADY,
            FlagCode.ACUTE_LIVER,
            FlagCode.NALTREXONE_ALLERGY,
        ],
        FlagKind.HARD_STOP,
    ),
    **dict.fromkeys(
        [
            FlagCode.OPIOID_WASHOUT,
            FlagCode.THYROID_REPLACEMENT,
            FlagCode.TRANSPLANT_IMMUNOSUPPRESSANT,
            FlagCode.PLANNED_SURGERY,
            FlagCode.CHRONIC_LIVER,
            FlagCode.PREGNANCY,
        ],
        FlagKind.CAUTION,
    ),
    **dict.fromkeys(
        [
            FlagCode.KETO_TYPE1_DIABETES,
            FlagCode.KETO_SGLT2,
            FlagCode.KETO_PREGNANCY,
            FlagCode.KETO_EATING_DISORDER,
            FlagCode.KETO_PANCREATITIS,
            FlagCode.KETO_LIVER_FAILURE,
            FlagCode.KETO_INBORN_ERROR,
        ],
        FlagKind.KETO_STOP,
    ),
    **dict.fromkeys(
        [
            FlagCode.KETO_INSULIN_OR_SULFONYLUREA,
            FlagCode.KETO_KIDNEY_STONES,
            FlagCode.KETO_GALLBLADDER,
        ],
        FlagKind.KETO_CAUTION,
    ),
    FlagCode.MEDICATION_UNIDENTIFIED: FlagKind.REVIEW,
}


def codes_of(result: Mapping[str, Any] | None) -> list[str]:
    """Every code a screening result raised, in order and once each: hard stops, cautions,
    reviews (a person must look), then the ketosis plan's stops and cautions."""
    result = result or {}
    codes = [
        f["code"] for key in ("hard_stops", "cautions", "reviews") for f in result.get(key) or []
    ]
    ketosis = result.get("ketosis") or {}
    codes += [f["code"] for key in ("stops", "cautions") for f in ketosis.get(key) or []]
    return list(dict.fromkeys(codes))
