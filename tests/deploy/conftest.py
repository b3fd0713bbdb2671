"""deploy/base as kustomize would read it: every resource file listed in its
kustomization.yaml, parsed, without needing kubectl or a cluster."""

from pathlib import Path

import pytest
import yaml

from stack.settings import REPO

BASE = REPO / "deploy" / "base"


def kustomization() -> dict:
    return yaml.safe_load((BASE / "kustomization.yaml").read_text())


def load_objects(base: Path = BASE) -> list[dict]:
    """Every object of every listed resource file, in order."""
    objects = []
    for resource in yaml.safe_load((base / "kustomization.yaml").read_text())["resources"]:
        objects += [doc for doc in yaml.safe_load_all((base / resource).read_text()) if doc]
    return objects


@pytest.fixture(scope="module")
def objects() -> list[dict]:
    return load_objects()


@pytest.fixture(scope="module")
def by_kind(objects) -> dict[str, dict[str, dict]]:
    """kind → name → object."""
    out: dict[str, dict[str, dict]] = {}
    for obj in objects:
        out.setdefault(obj["kind"], {})[obj["metadata"]["name"]] = obj
    return out
