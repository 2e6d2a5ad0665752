"""The GitHub Actions workflow and the pre-commit hook: valid YAML, and they run only
the project's own commands (make test, digest check, digest build) beside the system
packages the README names."""

from __future__ import annotations

import shlex
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
ALLOWED = (
    ("apt-get", "update"),
    ("apt-get", "install"),
    ("make", "test"),
    (".venv/bin/digest", "check"),
    (".venv/bin/digest", "build"),
)


def commands(script: str) -> list[tuple[str, str]]:
    out = []
    for line in script.strip().splitlines():
        words = shlex.split(line, posix=True)
        out.append((words[0], words[1]))
    return out


def test_workflow_runs_only_project_commands() -> None:
    workflow = yaml.safe_load((ROOT / ".github/workflows/site.yml").read_text())
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads `on` as true
    assert {"push", "pull_request"} <= set(triggers)
    runs = [
        command
        for job in workflow["jobs"].values()
        for step in job["steps"]
        if "run" in step
        for command in commands(step["run"])
    ]
    assert runs and all(command in ALLOWED for command in runs), runs
    assert {("make", "test"), (".venv/bin/digest", "check"), (".venv/bin/digest", "build")} <= set(
        runs
    )


def test_workflow_checks_with_annotations_and_deploys_from_main_only() -> None:
    workflow = yaml.safe_load((ROOT / ".github/workflows/site.yml").read_text())
    steps = workflow["jobs"]["build"]["steps"]
    check = next(s for s in steps if "digest check" in s.get("run", ""))
    assert "--format github" in check["run"]
    deploy = workflow["jobs"]["deploy"]
    assert deploy["needs"] == "build"
    assert deploy["if"] == "github.event_name == 'push' && github.ref == 'refs/heads/main'"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}


def test_pre_commit_hook_runs_digest_check() -> None:
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "digest-check"
    assert hook["entry"].split()[:2] == ["digest", "check"]
    assert hook["language"] == "python" and hook["pass_filenames"] is False
