"""The desk's users: `gongkai users add|list|remove` on the data folder's database, and the
users table on SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from live import GONGKAI, base_env

from worker import db, users
from worker.cli import main
from worker.errors import InvalidSetting, NotFound
from worker.settings import load
from worker.users import UserExists, Users, WeakPassword

PASSWORD = "correct horse battery"


def gongkai(data: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [GONGKAI, "users", *args],
        env=base_env(data),
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        encoding="utf-8",
        timeout=60,
    )


def test_users_are_added_listed_and_removed_from_the_command_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    added = gongkai(data, "add", " 王  五 ", "--password-stdin", stdin=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    assert "王 五" in added.stdout
    listed = gongkai(data, "list")
    assert listed.returncode == 0 and listed.stdout.strip().endswith("  王 五")
    assert PASSWORD not in listed.stdout and "scrypt" not in listed.stdout
    assert _users(data).verify("王 五", PASSWORD)
    removed = gongkai(data, "remove", "王 五")
    assert removed.returncode == 0, removed.stderr
    assert gongkai(data, "list").stdout == ""


def test_the_command_line_refuses_in_one_line_with_the_projects_codes(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert gongkai(data, "add", "王五", "--password-stdin", stdin=PASSWORD).returncode == 0
    for args, stdin, code, words in [
        (("add", "王五", "--password-stdin"), PASSWORD, 2, "there is a user '王五' already"),
        (("add", "赵六", "--password-stdin"), "short", 2, "at least 12 characters"),
        (("add", "赵六"), None, 2, "--password-stdin"),  # no terminal to type it on
        (("remove", "赵六"), None, 13, "there is no user '赵六'"),
    ]:
        answer = gongkai(data, *args, stdin=stdin)
        assert answer.returncode == code, (args, answer.stderr)
        (line,) = answer.stderr.splitlines()
        assert line.startswith("gongkai: ") and words in line
    assert [account.name for account in _users(data).listing()] == ["王五"]


@pytest.fixture(params=["sqlite", "postgresql"])
def people(request: pytest.FixtureRequest, tmp_path: Path) -> Users:
    if request.param == "sqlite":
        return _users(tmp_path / "data")
    return Users(db.engine(request.getfixturevalue("database")))


def test_a_user_is_verified_by_their_own_password_only(people: Users) -> None:
    people.add("张三", PASSWORD)
    people.add("李四", PASSWORD + "!")
    assert people.verify("张三", PASSWORD) and people.verify(" 张三 ", PASSWORD)
    assert not people.verify("张三", PASSWORD + "!")
    assert not people.verify("王五", PASSWORD)  # no such user
    assert not people.verify("李四", PASSWORD)
    with pytest.raises(UserExists):
        people.add("张三", "another long password")
    with pytest.raises(WeakPassword):
        people.add("赵六", "x" * (users.MIN_PASSWORD - 1))
    with pytest.raises(InvalidSetting):
        people.add(" ", PASSWORD)
    people.remove("张三")
    assert not people.verify("张三", PASSWORD) and not people.exists("张三")
    with pytest.raises(NotFound):
        people.remove("张三")
    assert [account.name for account in people.listing()] == ["李四"]


def _users(data: Path) -> Users:
    """The users of the data folder's own database, as the command line finds it."""
    return users.of(load(base_env(data)))


def test_a_password_typed_on_a_terminal_is_asked_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GONGKAI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    typed = iter([PASSWORD, PASSWORD + "?", PASSWORD, PASSWORD])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(typed))
    assert main(["users", "add", "王五"]) == 2
    assert "the two passwords differ" in capsys.readouterr().err
    assert main(["users", "add", "王五"]) == 0
    assert _users(tmp_path / "data").verify("王五", PASSWORD)
