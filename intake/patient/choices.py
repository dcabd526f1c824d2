"""Fixed choices of the intake form, in the words patients see.

Labels are lazy: each is translated into the request's language when a page shows it.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

US_STATES: list[tuple[str, Any]] = [
    ("AL", _l("Alabama")), ("AK", _l("Alaska")), ("AZ", _l("Arizona")), ("AR", _l("Arkansas")),
    ("CA", _l("California")), ("CO", _l("Colorado")), ("CT", _l("Connecticut")), ("DE", _l("Delaware")),
    ("DC", _l("District of Columbia")), ("FL", _l("Florida")), ("GA", _l("Georgia")), ("HI", _l("Hawaii")),
    ("ID", _l("Idaho")), ("IL", _l("Illinois")), ("IN", _l("Indiana")), ("IA", _l("Iowa")), ("KS", _l("Kansas")),
    ("KY", _l("Kentucky")), ("LA", _l("Louisiana")), ("ME", _l("Maine")), ("MD", _l("Maryland")),
    ("MA", _l("Massachusetts")), ("MI", _l("Michigan")), ("MN", _l("Minnesota")), ("MS", _l("Mississippi")),
    ("MO", _l("Missouri")), ("MT", _l("Montana")), ("NE", _l("Nebraska")), ("NV", _l("Nevada")),
    ("NH", _l("New Hampshire")), ("NJ", _l("New Jersey")), ("NM", _l("New Mexico")), ("NY", _l("New York")),
    ("NC", _l("North Carolina")), ("ND", _l("North Dakota")), ("OH", _l("Ohio")), ("OK", _l("Oklahoma")),
    ("OR", _l("Oregon")), ("PA", _l("Pennsylvania")), ("RI", _l("Rhode Island")), ("SC", _l("South Carolina")),
    ("SD", _l("South Dakota")), ("TN", _l("Tennessee")), ("TX", _l("Texas")), ("UT", _l("Utah")),
    ("VT", _l("Vermont")), ("VA", _l("Virginia")), ("WA", _l("Washington")), ("WV", _l("West Virginia")),
    ("WI", _l("Wisconsin")), ("WY", _l("Wyoming")), ("PR", _l("Puerto Rico")),
]  # fmt: skip
OTHER_STATE = ("Other", _l("Somewhere else (outside these states)"))
STATE_CHOICES = [("", _l("Choose your state")), *US_STATES, OTHER_STATE]
STATE_NAMES = dict([*US_STATES, OTHER_STATE])

YES_NO = [("yes", _l("Yes")), ("no", _l("No"))]

LIVER_CHOICES = [
    ("none", _l("No liver disease")),
    (
        "chronic",
        _l(
            "Long-term (chronic) liver disease, such as fatty liver, cirrhosis or chronic hepatitis"
        ),
    ),
    ("acute_hepatitis", _l("Hepatitis that started recently (acute hepatitis)")),
    ("liver_failure", _l("Liver failure")),
]
DIABETES_CHOICES = [
    ("none", _l("No diabetes")),
    ("prediabetes", _l("Prediabetes")),
    ("type1", _l("Type 1 diabetes")),
    ("type2", _l("Type 2 diabetes")),
]
STATUS_CHOICES = [("current", _l("I take it now")), ("stopped", _l("I stopped it"))]

GOALS: list[tuple[str, Any]] = [
    ("fatigue", _l("Fatigue or low energy")),
    ("pain", _l("Pain")),
    ("sleep", _l("Sleep")),
    ("mood", _l("Mood")),
    ("brain_fog", _l("Brain fog or concentration")),
    ("digestion", _l("Digestion")),
    ("skin", _l("Skin")),
    ("joint_stiffness", _l("Joint stiffness")),
    ("inflammation", _l("Inflammation")),
    ("mobility", _l("Getting around")),
    ("weight", _l("Weight")),
    ("other", _l("Something else")),
]
# One whole question per goal: other languages need their own article and word order.
SEVERITY_QUESTIONS: dict[str, Any] = {
    "fatigue": _l("How much does fatigue or low energy affect you?"),
    "pain": _l("How much does pain affect you?"),
    "sleep": _l("How much does sleep affect you?"),
    "mood": _l("How much does mood affect you?"),
    "brain_fog": _l("How much does brain fog or concentration affect you?"),
    "digestion": _l("How much does digestion affect you?"),
    "skin": _l("How much does skin affect you?"),
    "joint_stiffness": _l("How much does joint stiffness affect you?"),
    "inflammation": _l("How much does inflammation affect you?"),
    "mobility": _l("How much does getting around affect you?"),
    "weight": _l("How much does weight affect you?"),
    "other": _l("How much does something else affect you?"),
}
SEVERITY_CHOICES: list[tuple[str, Any]] = [
    ("", _l("How much does it affect you?")),
    ("0", _l("0 - not at all")),
    *[(str(n), str(n)) for n in range(1, 10)],
    ("10", _l("10 - as bad as it gets")),
]

HISTORY_QUESTIONS: list[tuple[str, Any, Any]] = [
    ("pregnant", _l("Are you pregnant?"), ""),
    ("breastfeeding", _l("Are you breastfeeding?"), ""),
    ("organ_transplant", _l("Have you had an organ transplant?"), ""),
    (
        "eating_disorder",
        _l("Have you ever had an eating disorder?"),
        _l("For example anorexia, bulimia or binge eating."),
    ),
    ("pancreatitis", _l("Have you ever had pancreatitis?"), _l("Inflammation of the pancreas.")),
    ("kidney_stones", _l("Have you ever had kidney stones?"), ""),
    ("gallbladder_disease", _l("Do you have gallbladder disease or gallstones?"), ""),
    (
        "inborn_metabolic_disorder",
        _l("Have you been diagnosed with an inherited metabolic disorder?"),
        _l(
            "For example a fatty-acid oxidation disorder, carnitine deficiency, pyruvate "
            "carboxylase deficiency or porphyria."
        ),
    ),
    ("naltrexone_allergy", _l("Have you ever had an allergic reaction to naltrexone?"), ""),
]

CONSENT_STATEMENTS: list[tuple[str, Any]] = [
    ("consent_accurate", _l("My answers are true and complete to the best of my knowledge.")),
    (
        "consent_review",
        _l(
            "I understand that software checks my answers and that a physician of the practice "
            "makes every decision; this intake is not a prescription."
        ),
    ),
    (
        "consent_contact",
        _l(
            "I agree that the practice stores my answers to review my intake and contacts me "
            "about it."
        ),
    ),
]
