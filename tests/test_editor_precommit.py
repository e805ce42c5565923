"""The pre-commit hook, with the real pre-commit framework, and stdin checking for editors.

Offline on purpose: the shipped hook is `language: python`, which makes pre-commit
pip-install replylint (and spaCy) into a fresh virtualenv from the network on first
use. The commit test therefore runs the *shipped* hook definition with one change,
`language: system` and the entry pointing at the replylint installed here, through
a `repo: local` config; a second test validates the shipped manifest with
pre-commit's own schema. Between them: pre-commit's schema, file selection, hook
invocation and git's commit blocking are all the real thing.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sample_replies import CLEAN_REPLY

REPO = Path(__file__).resolve().parent.parent
REPLYLINT = Path(sys.executable).with_name("replylint")

CLEAN_DRAFT = CLEAN_REPLY

ERROR_DRAFT = """Hi Priya,

We could not reproduce this issue on our side.

Thanks
"""


def shipped_hook() -> dict:
    from pre_commit.clientlib import load_manifest

    hooks = load_manifest(str(REPO / ".pre-commit-hooks.yaml"))
    assert [h["id"] for h in hooks] == ["replylint"]
    return hooks[0]


def test_editor_precommit_manifest_is_valid_for_pre_commit():
    hook = shipped_hook()  # load_manifest raises on a schema error
    assert hook["entry"] == "replylint check"
    assert hook["language"] == "python"
    assert set(hook["types_or"]) == {"plain-text", "markdown", "html"}
    assert hook["pass_filenames"] is True


def _git(repo: Path, *args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture()
def drafts_repo(tmp_path):
    """A git repository of drafts with the replylint hook installed by pre-commit."""
    import yaml

    if not REPLYLINT.exists():
        pytest.fail(f"the replylint console script is not installed beside {sys.executable}")
    repo = tmp_path / "drafts-repo"
    repo.mkdir()
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-cache"), "GIT_AUTHOR_NAME": "Sam",
           "GIT_AUTHOR_EMAIL": "sam@example.com", "GIT_COMMITTER_NAME": "Sam", "GIT_COMMITTER_EMAIL": "sam@example.com",
           "HOME": str(tmp_path), "GIT_CONFIG_NOSYSTEM": "1"}
    assert _git(repo, "init", "-q", env=env).returncode == 0
    hook = {k: v for k, v in shipped_hook().items()
            if k in ("id", "name", "entry", "types_or", "exclude", "require_serial")}
    hook["language"] = "system"
    hook["entry"] = hook["entry"].replace("replylint", str(REPLYLINT), 1)
    config = {"repos": [{"repo": "local", "hooks": [hook]}]}
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    installed = subprocess.run([sys.executable, "-m", "pre_commit", "install"], cwd=repo, env=env,
                               capture_output=True, text=True, timeout=120, check=False)
    assert installed.returncode == 0, installed.stderr
    assert _git(repo, "add", ".pre-commit-config.yaml", env=env).returncode == 0
    return repo, env


def test_editor_precommit_hook_blocks_an_error_and_passes_a_clean_draft(drafts_repo):
    repo, env = drafts_repo
    (repo / "case-4821.md").write_text(ERROR_DRAFT)
    _git(repo, "add", "case-4821.md", env=env)
    blocked = _git(repo, "commit", "-m", "draft", env=env)
    assert blocked.returncode != 0
    output = blocked.stdout + blocked.stderr
    assert "case-4821.md:3:1: cannot-reproduce [error]" in output
    assert _git(repo, "rev-parse", "--verify", "-q", "HEAD", env=env).returncode != 0  # nothing was committed

    (repo / "case-4821.md").write_text(CLEAN_DRAFT)
    _git(repo, "add", "case-4821.md", env=env)
    passed = _git(repo, "commit", "-m", "draft", env=env)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "replylint....." in passed.stderr and passed.stderr.rstrip().endswith("Passed")
    # A file that is not a reply (no plain-text/markdown/html tag) is not given to the hook.
    (repo / "notes.json").write_text('{"not": "a reply"}')
    _git(repo, "add", "notes.json", env=env)
    skipped = _git(repo, "commit", "-m", "notes", env=env)
    assert skipped.returncode == 0 and "(no files to check)Skipped" in skipped.stderr
    # Nor are the repository's own documents, whose "will follow soon" is no reply's
    # (user review: a CHANGELOG blocked the commit).
    for name in ("README.md", "CHANGELOG.md", "docs/guide.md", "requirements-dev.txt"):
        (repo / name).parent.mkdir(exist_ok=True)
        (repo / name).write_text("Release notes will follow soon. Please send feedback via issues.\n")
        _git(repo, "add", name, env=env)
    docs = _git(repo, "commit", "-m", "docs", env=env)
    assert docs.returncode == 0 and "(no files to check)Skipped" in docs.stderr, docs.stdout + docs.stderr
    # A draft whose name only begins like one of them is still checked.
    (repo / "security-patch-reply.md").write_text(ERROR_DRAFT)
    _git(repo, "add", "security-patch-reply.md", env=env)
    assert _git(repo, "commit", "-m", "draft", env=env).returncode != 0


def test_editor_precommit_stdin_filename_uses_that_files_config(tmp_path):
    """An editor pipes its buffer with the file's name: the findings carry that name
    and follow the config found above it."""
    team = tmp_path / "team"
    team.mkdir()
    (team / ".replylint.toml").write_text('ignore = ["cannot-reproduce"]\n')

    def check(name: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(REPLYLINT), "check", "--no-color", "--stdin-filename", name, "-"], input=ERROR_DRAFT,
                              capture_output=True, text=True, cwd=tmp_path, timeout=120, check=False)

    outside = check(str(tmp_path / "reply.md"))
    inside = check(str(team / "reply.md"))
    assert f"{tmp_path / 'reply.md'}:3:1: cannot-reproduce [error]" in outside.stdout
    assert outside.returncode == 1
    assert "cannot-reproduce" not in inside.stdout
    assert f"{team / 'reply.md'}:" in inside.stdout  # other findings, under the given name
