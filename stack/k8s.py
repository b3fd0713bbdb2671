"""The Kubernetes side of the render: what deploy/base/generated/ holds.

    python -m stack.k8s [--out DIR] [--env FILE] [--profile production|fast]

The same templates and the same settings as `make run`'s files (stack.render): the rendered
rules become a `PrometheusRule`, the rendered alertmanager.yml an `AlertmanagerConfig`
(monitoring.coreos.com, the Prometheus Operator), and each process' env file a ConfigMap,
so neither the rules nor a value can drift between the two. The settings are CLUSTER (the
in-cluster names and container ports, below) over the optional dotenv FILE, never the
machine's environment or .env: the committed deploy/base/generated/ is what this writes
with no FILE (tests/deploy checks it is up to date). Secrets never enter a ConfigMap; the
Deployments read them from the Secrets in deploy/base/secrets.yaml.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import yaml

from stack import envfiles, render
from stack.profiles import PROFILES
from stack.settings import REPO, VARIABLES, Settings, SettingsError, load, parse_dotenv
from stack.settings.table import API, BRIDGE, WORKER

OUT = REPO / "deploy" / "base" / "generated"
# Names inside the cluster: the Services in deploy/base and the Prometheus Operator's
# defaults (prometheus-operated, alertmanager-operated in the `monitoring` namespace).
# Service names are the scrape jobs' names, so the rules' `job="taskmgr-api"` still hold.
CLUSTER = {
    "API_PORT": "8000",
    "BRIDGE_PORT": "8001",
    "OUTBOX_METRICS_PORT": "8002",
    "API_HOST": "taskmgr-api",
    "API_BIND": "0.0.0.0:8000",
    "BRIDGE_HOST": "0.0.0.0",  # noqa: S104 - the bridge's and the worker's listen address, in a pod
    "OUTBOX_HOST": "taskmgr-bridge-worker",
    # Alertmanager runs in another namespace: the bridge's full name in deploy/base's
    "BRIDGE_URLS": "http://taskmgr-bridge.taskmgr.svc:8001",
    "BRIDGE_EXTERNAL_URL": "http://taskmgr-bridge:8001",
    "PROMETHEUS_URL": "http://prometheus-operated.monitoring.svc:9090",
    "ALERTMANAGER_EXTERNAL_URL": "http://alertmanager-operated.monitoring.svc:9093",
    "ALERTMANAGER_TARGETS": "alertmanager-operated.monitoring.svc:9093",
    "REDIS_URL": "redis://redis:6379/0",
    # Prometheus and the kubelet call each pod by its IP, which no list can name in
    # advance: the Host check is the Ingress' job in a cluster
    "DJANGO_ALLOWED_HOSTS": "*",
    "STATE_DIR": "/tmp/taskmgr",  # noqa: S108 - an emptyDir in the pod
    "METRICS_DIR": "/tmp/taskmgr-metrics",  # noqa: S108 - an emptyDir in the pod
}
# the images' import paths (api/Dockerfile, alert-bridge/Dockerfile), not this checkout's
IMAGE_PYTHONPATH = {API: "/app", BRIDGE: "/app:/app/alert-bridge", WORKER: "/app:/app/alert-bridge"}
PROCESSES = (API, BRIDGE, WORKER)
SECRET_NAMES = frozenset(v.name for v in VARIABLES if v.secret)
# the Secret holding the bridge's token, which the AlertmanagerConfig sends
BRIDGE_SECRET = {"name": "taskmgr-bridge", "key": "ALERT_BRIDGE_TOKEN"}
_MATCHER = re.compile(r'^(\w+)(=~|!~|!=|=)"(.*)"$')


def settings_for(dotenv: Path | None = None, profile: str | None = None) -> Settings:
    """CLUSTER, then FILE's values over it, then the profile; secrets left empty."""
    env = {**CLUSTER, **(parse_dotenv(dotenv) if dotenv else {})}
    return load(
        env,
        dotenv=None,
        overrides={"TIMING_PROFILE": profile} if profile else None,
        require_token=False,
    )


def config_map(settings: Settings, process: str) -> dict:
    """`process`' env file as a ConfigMap, without its secrets."""
    env = envfiles.process_env(settings, process)
    data = {k: v for k, v in env.items() if k not in SECRET_NAMES}
    data["PYTHONPATH"] = IMAGE_PYTHONPATH[process]
    return _object("v1", "ConfigMap", f"taskmgr-{process}-env", {"data": data})


def prometheus_rule(rendered_rules: str) -> dict:
    groups = yaml.safe_load(rendered_rules)["groups"]
    return _object(
        "monitoring.coreos.com/v1", "PrometheusRule", "taskmgr", {"spec": {"groups": groups}}
    )


def alertmanager_config(rendered: str) -> dict:
    """alertmanager.yml's route, receivers and inhibit rules in the operator's spelling."""
    config = yaml.safe_load(rendered)
    spec = {
        "route": _route(config["route"]),
        "receivers": [_receiver(r) for r in config["receivers"]],
        "inhibitRules": [_inhibit(rule) for rule in config.get("inhibit_rules", [])],
    }
    return _object(
        "monitoring.coreos.com/v1alpha1", "AlertmanagerConfig", "taskmgr", {"spec": spec}
    )


def documents(settings: Settings) -> dict[str, list[dict]]:
    """File name → the objects it holds."""
    values = render.template_values(settings)
    rendered = {
        dest: render.render_text((REPO / src).read_text(), values, source=str(src))
        for dest, src in render.TEMPLATES.items()
    }
    return {
        "config.yaml": [config_map(settings, p) for p in PROCESSES],
        "prometheusrule.yaml": [prometheus_rule(rendered["rules/taskmgr.yml"])],
        "alertmanagerconfig.yaml": [alertmanager_config(rendered["alertmanager.yml"])],
    }


def render_files(settings: Settings) -> dict[str, str]:
    header = "# written by `python -m stack.k8s`; do not edit (stack/k8s.py)\n"
    return {
        name: header + yaml.dump_all(objects, Dumper=_Dumper, sort_keys=False, width=100)
        for name, objects in documents(settings).items()
    }


def write(settings: Settings, out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, text in render_files(settings).items():
        (out_dir / name).write_text(text)
    return out_dir


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stack.k8s", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=OUT, help=f"default: {OUT.relative_to(REPO)}")
    parser.add_argument("--env", type=Path, help="a dotenv file whose values win over CLUSTER")
    parser.add_argument("--profile", choices=list(PROFILES), help="overrides TIMING_PROFILE")
    args = parser.parse_args(argv)
    try:
        out = write(settings_for(args.env, args.profile), args.out)
    except (SettingsError, render.RenderError, OSError) as exc:
        print(exc, file=sys.stderr)
        return 2
    print(f"rendered the Kubernetes objects into {out}")
    return 0


class _Dumper(yaml.SafeDumper):
    """Every object spelt out: no `&id001` anchors for the repeated Secret reference."""

    def ignore_aliases(self, data) -> bool:
        return True


def _object(api_version: str, kind: str, name: str, body: dict) -> dict:
    labels = {"app.kubernetes.io/part-of": "taskmgr"}
    return {
        "apiVersion": api_version,
        "kind": kind,
        "metadata": {"name": name, "labels": labels},
        **body,
    }


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(word.title() for word in rest)


def _matchers(strings: list[str]) -> list[dict]:
    """`alertname="ApiDown"` → {name, value, matchType}; anything else is an error."""
    out = []
    for text in strings:
        match = _MATCHER.match(text)
        if not match:
            raise render.RenderError(f"alertmanager.yml: matcher {text!r} has no operator form")
        name, op, value = match.groups()
        out.append({"name": name, "value": value, "matchType": op})
    return out


def _route(route: dict) -> dict:
    out = {}
    for key, value in route.items():
        if key == "matchers":
            out["matchers"] = _matchers(value)
        elif key == "routes":
            out["routes"] = [_route(child) for child in value]
        else:
            out[_camel(key)] = value
    return out


def _receiver(receiver: dict) -> dict:
    """Its webhooks with the token from the bridge's Secret instead of a file."""
    webhooks = [
        {
            "url": hook["url"],
            "sendResolved": hook["send_resolved"],
            "httpConfig": {"authorization": {"type": "Bearer", "credentials": BRIDGE_SECRET}},
        }
        for hook in receiver.get("webhook_configs", [])
    ]
    return {"name": receiver["name"], "webhookConfigs": webhooks}


def _inhibit(rule: dict) -> dict:
    out = {
        "sourceMatch": _matchers(rule["source_matchers"]),
        "targetMatch": _matchers(rule["target_matchers"]),
    }
    if "equal" in rule:
        out["equal"] = rule["equal"]
    return out


if __name__ == "__main__":
    sys.exit(main())
