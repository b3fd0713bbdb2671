"""Who may import whom: the product and the benchmarks never import the tests (tests test
bench/), and the two services share code only through the packages at the repo root."""

import ast

from stack.settings import REPO

OUTSIDE_TESTS = sorted(
    path
    for path in REPO.rglob("*.py")
    if not {"tests", ".venv", ".run", "node_modules"} & set(path.relative_to(REPO).parts)
)


def imported_modules(path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def test_the_check_sees_the_product_and_the_benchmarks():
    parts = {path.relative_to(REPO).parts[0] for path in OUTSIDE_TESTS}
    assert {"api", "alert-bridge", "alertstore", "bench", "stack", "testkit"} <= parts


def test_nothing_outside_tests_imports_from_tests():
    offending = {
        str(path.relative_to(REPO)): sorted(
            m for m in imported_modules(path) if m == "tests" or m.startswith("tests.")
        )
        for path in OUTSIDE_TESTS
    }
    assert {path: mods for path, mods in offending.items() if mods} == {}
