"""``helpdesk staff``: the staff console's accounts (add, list, disable, password)."""

from __future__ import annotations

import datetime as dt
import sys

import click

from bot.cli.common import _settings, _store


@click.group()
def staff() -> None:
    """Staff accounts of the web console: editors, supervisors and admins.

    Example: helpdesk staff add aysel --role admin
    """


def _accounts(ctx: click.Context):
    from bot.web.staff import staff_services

    store = _store(ctx)
    ctx.call_on_close(store.close)
    return staff_services(store, _settings(ctx))[0]


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        # One line, as a script pipes it; the line break is not part of the password.
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@staff.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(["editor", "supervisor", "admin"]))
@click.option("--lang", default="az", show_default=True, type=click.Choice(["az", "ru", "en"]))
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (scripts).")
@click.pass_context
def staff_add(ctx: click.Context, name: str, role: str, lang: str, password_stdin: bool) -> None:
    """Add a staff account; the password is asked twice and stored only as an argon2 hash.

    Example: helpdesk staff add aysel --role editor --lang az
    """
    accounts = _accounts(ctx)
    if accounts.get(name) is not None:
        raise click.ClickException(f"a staff account named {name!r} already exists")
    password = _read_password(password_stdin)
    try:
        member = accounts.add(name, role, password, lang=lang)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"added {member.name} ({member.role})")


@staff.command("list")
@click.pass_context
def staff_list(ctx: click.Context) -> None:
    """List the staff accounts: name, role, language, state, failed logins, created.

    Example: helpdesk staff list
    """
    members = _accounts(ctx).list()
    if not members:
        click.echo("no staff accounts: add the first admin with `helpdesk staff add NAME --role admin`")
        return
    now = dt.datetime.now().timestamp()
    for member in members:
        if member.disabled:
            state = "disabled"
        elif member.locked_until is not None and member.locked_until > now:
            state = "locked until " + dt.datetime.fromtimestamp(member.locked_until).strftime("%H:%M")
        else:
            state = "active"
        created = dt.datetime.fromtimestamp(member.created_at).date().isoformat()
        click.echo(
            f"{member.name:<20} {member.role:<10} {member.lang}  {state:<18} "
            f"{member.failed_logins} failed  since {created}"
        )


@staff.command("disable")
@click.argument("name")
@click.pass_context
def staff_disable(ctx: click.Context, name: str) -> None:
    """Disable a staff account and end its console sessions at once.

    Example: helpdesk staff disable aysel
    """
    try:
        _accounts(ctx).disable(name)
    except KeyError:
        raise click.ClickException(f"no staff account named {name!r}") from None
    click.echo(f"disabled {name}; their sessions are closed")


@staff.command("password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (scripts).")
@click.pass_context
def staff_password(ctx: click.Context, name: str, password_stdin: bool) -> None:
    """Set a new password (it also unlocks the account and ends its sessions).

    Example: helpdesk staff password aysel
    """
    accounts = _accounts(ctx)
    if accounts.get(name) is None:
        raise click.ClickException(f"no staff account named {name!r}")
    try:
        accounts.set_password(name, _read_password(password_stdin))
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"new password set for {name}")
