"""deploy/base: every resource it lists exists and the core kinds are valid Kubernetes
(kubernetes-validate's bundled schemas, offline), and the pieces fit together — the
Deployments read ConfigMaps and Secrets that exist, listen on the ports their ConfigMaps
name, are probed where each process answers, and are selected by Services named as the
scrape jobs the rules query."""

import kubernetes_validate
import pytest
import yaml

from stack import k8s
from stack.settings import REPO, VARIABLES
from tests.deploy.conftest import BASE, kustomization, load_objects

CORE = {"v1", "apps/v1"}
# what each Deployment's container listens on (its ConfigMap's variable) and answers
PROCESS = {
    "taskmgr-api": ("api", "API_PORT", "/health", "/status"),
    "taskmgr-bridge": ("bridge", "BRIDGE_PORT", "/health", "/ready"),
    "taskmgr-bridge-worker": ("worker", "OUTBOX_METRICS_PORT", "/metrics", None),
}


def container(deployment: dict) -> dict:
    [only] = deployment["spec"]["template"]["spec"]["containers"]
    return only


def test_every_listed_resource_exists():
    missing = [r for r in kustomization()["resources"] if not (BASE / r).is_file()]
    assert missing == []


def test_every_manifest_in_the_folder_is_listed():
    listed = set(kustomization()["resources"])
    on_disk = {str(p.relative_to(BASE)) for p in BASE.rglob("*.yaml")} - {"kustomization.yaml"}
    assert on_disk == listed


def test_the_core_kinds_are_valid_kubernetes(objects):
    core = [obj for obj in objects if obj["apiVersion"] in CORE]
    assert {obj["kind"] for obj in core} == {
        "ConfigMap",
        "Deployment",
        "Namespace",
        "Secret",
        "Service",
    }
    version = kubernetes_validate.latest_version()
    for obj in core:
        kubernetes_validate.validate(obj, version, strict=True)


def test_kubernetes_validate_rejects_a_broken_deployment(by_kind):
    broken = yaml.safe_load(yaml.safe_dump(by_kind["Deployment"]["taskmgr-api"]))
    container(broken)["livenessProbe"]["httpGet"]["port"] = ["not", "a", "port"]
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, kubernetes_validate.latest_version(), strict=True)


def test_the_deployments_are_the_three_processes(by_kind):
    assert set(by_kind["Deployment"]) == set(PROCESS)


@pytest.mark.parametrize("name", PROCESS)
def test_each_deployment_reads_its_config_map_and_secret(by_kind, name):
    process, *_ = PROCESS[name]
    refs = container(by_kind["Deployment"][name])["envFrom"]
    config_maps = [r["configMapRef"]["name"] for r in refs if "configMapRef" in r]
    secrets = [r["secretRef"]["name"] for r in refs if "secretRef" in r]
    assert config_maps == [f"taskmgr-{process}-env"]
    assert all(s in by_kind["Secret"] for s in secrets) and secrets
    assert config_maps[0] in by_kind["ConfigMap"]


@pytest.mark.parametrize("name", PROCESS)
def test_each_deployment_listens_and_is_probed_where_its_process_answers(by_kind, name):
    process, port_variable, liveness, readiness = PROCESS[name]
    spec = container(by_kind["Deployment"][name])
    port = int(by_kind["ConfigMap"][f"taskmgr-{process}-env"]["data"][port_variable])
    [declared] = spec["ports"]
    assert declared["containerPort"] == port
    assert spec["livenessProbe"]["httpGet"] == {"path": liveness, "port": declared["name"]}
    if readiness:
        assert spec["readinessProbe"]["httpGet"] == {"path": readiness, "port": declared["name"]}
    else:
        assert "readinessProbe" not in spec


@pytest.mark.parametrize("name", PROCESS)
def test_each_service_selects_its_deployment_and_is_named_as_its_scrape_job(by_kind, name):
    service, deployment = by_kind["Service"][name], by_kind["Deployment"][name]
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= pod_labels.items()
    [port] = service["spec"]["ports"]
    assert port["targetPort"] == container(deployment)["ports"][0]["name"]
    prometheus = (REPO / "prometheus" / "prometheus.yml").read_text()
    assert f"job_name: {name}\n" in prometheus


@pytest.mark.parametrize("name", PROCESS)
def test_each_service_monitor_scrapes_its_service_port(by_kind, name):
    monitor, service = by_kind["ServiceMonitor"][name], by_kind["Service"][name]
    assert (
        monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    )
    [endpoint] = monitor["spec"]["endpoints"]
    assert endpoint["port"] == service["spec"]["ports"][0]["name"]


def test_no_secret_is_in_a_config_map_and_every_secret_is_a_setting(by_kind):
    secret_names = {v.name for v in VARIABLES if v.secret}
    for config_map in by_kind["ConfigMap"].values():
        assert secret_names.isdisjoint(config_map["data"])
    for secret in by_kind["Secret"].values():
        assert set(secret["stringData"]) <= secret_names
        assert all("REPLACE" in value for value in secret["stringData"].values())


def test_the_webhooks_call_the_bridge_service_by_its_name_in_the_namespace(by_kind):
    namespace = kustomization()["namespace"]
    assert namespace in by_kind["Namespace"]
    service = by_kind["Service"]["taskmgr-bridge"]
    base = f"http://{service['metadata']['name']}.{namespace}.svc:{service['spec']['ports'][0]['port']}"
    [config] = by_kind["AlertmanagerConfig"].values()
    urls = {h["url"] for r in config["spec"]["receivers"] for h in r["webhookConfigs"]}
    assert urls == {f"{base}/webhook", f"{base}/heartbeat"}


def test_the_alertmanager_config_sends_the_token_the_bridges_read(by_kind):
    ref = k8s.BRIDGE_SECRET
    assert ref["key"] in by_kind["Secret"][ref["name"]]["stringData"]
    refs = container(by_kind["Deployment"]["taskmgr-bridge"])["envFrom"]
    bridge_secrets = {r["secretRef"]["name"] for r in refs if "secretRef" in r}
    assert ref["name"] in bridge_secrets


def test_a_missing_resource_is_noticed(tmp_path):
    (tmp_path / "kustomization.yaml").write_text("resources: [gone.yaml]\n")
    with pytest.raises(FileNotFoundError):
        load_objects(tmp_path)
