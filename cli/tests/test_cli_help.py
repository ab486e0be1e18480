"""Every command's help reads as prose on an 80-column terminal: a paragraph of its description
fills each line before it wraps, whatever line breaks its source has."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import pytest
import typer
from cpc.app import app
from typer.testing import CliRunner

WIDTH = 80


def _command_paths(group: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command under a group (a command with subcommands), as the words that call it."""
    paths = []
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            paths += _command_paths(command, (*prefix, name))
        else:
            paths.append((*prefix, name))
    return paths


COMMANDS = _command_paths(typer.main.get_command(app))


def _description(output: str) -> list[str]:
    """The lines between the usage line and the first box (options or arguments), without the
    rich margin."""
    lines = output.splitlines()
    start = next(at for at, line in enumerate(lines) if line.strip().startswith("Usage:")) + 1
    end = next(at for at, line in enumerate(lines) if line.startswith("╭"))
    return [line.strip() for line in lines[start:end]]


def test_there_are_commands_to_check() -> None:
    assert ("build",) in COMMANDS and ("rules", "diff") in COMMANDS


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_each_paragraph_of_a_commands_help_fills_its_lines(command: tuple[str, ...]) -> None:
    shown = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": str(WIDTH)})
    assert shown.exit_code == 0, shown.output
    lines = _description(shown.output)
    assert any(lines), shown.output
    for line, following in pairwise(lines):
        if line and following:  # a line a paragraph goes on after: it wrapped at the width
            room = WIDTH - 2 - len(line)  # the help has a margin of a column each side
            assert room <= len(following.split()[0]), (line, following)
