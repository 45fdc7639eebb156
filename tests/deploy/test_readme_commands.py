"""The README's manage.py commands work as typed right after `make run`: no variable to set.

`make run` writes var/local.env (its rule in the Makefile, run here as it is) and manage.py
reads it when the environment configures nothing of a deployment's. The checkout's own var/
is left alone: manage.py is copied into a scratch directory (it finds var/ beside itself) and
the data directory is a scratch one too.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from chat.management.commands.seed_demo import DEMO_ROOMS

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
COMMAND_LINE = re.compile(r"^\.venv/bin/python manage\.py (?P<args>.+?)(?:\s+#.*)?$", re.M)
OPERATOR = "Ines_ops"
PASSWORD = "correct horse battery staple"
# What a deployment's environment sets: none of it after `make run`.
DEPLOYMENT = ("SECRET_KEY", "DEBUG", "DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")


def readme_commands() -> list[list[str]]:
    """The README's "Useful commands" manage.py lines, as arguments: an optional `[...]` part
    left out, the first of `a|b|c`, PSEUDONYM the operator made by createsuperuser."""
    section = README.split("Useful commands", 1)[1].split("```", 2)[1]
    commands = []
    for match in COMMAND_LINE.finditer(section):
        args = re.sub(r"\[[^\]]*\]", "", match["args"])
        words = [word.split("|")[0] for word in shlex.split(args)]
        commands.append([OPERATOR if word == "PSEUDONYM" else word for word in words])
    return commands


@pytest.fixture
def local_trial(tmp_path) -> tuple[Path, dict[str, str]]:
    shutil.copy2(ROOT / "manage.py", tmp_path / "manage.py")
    made = subprocess.run(["make", "-f", str(ROOT / "Makefile"), "var/local.env"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    env = {k: v for k, v in os.environ.items() if k not in DEPLOYMENT and not k.startswith("PYTEST")}
    env.update(PYTHONPATH=str(ROOT), PHARE_DATA_DIR=str(tmp_path / "data"))
    (tmp_path / "data").mkdir()
    return tmp_path, env


def manage(where: Path, env: dict[str, str], args: list[str], stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=where, env=env, input=stdin,
                          capture_output=True, text=True, timeout=120)


def test_the_readme_lists_the_operator_commands():
    names = [command[0] for command in readme_commands()]
    assert {"createsuperuser", "bootstrap", "createroom", "grantrole", "verify_audit"} <= set(names)
    assert names.index("createsuperuser") < names.index("grantrole")  # grantrole needs the account


def test_the_readme_example_room_is_not_a_demo_room():
    demo = {room["slug"] for room in DEMO_ROOMS}
    for command in readme_commands():
        if command[0] == "createroom":
            assert command[command.index("--slug") + 1] not in demo


def test_local_trial_env_is_ignored_by_a_configured_deployment(local_trial):
    where, env = local_trial
    text = (where / "var" / "local.env").read_text()
    assert "DEBUG=1" in text and re.search(r"^SECRET_KEY=\S{40,}$", text, re.M)
    assert (where / "var" / "local.env").stat().st_mode & 0o077 == 0
    # Given DEBUG=0 (or a key, a database, Redis) the file is not read: no key, no start.
    refused = manage(where, dict(env, DEBUG="0"), ["check"])
    assert refused.returncode != 0 and "SECRET_KEY is not set" in refused.stderr


def test_every_readme_manage_command_works_after_make_run(local_trial):
    where, env = local_trial
    # What `make run` runs before serving.
    for args in (["migrate", "--noinput"], ["seed_demo"]):
        result = manage(where, env, args)
        assert result.returncode == 0, result.stderr[-2000:]
    for command in readme_commands():
        stdin = ""
        if command[0] in {"createsuperuser", "bootstrap"}:
            # Typed at a terminal in the README; here the password comes on standard input.
            if command[0] == "createsuperuser":
                command = [*command, "--pseudonym", OPERATOR]
            command = [*command, "--password-stdin"]
            stdin = PASSWORD + "\n"
        result = manage(where, env, command, stdin)
        assert result.returncode == 0, (command, result.stdout[-1000:], result.stderr[-2000:])
