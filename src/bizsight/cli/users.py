"""``bizsight users``: accounts, roles, row-level restrictions and API tokens of the web app.

Whoever can run these commands can read the project's files, so they need no login; every change
is written to the audit log (actor: none, i.e. the command line).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bizsight.cli.shell import JsonOpt, ProjectOpt, app, fail, print_json, run

if TYPE_CHECKING:
    from bizsight.app.store import MetadataStore
    from bizsight.services.project import Project

users_app = typer.Typer(
    help="Users of the web app and API: add, list, set-role, restrict, token, reset-password.",
    no_args_is_help=True,
)
app.add_typer(users_app, name="users")

RoleArg = Annotated[str, typer.Argument(help="admin, editor or viewer (see docs/security.md).")]


def _store(project: Path) -> tuple[Project, MetadataStore]:
    """The project's metadata store; on first use this also creates the admin."""
    from bizsight.services.project import Project
    from bizsight.services.users import ensure_admin, open_store

    found = Project(project)
    if not found.initialized:
        fail(f"{project.resolve()} is not a bizsight project: run `bizsight init` first")
    store = run(lambda: open_store(found))
    first = run(lambda: ensure_admin(store, found.settings.server))
    if first is not None:
        print_login(*first)
    return found, store


def print_login(username: str, password: str | None) -> None:
    """The first admin's login, once, on stderr (so --json output stays clean)."""
    from bizsight.terminal import error_console

    shown = password if password is not None else "the password in $BIZSIGHT_ADMIN_PASSWORD"
    error_console().print(
        f"[bold]First run: created user '{username}' (admin)[/], password: [bold]{shown}[/]"
        + (
            "\nIt is shown only this once; change it in the app or with `bizsight users reset-password`."
            if password
            else ""
        )
    )


@users_app.command("add")
def add(
    username: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[str, typer.Option(help="admin, editor or viewer.")] = "viewer",
    password_stdin: Annotated[
        bool,
        typer.Option(
            "--password-stdin", help="Read the password from standard input (else one is generated)."
        ),
    ] = False,
    project: ProjectOpt = Path(),
    as_json: JsonOpt = False,
) -> None:
    """Add a user. A generated password is printed once."""
    from bizsight.services.users import add_user

    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    _, store = _store(project)
    user, generated = run(lambda: add_user(store, username, role, password))
    if as_json:
        print_json({"user": user, "password": generated})
        return
    from bizsight.terminal import console

    console().print(f"Added {user['username']} ({user['role']}).")
    if generated:
        console().print(f"Password (shown once): [bold]{generated}[/]")


@users_app.command("list")
def list_users(project: ProjectOpt = Path(), as_json: JsonOpt = False) -> None:
    """Users, their roles and row-level restrictions."""
    from bizsight.services.users import list_users as service

    _, store = _store(project)
    found = run(lambda: service(store))
    if as_json:
        print_json(found)
        return
    from rich.table import Table

    from bizsight.terminal import console

    table = Table("id", "user", "role", "active", "restricted to")
    for u in found:
        limits = "; ".join(f"{d} in {', '.join(v)}" for d, v in u["restrictions"].items()) or "-"
        table.add_row(str(u["id"]), u["username"], u["role"], "yes" if u["active"] else "no", limits)
    console().print(table)


@users_app.command("set-role")
def set_role(
    username: Annotated[str, typer.Argument(help="Login name.")],
    role: RoleArg,
    project: ProjectOpt = Path(),
) -> None:
    """Change a user's role (their browser sessions end)."""
    from bizsight.services.users import update_user
    from bizsight.terminal import console

    _, store = _store(project)
    user = run(lambda: update_user(store, username, role=role))
    console().print(f"{user['username']} is now {user['role']}.")


@users_app.command("pii")
def pii(
    username: Annotated[str | None, typer.Argument(help="Login name (or give --role).")] = None,
    role: Annotated[str | None, typer.Option("--role", help="Grant or take back for a whole role.")] = None,
    grant: Annotated[bool, typer.Option("--grant/--revoke", help="Give the grant, or take it back.")] = True,
    project: ProjectOpt = Path(),
) -> None:
    """Who sees customers' names and e-mails. Without the pii grant they are masked ("A. L.",
    "a•••@s•••.example") in pages, the API, drill-downs and exports. Admins have it; give it to
    one user or to every user of a role.

    Examples:

      bizsight users pii ana            # ana sees names and e-mails

      bizsight users pii --role editor  # every editor does

      bizsight users pii ana --revoke
    """
    from bizsight.services.users import grant_pii_to_role, update_user
    from bizsight.terminal import console

    if (username is None) == (role is None):
        fail("name a user or give --role, not both")
    _, store = _store(project)
    if role is not None:
        grants = run(lambda: grant_pii_to_role(store, role, grant))
        having = [name for name, has in grants.items() if has] or ["no role"]
        console().print(f"Roles that see names and e-mails: {', '.join(having)}.")
        return
    assert username is not None
    user = run(lambda: update_user(store, username, pii=grant))
    verb = "now sees" if user["pii"] else "no longer sees (unless their role does)"
    console().print(f"{user['username']} {verb} names and e-mails.")


@users_app.command("restrict")
def restrict(
    username: Annotated[str, typer.Argument(help="Login name.")],
    limits: Annotated[
        list[str] | None, typer.Argument(help="DIMENSION=VALUE[,VALUE...], e.g. region=Europe (repeatable).")
    ] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Lift every restriction.")] = False,
    project: ProjectOpt = Path(),
) -> None:
    """Keep a user to rows with these dimension values, in every query, drill-down, customer view
    and export. Replaces the user's restrictions."""
    from bizsight.services.query import catalogue
    from bizsight.services.users import parse_restrictions
    from bizsight.services.users import restrict as service
    from bizsight.terminal import console

    if not limits and not clear:
        fail("give DIMENSION=VALUE restrictions, or --clear to lift them")
    if limits and clear:
        fail("give restrictions or --clear, not both")
    found, store = _store(project)
    parsed = run(lambda: parse_restrictions(limits or []))
    user = run(lambda: service(store, catalogue(found), username, parsed))
    shown = "; ".join(f"{d} in {', '.join(v)}" for d, v in user["restrictions"].items())
    console().print(f"{user['username']} now sees {shown or 'all rows'}.")


@users_app.command("token")
def token(
    username: Annotated[str, typer.Argument(help="Login name of the token's owner.")],
    name: Annotated[str, typer.Option(help="What the token is for, e.g. 'nightly export'.")] = "cli",
    days: Annotated[float | None, typer.Option(help="Expire after this many days (default: never).")] = None,
    project: ProjectOpt = Path(),
    as_json: JsonOpt = False,
) -> None:
    """Create an API token (send it as 'Authorization: Bearer <token>'). Shown once."""
    from bizsight.services.users import create_token

    _, store = _store(project)
    view, secret = run(lambda: create_token(store, username, name, days=days))
    if as_json:
        print_json({"token": secret, **view})
        return
    from bizsight.terminal import console

    console().print(f"Token '{view['name']}' for {username} (shown once):")
    console().print(secret, markup=False)


@users_app.command("reset-password")
def reset_password(
    username: Annotated[str, typer.Argument(help="Login name.")],
    project: ProjectOpt = Path(),
) -> None:
    """Give a user a new generated password (printed once); their browser sessions end."""
    from bizsight.app.security import new_password
    from bizsight.services.users import update_user
    from bizsight.terminal import console

    _, store = _store(project)
    password = new_password()
    run(lambda: update_user(store, username, password=password))
    console().print(f"New password for {username} (shown once): [bold]{password}[/]")
