"""One WTForms form per intake step. Messages say what to do, in plain words; where the JSON
API reports the same problem, the message is the schema's own (schemas/intake.schema.json).

Labels, hints and messages are lazy (Flask-Babel) so each shows in the request's language;
WTForms' built-in messages follow it too (IntakeForm.Meta.get_translations)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import LazyString, format_number, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.i18n import translations as wtforms_translations
from markupsafe import Markup, escape
from wtforms import (
    BooleanField,
    DateField,
    Field,
    FieldList,
    Form,
    FormField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)

# types-WTForms 3.2 predates SelectChoice (WTForms 3.3): its stubs do not know it.
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]
from wtforms.validators import (
    Email,
    InputRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import Select

from intake.patient import choices
from workflows.cases.signature import signature_matches

STOPPED_ON_REQUIRED = _l(
    "Say when you stopped taking this medication: a date is required when the status is stopped."
)


def options(pairs: list[tuple[str, str]]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


class FixedChoicesSelect(Select):
    """A select whose choices never change (the 54 states): WTForms renders it once per
    language, chosen value and attributes, and the markup is reused. Rendering the options on
    every view (a lazy translation, escaping and attributes per option) took about half of a
    step page's template time."""

    def __init__(self) -> None:
        super().__init__()
        self._rendered: dict[tuple[Any, ...], Markup] = {}

    def __call__(self, field: Any, **kwargs: Any) -> Markup:
        chosen = field.data if isinstance(field.data, str) else ""
        key = (str(get_locale()), field.id, chosen, *sorted(kwargs.items()))
        rendered = self._rendered.get(key)
        if rendered is None:
            rendered = super().__call__(field, **kwargs)
            if any(choice.value == chosen for choice in field.choices):  # bounded: no strays
                self._rendered[key] = rendered
        return rendered


SEVERITY_MESSAGE = _l("Choose how much it affects you, from 0 to 10.")
ICD10_MESSAGE = _l("Enter an ICD-10 code such as K50.90, or leave it empty.")
# Long enough to tell two items apart, short enough for one line of the error summary.
ITEM_NAME_LENGTH = 40


def _item_message(item: Any, message: Any) -> str:
    if message is STOPPED_ON_REQUIRED:
        # The schema's sentence (the API's message) would put a second colon after the name.
        return _("%(item)s: say when you stopped taking it.", item=item)
    text = str(message)
    # "Sleep: choose how...": lower case after the colon, unless the message starts with an
    # acronym or a capital word ("ICD-10", "I take it now").
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        text = text[0].lower() + text[1:]
    return _("%(item)s: %(message)s", item=item, message=text)


class _TypedText(LazyString):
    """A lazy message holding what the patient typed. Flask-Babel's LazyString tells Jinja it
    is safe markup (its __html__ returns it as is); this one is escaped like any text."""

    def __html__(self) -> str:
        return str(escape(str(self)))


def named(item: Any, message: Any) -> LazyString:
    """``message`` about one of several items of a step (a goal, a medication, a diagnosis),
    naming it: "Sleep: choose how much it affects you", "Percocet: say when you stopped taking
    it". Lazy, so the summary and the field read it in the page's language."""
    return _TypedText(_item_message, item, message)


def name_errors(fields: Any, item: Any) -> None:
    """Every error of ``fields`` (one item's fields) names the item: three goals or two
    medications with the same problem otherwise give identical messages and links."""
    for field in fields:
        field.errors = [named(item, message) for message in field.errors]


def typed_name(field: Any, fallback: Any) -> Any:
    """An item's name as the patient typed it, shortened, or ``fallback`` ("Medication 2")
    for a row without one."""
    name = " ".join(str(field.data or "").split())
    if not name:
        return fallback
    return name if len(name) <= ITEM_NAME_LENGTH else name[: ITEM_NAME_LENGTH - 1] + "…"


def _without_nul(value: Any) -> Any:
    return value.replace("\x00", "") if isinstance(value, str) else value


class IntakeForm(FlaskForm):
    """Every intake form drops NUL characters from what was typed: PostgreSQL cannot store
    them, and nobody types one on purpose."""

    class Meta:
        def bind_field(self, form: Any, unbound_field: Any, options: dict[str, Any]) -> Any:
            if unbound_field.field_class in (FieldList, FormField):  # their rows filter themselves
                return unbound_field.bind(form=form, **options)
            filters = [*unbound_field.kwargs.get("filters", ()), _without_nul]
            return unbound_field.bind(form=form, filters=filters, **options)

        def get_translations(self, form: Any) -> Any:
            # WTForms' own messages ("Not a valid choice.") in the request's language, for the
            # step forms and for the rows nested in them alike.
            return wtforms_translations


class PlainDateField(DateField):
    """A date input whose parse error tells the patient what to type."""

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            self.data = date.fromisoformat(valuelist[0].strip())
        except ValueError:
            self.data = None
            raise ValueError(
                _l("Enter a real date as YYYY-MM-DD, for example 1980-04-02.")
            ) from None


# The parts of a date typed in three boxes, in the order a US patient writes a date (month, day,
# year) in both languages: the practice is in the US and a Spanish speaker there reads the
# same order on every form they fill in.
DATE_PARTS = ("month", "day", "year")
_MISSING = {
    ("month",): _l("Date of birth must include a month."),
    ("day",): _l("Date of birth must include a day."),
    ("year",): _l("Date of birth must include a year."),
    ("month", "day"): _l("Date of birth must include a month and a day."),
    ("month", "year"): _l("Date of birth must include a month and a year."),
    ("day", "year"): _l("Date of birth must include a day and a year."),
}


class MemorableDateField(Field):
    """A date typed in three boxes (GOV.UK's "memorable date"): `<name>-month`, `-day`,
    `-year`. `parts` holds what was typed, so the page shows it again exactly; `wrong_parts`
    the boxes an error is about, which alone are marked invalid; `data` the date once the three
    make a real one between 1900 and today.

    A draft saved before the three boxes holds one `<name>=YYYY-MM-DD` pair: it is split into
    the boxes, so a resumed old draft shows its date."""

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        super().__init__(label, validators, **kwargs)
        self.parts: dict[str, str] = dict.fromkeys(DATE_PARTS, "")
        self.wrong_parts: tuple[str, ...] = ()

    @property
    def first_wrong_id(self) -> str:
        """Where the error summary's link lands: the first box in error."""
        return f"{self.id}-{(self.wrong_parts or DATE_PARTS)[0]}"

    def process(self, formdata: Any, data: Any = None, extra_filters: Any = None) -> None:
        self.process_errors = []
        self.data = None
        self.raw_data = []
        if formdata is None:
            return
        typed = {
            part: str(formdata.get(f"{self.name}-{part}", "")).replace("\x00", "").strip()
            for part in DATE_PARTS
        }
        single = str(formdata.get(self.name, "")).strip()
        if not any(typed.values()) and single:
            try:
                old = date.fromisoformat(single)
            except ValueError:
                typed["year"] = single  # shown as typed; the check below says what is wrong
            else:
                typed = {"month": str(old.month), "day": str(old.day), "year": str(old.year)}
        self.parts = typed
        self.raw_data = [typed[part] for part in DATE_PARTS]

    def pre_validate(self, form: Any) -> None:
        self.data = None
        today = form.meta.today if hasattr(form.meta, "today") else date.today()
        problem, wrong, born = read_date_of_birth(self.parts, today)
        self.wrong_parts = wrong
        if problem is not None:
            raise ValidationError(problem)
        self.data = born

    def _value(self) -> str:
        return self.data.isoformat() if self.data else ""


def read_date_of_birth(
    parts: dict[str, str], today: date
) -> tuple[Any, tuple[str, ...], date | None]:
    """(message, the boxes it is about, the date): one message, the first that applies, as
    GOV.UK orders them: missing parts, then parts that cannot be right, then a date that cannot
    be a date of birth. A two-digit year is not guessed: 85 may be 1985 or 2085 to nobody."""
    missing = tuple(part for part in DATE_PARTS if not parts.get(part))
    if len(missing) == len(DATE_PARTS):
        return _l("Enter your date of birth."), DATE_PARTS, None
    if missing:
        return _MISSING[missing], missing, None
    month, day, year = (parts[part] for part in DATE_PARTS)
    wrong: list[tuple[str, Any]] = []
    if not (month.isdigit() and 1 <= int(month) <= 12):
        wrong.append(("month", _l("Month must be between 1 and 12.")))
    if not (day.isdigit() and 1 <= int(day) <= 31):
        wrong.append(("day", _l("Day must be between 1 and 31.")))
    if not (year.isdigit() and len(year) == 4):
        wrong.append(("year", _l("Year must be 4 numbers.")))
    if wrong:
        return wrong[0][1], tuple(part for part, _ in wrong), None
    try:
        born = date(int(year), int(month), int(day))
    except ValueError:
        return _l("Date of birth must be a real date."), ("day",), None
    if born > today:
        return _l("Date of birth must be in the past."), DATE_PARTS, None
    if born.year < 1900:
        return _l("Date of birth must be in 1900 or later."), ("year",), None
    return None, (), born


def _single_newlines(value: Any) -> Any:
    # Browsers send a textarea's line breaks as CR LF; the page's counter, and the intake
    # schema's maxLength, count each as one character.
    return value.replace("\r\n", "\n") if isinstance(value, str) else value


class CharacterLimit:
    """At most ``limit`` characters, said before typing and counted while typing (the
    textarea macro reads the ``character_limit`` flag for the hint and the live count).

    Unlike WTForms' Length it sets no ``maxlength`` attribute: with one, a browser cuts a
    pasted text to the limit without a word. Here everything pasted stays, and the error says
    how much too long it is. ``message`` takes %(limit)s and %(count)s."""

    def __init__(self, limit: int, message: Any) -> None:
        self.limit = limit
        self.message = message
        self.field_flags = {"character_limit": limit}

    def __call__(self, form: Any, field: Any) -> None:
        count = len(field.data or "")
        if count > self.limit:
            raise ValidationError(
                str(self.message)
                % {"limit": format_number(self.limit), "count": format_number(count)}
            )


def not_in_future(today: date, message: str) -> Any:
    def check(form: Any, field: Any) -> None:
        if field.data and field.data > today:
            raise ValidationError(message)

    return check


class AboutForm(IntakeForm):
    first_name = StringField(
        _l("First name"), [InputRequired(_l("Enter your first name.")), Length(max=100)]
    )
    last_name = StringField(
        _l("Last name"), [InputRequired(_l("Enter your last name.")), Length(max=100)]
    )
    date_of_birth = MemorableDateField(
        _l("Date of birth"), description=_l("For example, 3 27 1980")
    )
    email = StringField(
        _l("Email address"),
        [
            InputRequired(_l("Enter your email address.")),
            Email(_l("Enter an email address like name@example.com.")),
            Length(max=200),
        ],
        description=_l("We send your link to continue, and news of your intake, here."),
    )
    phone = StringField(
        _l("Phone number (optional)"),
        [
            Optional(),
            Regexp(
                r"^[0-9 +().-]{7,20}$",
                message=_l("Enter a phone number using digits, like 555-010-0100."),
            ),
            Length(max=30),
        ],
    )
    state_of_residence = SelectField(
        _l("State where you live"),
        [InputRequired(_l("Choose the state where you live."))],
        choices=options(choices.STATE_CHOICES),
        widget=FixedChoicesSelect(),
        description=_l(
            "Our physicians are licensed in Iowa, Illinois, Missouri, Florida, Georgia and Texas. "
            "If you live elsewhere you can still complete the intake to join our waitlist."
        ),
    )


class DiagnosisRow(Form):
    Meta = IntakeForm.Meta

    name = StringField(_l("Diagnosis"), [Length(max=200)])
    icd10 = StringField(
        _l("ICD-10 code (optional)"),
        [
            Optional(),
            Regexp(
                r"^\s*[A-Za-z][0-9][0-9A-Za-z](\.?[0-9A-Za-z]{1,4})?\s*$", message=ICD10_MESSAGE
            ),
        ],
        description=_l("If you know it, from a letter or your patient portal, such as K50.90."),
    )


class DiagnosesForm(IntakeForm):
    rows = FieldList(FormField(DiagnosisRow), min_entries=1, max_entries=50)

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        for number, row in enumerate(self.rows, start=1):
            fallback = _l("Diagnosis %(number)s", number=number)
            name_errors(row.form, typed_name(row.form["name"], fallback))
        return valid


class MedicationRow(Form):
    Meta = IntakeForm.Meta

    name = StringField(_l("Medication or supplement"), [Length(max=200)])
    dose = StringField(
        _l("Dose (optional)"), [Length(max=200)], description=_l("For example 10 mg twice a day.")
    )
    status = SelectField(
        _l("Do you take it now?"), choices=options(choices.STATUS_CHOICES), default="current"
    )
    stopped_on = PlainDateField(
        _l("Date you stopped"), [Optional()], description=_l("Only if you stopped it.")
    )

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        named = bool((self.name.data or "").strip())
        if not named and ((self.dose.data or "").strip() or self.stopped_on.data):
            self.name.errors = [
                *self.name.errors,
                _l("Enter the medication name, or remove this row."),
            ]
            valid = False
        if (
            named
            and self.status.data == "stopped"
            and not self.stopped_on.data
            and not self.stopped_on.errors
        ):
            self.stopped_on.errors = [*self.stopped_on.errors, STOPPED_ON_REQUIRED]
            valid = False
        today = self.meta.today if hasattr(self.meta, "today") else date.today()
        if self.stopped_on.data and self.stopped_on.data > today:
            self.stopped_on.errors = [
                *self.stopped_on.errors,
                _l(
                    "The date you stopped cannot be in the future; if you still take it, choose 'I take it now'."
                ),
            ]
            valid = False
        return valid


class MedicationsForm(IntakeForm):
    rows = FieldList(FormField(MedicationRow), min_entries=1, max_entries=100)

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        for number, row in enumerate(self.rows, start=1):
            fallback = _l("Medication %(number)s", number=number)
            name_errors(row.form, typed_name(row.form["name"], fallback))
        return valid


def _yes_no(label: str, hint: str) -> RadioField:
    return RadioField(
        label,
        [InputRequired(_l("Answer yes or no."))],
        choices=options(choices.YES_NO),
        description=hint,
    )


# Made before the class body's fields, so WTForms (which orders fields by creation) lists them
# first, as the page shows them: the error summary then reads in page order.
_HISTORY_YES_NO = [(name, _yes_no(label, hint)) for name, label, hint in choices.HISTORY_QUESTIONS]


class HistoryForm(IntakeForm):
    liver_disease = RadioField(
        _l("Have you been told you have liver disease?"),
        [InputRequired(_l("Choose the answer that fits you best."))],
        choices=options(choices.LIVER_CHOICES),
    )
    diabetes = RadioField(
        _l("Do you have diabetes?"),
        [InputRequired(_l("Choose the answer that fits you best."))],
        choices=options(choices.DIABETES_CHOICES),
    )
    planned_surgery_date = PlainDateField(
        _l("Date of any planned surgery (optional)"),
        [Optional()],
        description=_l("Leave empty if none is planned."),
    )
    notes = TextAreaField(
        _l("Anything else the care team should know? (optional)"),
        [
            Optional(),
            CharacterLimit(
                4000, _l("Notes must be %(limit)s characters or fewer; you have %(count)s.")
            ),
        ],
        filters=[_single_newlines],
    )


for _name, _field in _HISTORY_YES_NO:
    setattr(HistoryForm, _name, _field)

# Render order of the history step: yes/no questions first, then the rest.
HISTORY_ORDER = [name for name, _, _ in choices.HISTORY_QUESTIONS] + [
    "liver_disease",
    "diabetes",
    "planned_surgery_date",
    "notes",
]


class GoalsForm(IntakeForm):
    goal_notes = TextAreaField(
        _l("In your own words, what would you like to change? (optional)"),
        [
            Optional(),
            CharacterLimit(
                2000,
                _l(
                    "What you would like to change must be %(limit)s characters or fewer; you "
                    "have %(count)s."
                ),
            ),
        ],
        filters=[_single_newlines],
    )

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        chosen = [code for code, _ in choices.GOALS if self[f"goal_{code}"].data]
        if not chosen:
            self[f"goal_{choices.GOALS[0][0]}"].errors = [_l("Choose at least one goal.")]
            valid = False
        for code in chosen:
            severity = self[f"severity_{code}"]
            if severity.data in (None, ""):
                severity.errors = [SEVERITY_MESSAGE]
                valid = False
        for code, label in choices.GOALS:
            name_errors([self[f"severity_{code}"]], label)
        return valid


for _code, _label in choices.GOALS:
    setattr(GoalsForm, f"goal_{_code}", BooleanField(_label))
    setattr(
        GoalsForm,
        f"severity_{_code}",
        SelectField(
            choices.SEVERITY_QUESTIONS[_code],
            choices=options(choices.SEVERITY_CHOICES),
            default="",
        ),
    )


class KetosisForm(IntakeForm):
    interested = RadioField(
        _l("Would you like the care team to consider a ketosis plan with LDN?"),
        [InputRequired(_l("Choose yes or no."))],
        choices=options(
            [("yes", _l("Yes, I would like it considered")), ("no", _l("No, LDN only"))]
        ),
    )


# Made before the signature, so the consents come first in the error summary, as on the page.
_CONSENTS = [
    (_name, BooleanField(_label, [InputRequired(_l("Tick this box to continue."))]))
    for _name, _label in choices.CONSENT_STATEMENTS
]


class ReviewForm(IntakeForm):
    signature = StringField(
        _l("Type your full name as your signature"),
        [InputRequired(_l("Type your full name to sign.")), Length(max=200)],
        description=_l("The same first and last name you gave in step 1."),
    )

    def validate_signature(self, field: Any) -> None:
        # Accents, case, spaces and punctuation forgiven (workflows.cases.signature); what
        # was typed is kept as the signed name.
        if not signature_matches(field.data or "", self.meta.full_name):
            raise ValidationError(_l("Type your full name exactly as you gave it in step 1."))


for _name, _consent in _CONSENTS:
    setattr(ReviewForm, _name, _consent)


class AnswerForm(IntakeForm):
    """The patient's answer to the care team's question, sent with their updated answers.

    Optional by itself: a patient who answered by changing a step has nothing more to say. An
    update with neither is refused by casework.patient_amend, and the page says so here."""

    answer = TextAreaField(
        _l("Your answer to the question"),
        [
            Optional(),
            CharacterLimit(
                2000, _l("Your answer must be %(limit)s characters or fewer; you have %(count)s.")
            ),
        ],
        filters=[_single_newlines],
        description=_l(
            "In your own words. The care team reads it with your updated answers. You may leave "
            "it empty if your changes answer the question."
        ),
    )


class BrowserCheckForm(IntakeForm):
    """The date of birth a resume link asks for in a browser not used for its intake before
    (workflows.cases.device_check)."""

    date_of_birth = MemorableDateField(
        _l("Date of birth"), description=_l("For example, 3 27 1980")
    )
