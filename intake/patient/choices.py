"""Fixed choices of the intake form, in the words patients see."""

from __future__ import annotations

US_STATES: list[tuple[str, str]] = [
    ("AL", "Alabama"), ("AK", "Alaska"), ("AZ", "Arizona"), ("AR", "Arkansas"),
    ("CA", "California"), ("CO", "Colorado"), ("CT", "Connecticut"), ("DE", "Delaware"),
    ("DC", "District of Columbia"), ("FL", "Florida"), ("GA", "Georgia"), ("HI", "Hawaii"),
    ("ID", "Idaho"), ("IL", "Illinois"), ("IN", "Indiana"), ("IA", "Iowa"), ("KS", "Kansas"),
    ("KY", "Kentucky"), ("LA", "Louisiana"), ("ME", "Maine"), ("MD", "Maryland"),
    ("MA", "Massachusetts"), ("MI", "Michigan"), ("MN", "Minnesota"), ("MS", "Mississippi"),
    ("MO", "Missouri"), ("MT", "Montana"), ("NE", "Nebraska"), ("NV", "Nevada"),
    ("NH", "New Hampshire"), ("NJ", "New Jersey"), ("NM", "New Mexico"), ("NY", "New York"),
    ("NC", "North Carolina"), ("ND", "North Dakota"), ("OH", "Ohio"), ("OK", "Oklahoma"),
    ("OR", "Oregon"), ("PA", "Pennsylvania"), ("RI", "Rhode Island"), ("SC", "South Carolina"),
    ("SD", "South Dakota"), ("TN", "Tennessee"), ("TX", "Texas"), ("UT", "Utah"),
    ("VT", "Vermont"), ("VA", "Virginia"), ("WA", "Washington"), ("WV", "West Virginia"),
    ("WI", "Wisconsin"), ("WY", "Wyoming"), ("PR", "Puerto Rico"),
]  # fmt: skip
OTHER_STATE = ("Other", "Somewhere else (outside these states)")
STATE_CHOICES = [("", "Choose your state"), *US_STATES, OTHER_STATE]
STATE_NAMES = dict([*US_STATES, OTHER_STATE])

YES_NO = [("yes", "Yes"), ("no", "No")]

LIVER_CHOICES = [
    ("none", "No liver disease"),
    (
        "chronic",
        "Long-term (chronic) liver disease, such as fatty liver, cirrhosis or chronic hepatitis",
    ),
    ("acute_hepatitis", "Hepatitis that started recently (acute hepatitis)"),
    ("liver_failure", "Liver failure"),
]
DIABETES_CHOICES = [
    ("none", "No diabetes"),
    ("prediabetes", "Prediabetes"),
    ("type1", "Type 1 diabetes"),
    ("type2", "Type 2 diabetes"),
]
STATUS_CHOICES = [("current", "I take it now"), ("stopped", "I stopped it")]

GOALS: list[tuple[str, str]] = [
    ("fatigue", "Fatigue or low energy"),
    ("pain", "Pain"),
    ("sleep", "Sleep"),
    ("mood", "Mood"),
    ("brain_fog", "Brain fog or concentration"),
    ("digestion", "Digestion"),
    ("skin", "Skin"),
    ("joint_stiffness", "Joint stiffness"),
    ("inflammation", "Inflammation"),
    ("mobility", "Getting around"),
    ("weight", "Weight"),
    ("other", "Something else"),
]
SEVERITY_CHOICES = [("", "How much does it affect you?")] + [
    (str(n), f"{n}" + (" - not at all" if n == 0 else " - as bad as it gets" if n == 10 else ""))
    for n in range(11)
]

HISTORY_QUESTIONS: list[tuple[str, str, str]] = [
    ("pregnant", "Are you pregnant?", ""),
    ("breastfeeding", "Are you breastfeeding?", ""),
    ("organ_transplant", "Have you had an organ transplant?", ""),
    (
        "eating_disorder",
        "Have you ever had an eating disorder?",
        "For example anorexia, bulimia or binge eating.",
    ),
    ("pancreatitis", "Have you ever had pancreatitis?", "Inflammation of the pancreas."),
    ("kidney_stones", "Have you ever had kidney stones?", ""),
    ("gallbladder_disease", "Do you have gallbladder disease or gallstones?", ""),
    (
        "inborn_metabolic_disorder",
        "Have you been diagnosed with an inherited metabolic disorder?",
        "For example a fatty-acid oxidation disorder, carnitine deficiency, pyruvate carboxylase "
        "deficiency or porphyria.",
    ),
    ("naltrexone_allergy", "Have you ever had an allergic reaction to naltrexone?", ""),
]

CONSENT_STATEMENTS: list[tuple[str, str]] = [
    ("consent_accurate", "My answers are true and complete to the best of my knowledge."),
    (
        "consent_review",
        "I understand that software checks my answers and that a physician of the practice "
        "makes every decision; this intake is not a prescription.",
    ),
    (
        "consent_contact",
        "I agree that the practice stores my answers to review my intake and contacts me about it.",
    ),
]
