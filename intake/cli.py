"""Command line: `flask --app intake staff add ...`, `staff token`, `staff reset-2fa`,
`staff set-password`, `seed-demo`, `rescreen`, `rules preview`."""

from __future__ import annotations

import getpass
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from intake.services import services
from workflows.staff.accounts import (
    WeakPassword,
    create_staff,
    describe_demo_logins,
    issue_api_token,
    seed_demo_accounts,
    set_password,
)
from workflows.staff.models import Role
from workflows.staff.two_factor import NoSuchStaff, reset_two_factor


def register(app: Flask) -> None:
    staff = AppGroup("staff", help="Staff accounts.")

    @staff.command("add")
    @click.argument("email")
    @click.option("--name", required=True)
    @click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
    @click.option(
        "--states", default="", help="Physicians: licensed states, comma-separated (TX,FL)."
    )
    @click.option(
        "--capacity", default=20, show_default=True, help="Physicians: open cases they take."
    )
    @click.password_option(help="At least 12 characters.")
    def add(email: str, name: str, role: str, states: str, capacity: int, password: str) -> None:
        """Create a staff account."""
        create_staff(
            services().sessions, email, name, Role(role), password, states.split(","), capacity
        )
        click.echo(f"created {role} {email}")

    @staff.command("token")
    @click.argument("email")
    def token(email: str) -> None:
        """Issue a new API token (shown once; the previous one stops working)."""
        click.echo(issue_api_token(services().sessions, email))

    @staff.command("reset-2fa")
    @click.argument("email")
    def reset_2fa(email: str) -> None:
        """Remove an account's two-factor sign-in and recovery codes (a lost phone)."""
        try:
            reset = reset_two_factor(services().sessions, email, by="cli")
        except NoSuchStaff as missing:
            raise click.ClickException(f"there is no staff account {missing.email}") from None
        if not reset.was_enabled:
            click.echo(f"{email} had no two-factor sign-in; any unfinished set-up was removed")
        elif reset.enrols_at_next_sign_in:
            click.echo(
                f"two-factor sign-in reset for {email}: they set it up at their next sign-in"
            )
        else:
            click.echo(f"two-factor sign-in reset for {email}: they sign in with a password only")

    @staff.command("set-password")
    @click.argument("email")
    @click.password_option(help="At least 12 characters.")
    def set_password_command(email: str, password: str) -> None:
        """Set an account's password (forgotten, or leaked): every session of it ends."""
        try:
            set_password(services().sessions, email, password)
        except WeakPassword as weak:
            raise click.ClickException(str(weak)) from None
        except LookupError:
            raise click.ClickException(f"there is no staff account {email}") from None
        click.echo(f"password set for {email}; every session of the account was signed out")

    app.cli.add_command(staff)

    @app.cli.command("seed-demo")
    def seed_demo() -> None:
        """Create the demo staff accounts if they are missing, printing their logins once."""
        created = seed_demo_accounts(services().sessions)
        if created:
            click.echo(describe_demo_logins(created))

    @app.cli.command("rescreen")
    def rescreen() -> None:
        """Re-screen open cases screened under another rule set and record what changed."""
        # Imported here: the screening engine is the workers' business, not every web process's.
        from workflows.cases.rescreen import RESCREEN_PROCESSES
        from workflows.cases.rule_preview import apply_rule_change

        changed = apply_rule_change(services().sessions, _who(), RESCREEN_PROCESSES)
        click.echo(f"re-screened {changed} case(s)")

    rules = AppGroup("rules", help="The screening rule data.")

    @rules.command("preview")
    @click.option(
        "--rules",
        "rules_dir",
        type=click.Path(exists=True, file_okay=False, path_type=Path),
        help="A directory of rule files (as schemas/rules/); the current ones by default.",
    )
    @click.option(
        "--recent-days",
        type=click.IntRange(min=1),
        help="Also the cases (any state) created in the last N days.",
    )
    @click.option("--limit", default=200, show_default=True, help="Changed cases to list.")
    def preview(rules_dir: Path | None, recent_days: int | None, limit: int) -> None:
        """Re-screen open cases with the new rule data WITHOUT saving; list what would change."""
        from workflows.cases.rule_preview import preview_rules, record_preview
        from workflows.screening import default_rules
        from workflows.screening.ruledata import RuleDataError, load_rules

        try:
            new_rules = load_rules(rules_dir) if rules_dir else default_rules()
        except RuleDataError as invalid:
            raise click.ClickException(f"the rule data is not valid:\n{invalid}") from None
        sessions = services().sessions
        result = preview_rules(sessions, new_rules, recent_days)
        click.echo(
            f"rules {result.from_version} -> {result.to_version}: "
            f"{len(result.changed)} of {result.cases_checked} case(s) would change "
            "(nothing was saved)"
        )
        for change, count in result.counts.most_common():
            click.echo(f"  {count:6d}  {change}")
        for case in result.changed[:limit]:
            click.echo(f"{case.public_id}: {'; '.join(case.changes)}")
        if len(result.changed) > limit:
            click.echo(f"... and {len(result.changed) - limit} more (--limit)")
        record_preview(sessions, _who(), result)

    app.cli.add_command(rules)


def _who() -> str:
    """Who ran a command, for the record of a rule change (the operating-system account)."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"
