"""`.pre-commit-config.yaml` runs what `make lint` runs, with the same arguments.

The Makefile's commands are what `make -n lint` prints (make expands the variables;
the stamp of the installed tools is taken as up to date, so no pip line); the hooks'
are each entry plus its args. A command is compared without the pipe that feeds it
file names (`git ls-files ... | xargs -0`), which pre-commit replaces with the staged
files, and with its leading `env NAME=value` assignments.
"""

import os
import re
import shlex
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
TOOLS = {"ruff check", "ruff format", "django-upgrade", "lint-imports", "mypy"}

Command = tuple[tuple[str, ...], tuple[str, ...]]  # (NAME=value assignments, argv)


def normalized(words: list[str]) -> tuple[Command, bool]:
    """The command, and whether it is given file names (through xargs)."""
    fed = "|" in words
    if fed:
        words = words[len(words) - words[::-1].index("|") :]
        assert words[:2] == ["xargs", "-0"], words
        words = words[2:]
    if words[0] == "env":
        words = words[1:]
    assignments = []
    while re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", words[0]):
        assignments.append(words.pop(0))
    return (tuple(assignments), tuple(words)), fed


def tool(command: Command) -> str:
    argv = command[1]
    name = Path(argv[0]).name
    return f"{name} {argv[1]}" if name == "ruff" else name


def spelled(command: Command) -> str:
    return shlex.join(command[0] + command[1])


def make_lint() -> list[tuple[Command, bool]]:
    environment = {
        k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL"}
    }
    printed = subprocess.run(
        ["make", "-n", "--no-print-directory", "-o", ".venv/.installed-test", "lint"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    lines = [line for line in printed.splitlines() if line.strip()]
    return [normalized(shlex.split(line, posix=True)) for line in lines]


def pre_commit_hooks() -> list[dict]:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    return [hook | {"repo": repo["repo"]} for repo in config["repos"] for hook in repo["hooks"]]


def hook_commands() -> list[tuple[Command, bool]]:
    commands = []
    for hook in pre_commit_hooks():
        command, _ = normalized(shlex.split(hook["entry"]) + list(hook.get("args", [])))
        commands.append((command, hook.get("pass_filenames", True)))
    return commands


def test_make_lint_runs_the_five_tools_of_the_venv():
    commands = make_lint()
    assert {tool(command) for command, _ in commands} == TOOLS
    assert all(command[1][0].startswith(".venv/bin/") for command, _ in commands)


def test_the_hooks_are_local_and_run_the_venvs_tools():
    """pre-commit cannot fetch hook repositories here: every hook runs a tool of .venv."""
    for hook in pre_commit_hooks():
        assert hook["repo"] == "local", hook["id"]
        assert hook["language"] == "system", hook["id"]
    assert all(command[1][0].startswith(".venv/bin/") for command, _ in hook_commands())


def test_pre_commit_and_make_lint_run_the_same_commands():
    make = [command for command, _ in make_lint()]
    hooks = [command for command, _ in hook_commands()]
    only_make = [spelled(command) for command in set(make) - set(hooks)]
    only_hooks = [spelled(command) for command in set(hooks) - set(make)]
    assert not only_make and not only_hooks, (
        f"only in make lint: {only_make}; only in .pre-commit-config.yaml: {only_hooks}"
    )
    assert make == hooks, "the same commands, in another order"


def test_only_the_command_make_feeds_files_to_gets_file_names_from_pre_commit():
    """`ruff check .` with file names after it would check more than make does."""
    make = dict(make_lint())
    for command, passes_files in hook_commands():
        assert passes_files == make.get(command), spelled(command)


def test_django_upgrade_skips_migrations_in_both():
    (upgrade,) = [hook for hook in pre_commit_hooks() if hook["id"] == "django-upgrade"]
    assert re.search(upgrade["exclude"], "points/migrations/0001_initial.py")
    assert not re.search(upgrade["exclude"], "points/services.py")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "':(exclude)*/migrations/*' | xargs -0 $(VENV)/bin/django-upgrade" in makefile
