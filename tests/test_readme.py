"""The README's quick start is what CI runs: two commands, the second of which is
exactly the test command in .ci/run."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def quick_start_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL).group(1)
    return [line for line in block.splitlines() if line.strip() and not line.startswith("#")]


def test_readme_quick_start_has_two_commands_and_ci_runs_the_second():
    commands = quick_start_commands()
    assert len(commands) == 2
    assert "replylint check" in commands[0] and "corpus/samples" in commands[0]
    assert "pytest" in commands[1]
    assert commands[1] in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_readme_sample_files_exist():
    assert sorted(p.name for p in (ROOT / "corpus" / "samples").iterdir()) == [
        "cannot-reproduce.md", "good-status-update.txt", "reply.html", "status-update.txt"]
