"""Command line: `flask --app intake staff add ...`, `staff token`, `staff reset-2fa`,
`staff set-password`, `seed-demo`, `rescreen`."""

from __future__ import annotations

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
        from workflows.cases.rescreen import RESCREEN_PROCESSES, rescreen_open_cases

        changed = rescreen_open_cases(services().sessions, processes=RESCREEN_PROCESSES)
        click.echo(f"re-screened {len(changed)} case(s)")
