"""deploy/base/generated is what `python -m stack.k8s` renders now, from the same templates
and settings as make run's files: the PrometheusRule's groups pass promtool and are the
rendered rules; the AlertmanagerConfig, spelt back as alertmanager.yml, is the rendered
alertmanager.yml (same routes, matchers, receivers, inhibit rules) and routes
alertmanager/routes_test.yml's cases to the same receivers under amtool."""

import subprocess

import pytest
import yaml

from stack import binaries, k8s, render
from stack.settings import REPO
from tests.deploy.conftest import BASE

CASES = yaml.safe_load((REPO / "alertmanager" / "routes_test.yml").read_text())


@pytest.fixture(scope="module")
def settings():
    return k8s.settings_for()


@pytest.fixture(scope="module")
def rendered(settings) -> dict[str, dict]:
    """make run's rendered files, from the Kubernetes settings."""
    values = render.template_values(settings)
    return {
        dest: yaml.safe_load(render.render_text((REPO / src).read_text(), values, source=str(src)))
        for dest, src in render.TEMPLATES.items()
    }


def committed(name: str) -> dict:
    [obj] = yaml.safe_load_all((BASE / "generated" / name).read_text())
    return obj


def run(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, timeout=120)


def test_the_committed_files_are_up_to_date(settings):
    stale = [
        name
        for name, text in k8s.render_files(settings).items()
        if (BASE / "generated" / name).read_text() != text
    ]
    assert stale == [], "deploy/base/generated is stale: run `make k8s` and commit"


def test_the_command_writes_them(tmp_path):
    assert k8s.main(["--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        p.name for p in (BASE / "generated").iterdir()
    )


def test_a_bad_setting_in_the_env_file_is_named(tmp_path, capsys):
    env = tmp_path / "cluster.env"
    env.write_text("ERROR_RATE_THRESHOLD=lots\n")
    assert k8s.main(["--out", str(tmp_path / "out"), "--env", str(env)]) == 2
    assert "ERROR_RATE_THRESHOLD" in capsys.readouterr().err


def test_an_env_file_changes_the_rules(tmp_path):
    env = tmp_path / "cluster.env"
    env.write_text("ERROR_RATE_THRESHOLD=7.5\n")
    [rule] = k8s.documents(k8s.settings_for(env))["prometheusrule.yaml"]
    [alert] = [r for r in rule["spec"]["groups"][0]["rules"] if r.get("alert") == "HighErrorRate"]
    assert "ratio * 100 > 7.5\n" in alert["expr"]


def test_the_rule_groups_are_the_rendered_rules_and_pass_promtool(rendered, tmp_path):
    groups = committed("prometheusrule.yaml")["spec"]["groups"]
    assert groups == rendered["rules/taskmgr.yml"]["groups"]
    rules = tmp_path / "rules.yml"
    rules.write_text(yaml.safe_dump({"groups": groups}))
    result = run(binaries.require("promtool"), "check", "rules", str(rules))
    assert result.returncode == 0, result.stdout + result.stderr


def _matcher_strings(matchers: list[dict]) -> list[str]:
    return [f'{m["name"]}{m["matchType"]}"{m["value"]}"' for m in matchers]


def _snake(key: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in key)


def _route_back(route: dict) -> dict:
    out = {}
    for key, value in route.items():
        if key == "matchers":
            out[key] = _matcher_strings(value)
        elif key == "routes":
            out[key] = [_route_back(child) for child in value]
        else:
            out[_snake(key)] = value
    return out


def test_the_route_is_the_rendered_route(rendered):
    spec = committed("alertmanagerconfig.yaml")["spec"]
    assert _route_back(spec["route"]) == rendered["alertmanager.yml"]["route"]


def test_the_inhibit_rules_are_the_rendered_ones(rendered):
    spec = committed("alertmanagerconfig.yaml")["spec"]
    back = [
        {
            "source_matchers": _matcher_strings(rule["sourceMatch"]),
            "target_matchers": _matcher_strings(rule["targetMatch"]),
        }
        for rule in spec["inhibitRules"]
    ]
    assert back == rendered["alertmanager.yml"]["inhibit_rules"]


def test_the_receivers_are_the_rendered_ones_with_the_token_from_the_secret(rendered):
    spec = committed("alertmanagerconfig.yaml")["spec"]
    expected = {
        r["name"]: [(h["url"], h["send_resolved"]) for h in r["webhook_configs"]]
        for r in rendered["alertmanager.yml"]["receivers"]
    }
    got = {
        r["name"]: [(h["url"], h["sendResolved"]) for h in r["webhookConfigs"]]
        for r in spec["receivers"]
    }
    assert got == expected
    auth = {"type": "Bearer", "credentials": k8s.BRIDGE_SECRET}
    for receiver in spec["receivers"]:
        assert all(h["httpConfig"] == {"authorization": auth} for h in receiver["webhookConfigs"])


@pytest.fixture(scope="module")
def spelt_back(tmp_path_factory):
    """The AlertmanagerConfig as an alertmanager.yml amtool can read."""
    spec = committed("alertmanagerconfig.yaml")["spec"]
    config = {
        "route": _route_back(spec["route"]),
        "receivers": [
            {"name": r["name"], "webhook_configs": [{"url": h["url"]} for h in r["webhookConfigs"]]}
            for r in spec["receivers"]
        ],
    }
    path = tmp_path_factory.mktemp("am") / "alertmanager.yml"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_it_routes_as_routes_test_says(spelt_back, case):
    result = run(
        binaries.require("amtool"), "config", "routes", "test", f"--config.file={spelt_back}",
        f"--verify.receivers={','.join(case['receivers'])}",
        *(f"{name}={value}" for name, value in case["labels"].items()),
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_unconvertible_matcher_is_an_error():
    with pytest.raises(render.RenderError, match="alertname"):
        k8s.alertmanager_config("route: {receiver: r, matchers: [alertname]}\nreceivers: []\n")
