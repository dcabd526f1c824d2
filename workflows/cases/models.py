"""The tables of cases: the case, its history, its flags, intake drafts, and what
coordinators recorded unidentified medications to be (SQLAlchemy 2, typed)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    and_,
    func,
    literal_column,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflows.platform.orm import Base, utcnow
from workflows.staff.models import StaffUser

__all__ = [
    "Case",
    "CaseEvent",
    "CaseDuplicate",
    "CaseFlag",
    "CaseStatus",
    "Draft",
    "MedicationIdentification",
    "QUEUE_RANK",
    "RuleChange",
    "OPEN_STATUSES",
    "IS_OPEN",
    "IN_PHYSICIAN_QUEUE",
    "UnidentifiedMedication",
    "UnidentifiedNameTotal",
    "WAITING_SINCE",
]


class CaseStatus(StrEnum):
    RECEIVED = "received"
    SCREENING = "screening"
    ROUTED = "routed"
    NEEDS_INFO = "needs_info"
    ASSIGNED = "assigned"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WAITLISTED = "waitlisted"
    WITHDRAWN = "withdrawn"
    SCREENING_FAILED = "screening_failed"


class Case(Base):
    __tablename__ = "intake_case"
    # One index per filter of the staff lists (workflows/cases/queries.py) and per lookup; the
    # index of the queues' order is below the class (it is made of expressions).
    __table_args__ = (
        Index("ix_intake_case_status_updated", "status", "updated_at"),
        Index("ix_intake_case_queue_status", "queue", "status"),
        Index("ix_intake_case_patient_state", "patient_state"),
        Index("ix_intake_case_decision", "decision"),
        # assignee first: a physician's own cases, and the open cases counted per physician
        Index("ix_intake_case_assignee_status", "assignee_id", "status"),
        Index("ix_intake_case_created_at", "created_at"),
        Index("ix_intake_case_info_token_hash", "info_token_hash"),
        # Who the case is about (workflows.cases.patient_fields): the staff search and the
        # duplicate match look a patient up by these. text_pattern_ops lets PostgreSQL read a
        # name prefix (LIKE 'hern%') from the index whatever the database's collation.
        Index("ix_intake_case_email_key", "email_key"),
        Index(
            "ix_intake_case_name_birth",
            "name_key",
            "birth_date",
            postgresql_ops={"name_key": "text_pattern_ops"},
        ),
        Index(
            "ix_intake_case_surname_key",
            "surname_key",
            postgresql_ops={"surname_key": "text_pattern_ops"},
        ),
        Index("ix_intake_case_birth_date", "birth_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # What the patient sees and the API uses: random, so ids cannot be walked.
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    access_token_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(24), default=CaseStatus.RECEIVED)
    submitted_at: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    intake: Mapped[dict[str, Any]]
    screening_result: Mapped[dict[str, Any] | None]
    rule_set_version: Mapped[str | None] = mapped_column(String(40))
    decision: Mapped[str | None] = mapped_column(String(32))
    queue: Mapped[str | None] = mapped_column(String(16))
    priority: Mapped[int | None]
    pipeline_attempts: Mapped[int] = mapped_column(default=0)
    # The exception's class name only: messages may quote patient data.
    last_error: Mapped[str | None] = mapped_column(String(120))
    notified_at: Mapped[datetime | None]
    routed_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    # The licensed state's code ("TX"), or "OTHER": what physicians' licences are matched on.
    patient_state: Mapped[str | None] = mapped_column(String(8))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    # A coordinator's request for more information: which steps the patient may amend.
    info_token_hash: Mapped[str | None] = mapped_column(String(64))
    info_steps: Mapped[dict[str, Any] | None]
    version: Mapped[int] = mapped_column(default=1)
    # The language the patient used ("en" or "es"): messages to the patient follow it.
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    # Who the case is about, copied from the intake whenever it is stored
    # (workflows.cases.patient_fields.set_patient_fields): the lists show and search these
    # instead of reading every intake. The keys are folded (no case, accents, punctuation).
    patient_name: Mapped[str | None] = mapped_column(String(200))
    name_key: Mapped[str | None] = mapped_column(String(200))
    surname_key: Mapped[str | None] = mapped_column(String(200))
    email_key: Mapped[str | None] = mapped_column(String(320))
    birth_date: Mapped[date | None]
    # The state of residence as the patient typed it ("Ontario"): shown when patient_state is
    # "OTHER", since a coordinator needs to know where the patient is, not that we are not there.
    state_typed: Mapped[str | None] = mapped_column(String(100))
    # The first condition the screening matched (rule-data key): the lists' "main condition".
    main_condition: Mapped[str | None] = mapped_column(String(64))

    assignee: Mapped[StaffUser | None] = relationship()
    # The flag codes of screening_result, in rows SQL can filter on (the queue's flag filter);
    # written with the result, by workflows.cases.casework.store_screening_result.
    flags: Mapped[list[CaseFlag]] = relationship(
        order_by="CaseFlag.position", cascade="all, delete-orphan"
    )

    events: Mapped[list[CaseEvent]] = relationship(
        back_populates="case", order_by="CaseEvent.id", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}


# The order of every staff queue: priority first (none counts as 0), then the longest wait,
# the id breaking ties. An index of expressions lets PostgreSQL read a page of the queue in
# order instead of sorting every open case. SQLite (the embedded path, small tables) can
# neither reflect nor need it, so it is made on PostgreSQL only.
QUEUE_RANK = -func.coalesce(Case.priority, 0)
WAITING_SINCE = func.coalesce(Case.routed_at, Case.created_at)
Index("ix_intake_case_queue_order", QUEUE_RANK, WAITING_SINCE, Case.id).ddl_if(dialect="postgresql")

# The states in which a case waits for a person (cases.lifecycle.OPEN_STATES names them for
# the rest of the code). IS_OPEN writes them into the SQL as constants, not parameters, so
# that PostgreSQL can use the partial indexes below for every plan, prepared ones included:
# only the open cases (a few per cent of the table after some years) are in them, so a page of
# a queue reads a page of index entries, however many closed cases the table holds.
OPEN_STATUSES = (
    CaseStatus.ROUTED,
    CaseStatus.ASSIGNED,
    CaseStatus.NEEDS_INFO,
    CaseStatus.SCREENING_FAILED,
    CaseStatus.WAITLISTED,
)
IS_OPEN = Case.status.in_([literal_column(f"'{status.value}'") for status in OPEN_STATUSES])
# The queue in its order; per patient state and per queue in that order (the commonest
# filters, and the physician list).
_ORDER = (QUEUE_RANK, WAITING_SINCE, Case.id)
Index("ix_intake_case_open_order", *_ORDER, postgresql_where=IS_OPEN).ddl_if(dialect="postgresql")
Index(
    "ix_intake_case_open_state_order", Case.patient_state, *_ORDER, postgresql_where=IS_OPEN
).ddl_if(dialect="postgresql")
Index("ix_intake_case_open_queue_order", Case.queue, *_ORDER, postgresql_where=IS_OPEN).ddl_if(
    dialect="postgresql"
)
# A physician's own cases (the first part of their list): an assignee keeps their cases for
# years, so their open ones in order, not all of them sorted.
Index(
    "ix_intake_case_open_assignee_order", Case.assignee_id, *_ORDER, postgresql_where=IS_OPEN
).ddl_if(dialect="postgresql")
# The open cases' count and longest wait per queue (the operations page, and /metrics at each
# scrape): plain columns, so PostgreSQL answers from the index alone. The order indexes above
# hold WAITING_SINCE as an expression, which its planner cannot read back without the rows: at
# 1,000,000 cases that was 50,000 open rows fetched from the table (110 ms) at every scrape.
# Plain columns and a partial index SQLite makes too (migration 0016).
Index(
    "ix_intake_case_open_queue_waiting",
    Case.queue,
    Case.routed_at,
    Case.created_at,
    postgresql_where=IS_OPEN,
    sqlite_where=IS_OPEN,
)


# A physician's search by name (workflows.cases.search): within the physician queue's routed
# cases, and within their own cases, each read from an index of those alone in name order, so
# the search reads a page of matches they may see instead of every match of the name prefix
# (made on SQLite too: plain column indexes it can reflect).
IN_PHYSICIAN_QUEUE = and_(
    Case.status == literal_column("'routed'"), Case.queue == literal_column("'physician'")
)
Index(
    "ix_intake_case_physician_queue_name",
    Case.name_key,
    Case.birth_date,
    postgresql_ops={"name_key": "text_pattern_ops"},
    postgresql_where=IN_PHYSICIAN_QUEUE,
    sqlite_where=IN_PHYSICIAN_QUEUE,
)
Index(
    "ix_intake_case_physician_queue_surname",
    Case.surname_key,
    postgresql_ops={"surname_key": "text_pattern_ops"},
    postgresql_where=IN_PHYSICIAN_QUEUE,
    sqlite_where=IN_PHYSICIAN_QUEUE,
)
Index(
    "ix_intake_case_assignee_name",
    Case.assignee_id,
    Case.name_key,
    Case.birth_date,
    postgresql_ops={"name_key": "text_pattern_ops"},
)
Index(
    "ix_intake_case_assignee_surname",
    Case.assignee_id,
    Case.surname_key,
    postgresql_ops={"surname_key": "text_pattern_ops"},
)


class CaseFlag(Base):
    """One flag code of a case's screening result (workflows.cases.casework.flag_codes): a copy
    kept where SQL can filter the queue by it, in the order the result lists them."""

    __tablename__ = "case_flag"
    __table_args__ = (Index("ix_case_flag_code", "code", "case_id"),)

    case_id: Mapped[int] = mapped_column(ForeignKey("intake_case.id"), primary_key=True)
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[int] = mapped_column(default=0)
    # The case's place in the queue order (QUEUE_RANK, WAITING_SINCE) while it is open, NULL
    # once it is closed: the queue filtered by a flag reads a page of the index below in that
    # order. The open cases that carry a given flag can all sit at the end of the queue (a
    # hard stop lowers the priority), so filtering the queue's own index by the flag read tens
    # of thousands of entries for a page at 1,000,000 cases. The database keeps these two
    # columns (triggers of migration 0008, on both backends), whichever code writes the case
    # or its flags; the application never writes them.
    open_rank: Mapped[int | None]
    open_since: Mapped[datetime | None]


Index(
    "ix_case_flag_open_order",
    CaseFlag.code,
    CaseFlag.open_rank,
    CaseFlag.open_since,
    CaseFlag.case_id,
    postgresql_where=CaseFlag.open_rank.is_not(None),
    sqlite_where=CaseFlag.open_rank.is_not(None),
)


class CaseDuplicate(Base):
    """A mark that a case may be the same patient as an earlier one (same email, or same name
    and date of birth): shown on both cases until a coordinator merges or dismisses it."""

    __tablename__ = "case_duplicate"
    __table_args__ = (
        UniqueConstraint("case_id", "duplicate_of_id", name="uq_case_duplicate_pair"),
        Index("ix_case_duplicate_duplicate_of", "duplicate_of_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("intake_case.id"))  # the newer case
    duplicate_of_id: Mapped[int] = mapped_column(ForeignKey("intake_case.id"))  # the earlier
    # What matched: "email" or "name_birth_date" (never the values themselves).
    basis: Mapped[str] = mapped_column(String(24))
    # "open" (shown on both cases), "merged" or "dismissed"
    state: Mapped[str] = mapped_column(String(16), default="open", server_default="open")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))


class CaseEvent(Base):
    """One thing that happened to a case: append-only history, shown to staff."""

    __tablename__ = "case_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("intake_case.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)

    case: Mapped[Case] = relationship(back_populates="events")


class Draft(Base):
    """An intake in progress, saved step by step; found again by its resume token."""

    __tablename__ = "intake_draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The token of the browser that holds the draft now (in its session, and in the link its
    # pages show). Replaced when the emailed link is opened: every earlier browser loses access.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The token of the link emailed to the address typed at step 1, never shown on a page: only
    # whoever reads that mailbox has it (workflows.cases.drafts.open_link).
    email_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # What was typed on a step that did not validate yet: kept so nothing typed is lost.
    pending: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    resume_link_sent: Mapped[bool] = mapped_column(default=False)
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    # indexed: a decision finds the case's draft to send its status link (migration 0018)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("intake_case.id"), index=True)
    # The second check of a link opened in a new browser (workflows.cases.device_check): wrong
    # dates of birth since the last right one, and until when the link is locked after too many.
    check_failures: Mapped[int] = mapped_column(default=0, server_default="0")
    check_locked_until: Mapped[datetime | None]

    case: Mapped[Case | None] = relationship()


class MedicationIdentification(Base):
    """What a coordinator recorded a medication of a case to be: its ingredients and why.

    Keyed by the name exactly as the patient typed it, so a patient who amends the name gets a
    fresh reading. Rows are only added: a correction is a newer row for the same name.
    """

    __tablename__ = "medication_identification"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("intake_case.id"), index=True)
    medication: Mapped[str] = mapped_column(String(500))
    # The name folded and collapsed, as unidentified_medication groups it (the admins' page
    # shows what coordinators recorded each unidentified name to be).
    name_key: Mapped[str] = mapped_column(String(500), index=True)
    # {"ingredients": ["hydrocodone", "acetaminophen"]}: names of the rule data, or others
    ingredients: Mapped[dict[str, Any]]
    reason: Mapped[str] = mapped_column(Text)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    staff: Mapped[StaffUser] = relationship()

    @property
    def ingredient_names(self) -> list[str]:
        return list(self.ingredients.get("ingredients", []))


class UnidentifiedMedication(Base):
    """A medication name a screening could not identify, once per case and normalised name:
    what the admins' page of unidentified names counts and groups (in SQL, by `name_key`)."""

    __tablename__ = "unidentified_medication"
    __table_args__ = (
        UniqueConstraint("case_id", "name_key", name="uq_unidentified_medication_case_key"),
        # A name's newest sightings, read in order (the page shows a few per name).
        Index("ix_unidentified_medication_name_seen", "name_key", "seen_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("intake_case.id"), index=True)
    # The name folded (no case or accents) with its spaces collapsed: "Tradol  50" -> "tradol 50"
    name_key: Mapped[str] = mapped_column(String(500), index=True)
    typed: Mapped[str] = mapped_column(String(500))
    seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class UnidentifiedNameTotal(Base):
    """One normalised unidentified name with its totals, kept as each sighting is recorded:
    the admins' page lists a page of these in the order it is asked for (index), instead of
    grouping every sighting of every case each time."""

    __tablename__ = "unidentified_name"
    __table_args__ = (
        Index("ix_unidentified_name_recent", "last_seen", "cases", "name_key"),
        Index("ix_unidentified_name_frequent", "cases", "last_seen", "name_key"),
    )

    name_key: Mapped[str] = mapped_column(String(500), primary_key=True)
    cases: Mapped[int] = mapped_column(default=0)  # cases it was seen in (one sighting each)
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)


class RuleChange(Base):
    """The last preview of a rule change and the last change applied (kind "preview" or
    "applied"): who, when, from which rule set version to which, and a preview's counts. One
    row per kind, replaced each time; the history of each case's re-screening is in its
    events, and the audit log has every run."""

    __tablename__ = "rule_change"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(120))
    from_version: Mapped[str | None] = mapped_column(String(40))
    to_version: Mapped[str] = mapped_column(String(40))
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)
