"""The README's commands are written so that they work when typed in the checkout's root."""

import re
from pathlib import Path

from django.conf import settings
from django.core.management import get_commands

README = (Path(settings.BASE_DIR) / "README.md").read_text(encoding="utf-8")
MAKEFILE = (Path(settings.BASE_DIR) / "Makefile").read_text(encoding="utf-8")
LOCAL_PREFIX = "DJANGO_DEBUG=1 .venv/bin/python manage.py "


def _command_table() -> list[str]:
    section = README.split("## Commands", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([^`]+)` \|", section, flags=re.MULTILINE)


def test_every_command_in_the_table_runs_with_the_venvs_python_and_debug_on():
    commands = _command_table()

    assert commands
    assert [c for c in commands if not c.startswith(LOCAL_PREFIX)] == []


def test_every_command_in_the_table_is_a_management_command_of_the_project():
    names = {c.removeprefix(LOCAL_PREFIX).split()[0] for c in _command_table()}

    assert names - set(get_commands()) == set()


def test_no_command_in_the_readme_needs_a_python_on_the_path():
    bare = re.findall(r"(?<![/\w])python3? manage\.py", README)

    assert bare == []


def test_every_make_target_the_readme_names_exists():
    targets = set(re.findall(r"`make ([\w-]+)", README)) | set(
        re.findall(r"^make ([\w-]+)", README, flags=re.MULTILINE)
    )
    defined = set(re.findall(r"^([\w-]+):", MAKEFILE, flags=re.MULTILINE))

    assert targets
    assert targets - defined == set()
