"""The deployment files that cannot run here (no Docker engine, no cluster) at least parse and agree
with each other: every web process is probed and scraped, every worker runs, nothing secret is in them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
SERVICES = ("identity", "filing", "payments", "search")
WEB_PROCESSES = (*(f"{s}-web" for s in SERVICES), "gateway")


def load_all(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


@pytest.mark.parametrize("path", sorted(DEPLOY.rglob("*.yaml")) + sorted(DEPLOY.rglob("*.yml")), ids=str)
def test_every_yaml_file_parses(path: Path) -> None:
    assert load_all(path)


def compose() -> dict[str, Any]:
    return load_all(DEPLOY / "compose" / "compose.yaml")[0]


def test_compose_runs_real_infrastructure_and_every_process_of_every_service() -> None:
    services = compose()["services"]
    assert services["rabbitmq"]["image"] == "rabbitmq:3.13-management"
    assert services["postgres"]["image"] == "postgres:16"
    assert services["minio"]["image"].startswith("minio/minio")
    assert services["prometheus"]["image"].startswith("prom/prometheus")
    for service in SERVICES:
        assert f"{service}.entrypoints.http:create_app()" in services[f"{service}-web"]["command"]
        assert services[f"{service}-worker"]["command"] == [f"icms-{service}", "worker"]
        assert f"icms-{service} migrate" in services["migrate"]["command"][-1]
        for process in (f"{service}-web", f"{service}-worker"):
            assert services[process]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
            assert services[process]["build"]["dockerfile"] == "deploy/Dockerfile"
        assert "/health/ready" in str(services[f"{service}-web"]["healthcheck"]["test"])
    assert services["gateway"]["ports"] == ["8080:8000"]
    for service in SERVICES:
        assert services["gateway"]["environment"][f"ICMS_{service.upper()}_URL"] == f"http://{service}-web:8000"


def test_compose_takes_secrets_from_the_environment_not_the_file() -> None:
    text = (DEPLOY / "compose" / "compose.yaml").read_text()
    for variable in ("POSTGRES_PASSWORD", "RABBITMQ_PASSWORD", "MINIO_ROOT_PASSWORD"):
        assert f"${{{variable}:?" in text
    assert "REPLACE_ME" in (DEPLOY / "compose" / ".env.example").read_text()


def test_prometheus_scrapes_every_web_process_of_compose() -> None:
    config = load_all(DEPLOY / "prometheus" / "prometheus.yml")[0]
    targets = {
        target for job in config["scrape_configs"] for group in job["static_configs"] for target in group["targets"]
    }
    web_services = {name for name in compose()["services"] if name.endswith("-web") or name == "gateway"}
    assert {f"{name}:8000" for name in web_services} <= targets
    assert web_services == set(WEB_PROCESSES)


def test_dockerfile_installs_every_package_without_editable_mode_and_ships_the_contracts() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert dockerfile.startswith("#") and "FROM python:3.11-slim" in dockerfile
    assert "ICMS_CONTRACTS_DIR=/app/contracts" in dockerfile
    assert "COPY contracts/ contracts/" in dockerfile
    assert " -e " not in dockerfile
    for package in ("chassis", *SERVICES, "gateway"):
        assert f"./services/{package}" in dockerfile


def k8s_documents() -> list[dict[str, Any]]:
    return [doc for path in sorted((DEPLOY / "k8s").glob("*.yaml")) for doc in load_all(path)]


def by_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in k8s_documents() if doc["kind"] == kind}


def test_k8s_has_a_probed_deployment_and_a_service_for_every_web_process() -> None:
    deployments, services = by_kind("Deployment"), by_kind("Service")
    for name in WEB_PROCESSES:
        container = deployments[name]["spec"]["template"]["spec"]["containers"][0]
        assert container["livenessProbe"]["httpGet"]["path"] == "/health/live"
        expected_ready = "/health/live" if name == "gateway" else "/health/ready"  # see gateway.yaml
        assert container["readinessProbe"]["httpGet"]["path"] == expected_ready
        template_labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
        assert services[name]["spec"]["selector"].items() <= template_labels.items()
        assert deployments[name]["spec"]["selector"]["matchLabels"].items() <= template_labels.items()
        assert deployments[name]["spec"]["template"]["metadata"]["annotations"]["prometheus.io/scrape"] == "true"


def test_k8s_runs_a_worker_per_service_and_one_migrate_job() -> None:
    deployments = by_kind("Deployment")
    for service in SERVICES:
        container = deployments[f"{service}-worker"]["spec"]["template"]["spec"]["containers"][0]
        assert container["command"] == [f"icms-{service}", "worker"]
    (job,) = by_kind("Job").values()
    command = job["spec"]["template"]["spec"]["containers"][0]["command"][-1]
    assert all(f"icms-{service} migrate" in command for service in SERVICES)
    assert set(by_kind("Namespace")) == {"icms"}
    assert set(by_kind("ConfigMap")) == {"icms-config"}


def test_k8s_secret_is_a_template_of_placeholders_left_out_of_kustomization() -> None:
    (secret,) = by_kind("Secret").values()
    assert all("REPLACE_ME" in value for value in secret["stringData"].values())
    kustomization = load_all(DEPLOY / "k8s" / "kustomization.yaml")[0]
    assert "secret.template.yaml" not in kustomization["resources"]
    listed = set(kustomization["resources"])
    on_disk = {p.name for p in (DEPLOY / "k8s").glob("*.yaml")} - {"kustomization.yaml", "secret.template.yaml"}
    assert listed == on_disk


def test_k8s_pods_reference_only_the_config_and_secret_that_exist() -> None:
    names = {"configMapRef": set(by_kind("ConfigMap")), "secretRef": set(by_kind("Secret"))}
    for doc in k8s_documents():
        if doc["kind"] not in {"Deployment", "Job"}:
            continue
        for container in doc["spec"]["template"]["spec"]["containers"]:
            for source in container.get("envFrom", []):
                ((kind, ref),) = source.items()
                assert ref["name"] in names[kind], (doc["metadata"]["name"], ref)


def test_no_deploy_file_holds_something_that_looks_like_a_real_secret() -> None:
    suspicious = re.compile(r"(?i)(password|secret)[\w]*\s*[:=]\s*['\"]?(?!\$\{|REPLACE_ME)[A-Za-z0-9+/_-]{12,}")
    for path in DEPLOY.rglob("*"):
        if path.is_file() and path.suffix in {".yaml", ".yml", ".example", ""}:
            assert not suspicious.search(path.read_text(errors="replace")), path


def test_the_gateway_and_every_service_get_the_gateway_secret_from_outside_the_repository() -> None:
    environments = compose()["x-icms-env"], compose()["services"]["gateway"]["environment"]
    for environment in environments:
        assert environment["ICMS_GATEWAY_SECRET"].startswith("${ICMS_GATEWAY_SECRET:?")
    assert "ICMS_GATEWAY_SECRET=REPLACE_ME" in (DEPLOY / "compose" / ".env.example").read_text()
    (secret,) = by_kind("Secret").values()
    assert "ICMS_GATEWAY_SECRET" in secret["stringData"]
    gateway = by_kind("Deployment")["gateway"]["spec"]["template"]["spec"]["containers"][0]
    references = {item["name"]: item["valueFrom"]["secretKeyRef"] for item in gateway["env"]}
    assert references["ICMS_GATEWAY_SECRET"] == {"name": "icms-secrets", "key": "ICMS_GATEWAY_SECRET"}
