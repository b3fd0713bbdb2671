"""The GitHub Actions workflow cannot run here: check it against the published workflow
schema (check-jsonschema ships it) and keep its commands the ones `.ci/run` and the README use."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from stack.settings import REPO

WORKFLOW = REPO / ".github" / "workflows" / "ci.yml"


def run_commands(workflow: dict) -> list[str]:
    steps = [step for job in workflow["jobs"].values() for step in job["steps"]]
    return [line.strip() for step in steps for line in step.get("run", "").splitlines()]


def test_workflow_matches_the_published_schema():
    tool = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent))
    result = subprocess.run(
        [tool, "--builtin-schema", "vendor.github-workflows", str(WORKFLOW)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflow_runs_lint_and_the_same_test_command_as_ci_run():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    commands = run_commands(workflow)
    ci_run = (REPO / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci_run, re.M), ci_run
    assert "make test" in commands and "make lint" in commands, commands
    # every make target the workflow calls exists and is documented in the Makefile
    makefile = (REPO / "Makefile").read_text()
    for command in commands:
        if command.startswith("make "):
            target = command.split()[1]
            assert re.search(rf"^{target}:.*## ", makefile, re.M), target


def test_workflow_tests_on_debian_with_postgresql():
    job = yaml.safe_load(WORKFLOW.read_text())["jobs"]["test"]
    assert job["container"]["image"].startswith("debian:bookworm")
    assert job["services"]["postgres"]["image"].startswith("postgres:")
    assert job["env"]["DATABASE_URL"].startswith("postgresql://")
