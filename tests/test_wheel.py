"""checks/ and templates/ ship inside the wheel, and a non-editable install finds
them (no source checkout needed)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    pytest.importorskip("hatchling")
    out = tmp_path_factory.mktemp("wheel")
    # No build isolation: the build must not download anything.
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-build-isolation", "--no-deps", "-q",
                           "-w", str(out), str(ROOT)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    return next(out.glob("replylint-*.whl"))


def test_wheel_contains_checks_templates_and_samples(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for rule in (ROOT / "checks" / "rules").iterdir():
        assert f"replylint/_bundled/checks/rules/{rule.name}/rule.toml" in names
        assert f"replylint/_bundled/checks/rules/{rule.name}/rule.py" in names
    assert "replylint/_bundled/checks/lexicons/language.toml" in names
    assert "replylint/_bundled/templates/eta-vague.j2" in names
    assert "replylint/_bundled/templates/scaffolds/status-update.md.j2" in names
    assert "replylint/data/lemmas.json" in names and "replylint/data/LICENSE-wordnet.txt" in names


def test_wheel_installed_copy_runs_without_the_checkout(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = ("import replylint, replylint.registry as r, json;"
            "assert '_bundled' in str(r.bundled_dir('checks')), r.bundled_dir('checks');"
            "print(json.dumps(replylint.check('We could not reproduce this.')['elements']))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                          env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"}, check=False)
    assert proc.returncode == 0, proc.stderr
    assert '"cannot_reproduce": true' in proc.stdout
