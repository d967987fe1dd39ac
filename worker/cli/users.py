"""`gongkai users add|list|remove`: the people who log in to the review desk."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TYPE_CHECKING

from extract.errors import ExitCode
from worker.cli.services import _uses_services
from worker.errors import InvalidSetting

if TYPE_CHECKING:
    from worker.settings import Settings


@_uses_services
def run_users_add(args: argparse.Namespace, settings: Settings) -> int:
    from worker import users

    password = _password(args.password_stdin)
    added = users.of(settings).add(args.name, password)
    print(f"added {added.name}: they log in to the desk with this name and password")
    return ExitCode.ok


@_uses_services
def run_users_list(args: argparse.Namespace, settings: Settings) -> int:
    from worker import users

    for account in users.of(settings).listing():
        print(f"{account.created_at.isoformat(timespec='seconds')}  {account.name}")
    return ExitCode.ok


@_uses_services
def run_users_remove(args: argparse.Namespace, settings: Settings) -> int:
    from worker import users

    users.of(settings).remove(args.name)
    print(f"removed {' '.join(args.name.split())}: their desk sessions end at their next page")
    return ExitCode.ok


def _password(from_stdin: bool) -> str:
    """The new password: the first line of stdin, or typed twice on a terminal."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise InvalidSetting(
            "no terminal to type the password on: give it on stdin with --password-stdin"
        )
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise InvalidSetting("the two passwords differ; nothing was added")
    return first
