"""Each service's real app and its OpenAPI document agree.

The app is built as its web process builds it (``bootstrap`` -> ``create_app``) on a database, a
broker vhost and a bucket of this test's own, and migrated. Then:

- every Flask route is documented with the methods it accepts, and every documented operation is a
  route of the app;
- every documented GET, called with values taken from the document (``example``, ``default``,
  ``enum``, else a plain value of the parameter's type), answers with a documented status, media
  type and headers, and a body that validates against the documented schema;
- what the app says to a request it has no route or method for is the documented ``Problem``.

Nothing here names a route: when a service adds ``/api/<service>/v1/...`` routes and documents
them, they are checked without a change to this file.
"""

from __future__ import annotations

import importlib
import re
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import yaml
from flask import Flask
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from werkzeug.test import TestResponse

from chassis.storage import S3Settings
from chassis.testing.principals import GATEWAY_SECRET
from chassis.web.app import create_service_app

SERVICES = ("identity", "filing", "payments", "search")
OPENAPI = Path(__file__).resolve().parents[2] / "contracts" / "openapi"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
DOCUMENT_URI = "urn:icms:openapi-under-test"
# <name>, <converter:name> or <converter(args):name> in a Flask rule -> {name} in an OpenAPI path.
FLASK_PARAMETER = re.compile(r"<(?:[A-Za-z_][A-Za-z0-9_]*(?:\([^)]*\))?:)?([A-Za-z_][A-Za-z0-9_]*)>")
REQUEST_ID = "contract-test.1"
PROBLEM_SCHEMA = "/components/schemas/Problem"
#: What the chassis's app serves before a service adds its routes.
BARE_PATHS = ("/health/live", "/health/ready", "/metrics")


# ---------------------------------------------------------------------------------------------
# The document
# ---------------------------------------------------------------------------------------------


class Document:
    """An OpenAPI document, with JSON Schema validation of any of its schemas by JSON pointer."""

    def __init__(self, raw: dict[str, Any]):
        self.raw = raw
        resource = Resource.from_contents(raw, default_specification=DRAFT202012)
        self._registry = Registry().with_resource(DOCUMENT_URI, resource)

    @classmethod
    def load(cls, service: str) -> Document:
        return cls(yaml.safe_load((OPENAPI / f"{service}.yaml").read_text()))

    def resolve(self, node: Any, pointer: str) -> tuple[Any, str]:
        """``node`` (found at ``pointer``) with local ``$ref``s followed, and where it really is."""
        for _ in range(20):
            if not (isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/")):
                return node, pointer
            pointer = node["$ref"][1:]
            node = self.raw
            for part in pointer[1:].split("/"):
                node = node[part.replace("~1", "/").replace("~0", "~")]
        raise ValueError(f"$ref cycle at {pointer}")

    def errors(self, instance: Any, schema_pointer: str) -> list[str]:
        """Why ``instance`` does not validate against the schema at ``schema_pointer`` (empty if it does)."""
        validator = Draft202012Validator(
            {"$ref": f"{DOCUMENT_URI}#{schema_pointer}"}, registry=self._registry, format_checker=FormatChecker()
        )
        return [
            f"{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}"
            for e in validator.iter_errors(instance)
        ]

    def operations(self) -> dict[str, set[str]]:
        """Documented path -> its methods (upper case)."""
        return {
            path: {m.upper() for m in HTTP_METHODS if m in item} for path, item in (self.raw.get("paths") or {}).items()
        }


def escape(token: str) -> str:
    """A JSON pointer reference token."""
    return token.replace("~", "~0").replace("/", "~1")


# ---------------------------------------------------------------------------------------------
# Routes against operations
# ---------------------------------------------------------------------------------------------


def app_operations(app: Flask) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(OpenAPI-style path -> methods the app accepts, path -> methods Flask added by itself)."""
    methods: dict[str, set[str]] = defaultdict(set)
    automatic: dict[str, set[str]] = defaultdict(set)
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = FLASK_PARAMETER.sub(r"{\1}", rule.rule)
        accepted = set(rule.methods or ())
        methods[path] |= accepted
        if "GET" in accepted:
            automatic[path].add("HEAD")  # werkzeug adds HEAD to every GET rule
        if getattr(rule, "provide_automatic_options", False):
            automatic[path].add("OPTIONS")
    return dict(methods), dict(automatic)


def route_problems(app: Flask, document: Document) -> list[str]:
    """Routes the document lacks, and documented operations the app lacks."""
    served, automatic = app_operations(app)
    documented = document.operations()
    problems = []
    for path in sorted(served.keys() | documented.keys()):
        if path not in documented:
            problems.append(f"route {path} ({', '.join(sorted(served[path]))}) is not documented")
            continue
        if path not in served:
            problems.append(f"documented path {path} is not a route of the app")
            continue
        required = served[path] - automatic.get(path, set())
        for method in sorted(required - documented[path]):
            problems.append(f"{method} {path} is served but not documented")
        for method in sorted(documented[path] - served[path]):
            problems.append(f"{method} {path} is documented but not served")
    return problems


# ---------------------------------------------------------------------------------------------
# Responses against the document
# ---------------------------------------------------------------------------------------------


def sample_value(parameter: dict[str, Any], schema: dict[str, Any]) -> str:
    """A value for a parameter: the document's own example, default or enum, else a plain one of its type."""
    examples = [e.get("value") for e in (parameter.get("examples") or {}).values() if isinstance(e, dict)]
    candidates = [
        parameter.get("example"),
        *examples,
        schema.get("example"),
        *(schema.get("examples") or []),
        schema.get("default"),
        *(schema.get("enum") or []),
        schema.get("const"),
    ]
    for candidate in candidates:
        if candidate is not None:
            return str(candidate).lower() if isinstance(candidate, bool) else str(candidate)
    kind, fmt = schema.get("type"), schema.get("format")
    if kind in {"integer", "number"}:
        return str(max(1, int(schema.get("minimum", 1))))
    if kind == "boolean":
        return "true"
    return {
        "uuid": "00000000-0000-4000-8000-000000000000",
        "date": "2025-01-06",
        "date-time": "2025-01-06T09:30:00Z",
    }.get(fmt or "", "contract-test")


def documented_request(document: Document, path: str, method: str) -> tuple[str, dict[str, str]]:
    """(URL, headers) for calling the documented operation with values the document gives."""
    item, item_pointer = document.resolve(document.raw["paths"][path], f"/paths/{escape(path)}")
    operation = item[method]
    parameters: dict[tuple[str, str], dict[str, Any]] = {}
    for pointer, node in [
        *((f"{item_pointer}/parameters/{i}", p) for i, p in enumerate(item.get("parameters") or [])),
        *((f"{item_pointer}/{method}/parameters/{i}", p) for i, p in enumerate(operation.get("parameters") or [])),
    ]:
        parameter, _ = document.resolve(node, pointer)
        parameters[(parameter["name"], parameter["in"])] = parameter  # the operation's override the path's
    url, query, headers = path, {}, {"X-Request-ID": REQUEST_ID}
    for (name, location), parameter in parameters.items():
        schema, _ = document.resolve(parameter.get("schema") or {}, "")
        if location == "path":
            url = url.replace("{" + name + "}", sample_value(parameter, schema))
        elif location == "query" and parameter.get("required"):
            query[name] = sample_value(parameter, schema)
        elif location == "header" and parameter.get("required") and name.lower() != "x-request-id":
            headers[name] = sample_value(parameter, schema)
    return (f"{url}?{urlencode(query)}" if query else url), headers


def response_problems(document: Document, path: str, method: str, response: TestResponse) -> list[str]:
    """How ``response`` strays from what the document says ``method path`` answers."""
    where = f"{method.upper()} {path} -> {response.status_code}"
    item, item_pointer = document.resolve(document.raw["paths"][path], f"/paths/{escape(path)}")
    responses = item[method].get("responses") or {}
    status = str(response.status_code)
    key = next((k for k in (status, f"{status[0]}XX", "default") if k in responses), None)
    if key is None:
        return [f"{where}: status not documented (documented: {', '.join(responses)})"]
    declared, pointer = document.resolve(responses[key], f"{item_pointer}/{method}/responses/{escape(key)}")
    problems = []
    for name, node in (declared.get("headers") or {}).items():
        header, header_pointer = document.resolve(node, f"{pointer}/headers/{escape(name)}")
        value = response.headers.get(name)
        if value is None:
            if header.get("required"):
                problems.append(f"{where}: required header {name} is missing")
            continue
        if "schema" in header:
            problems += [f"{where}: header {name}: {e}" for e in document.errors(value, f"{header_pointer}/schema")]
    content = declared.get("content") or {}
    if not content:
        return problems
    mimetype = response.mimetype or ""
    media = next((m for m in (mimetype, mimetype.split("/")[0] + "/*", "*/*") if m in content), None)
    if media is None:
        return [*problems, f"{where}: media type {mimetype!r} not documented (documented: {', '.join(content)})"]
    if "schema" not in content[media]:
        return problems
    if mimetype == "application/json" or mimetype.endswith("+json"):
        body: Any = response.get_json(silent=True)
        if body is None:
            return [*problems, f"{where}: body is not JSON"]
    else:
        body = response.get_data(as_text=True)
    schema_pointer = f"{pointer}/content/{escape(media)}/schema"
    return problems + [f"{where}: body {e}" for e in document.errors(body, schema_pointer)]


def documented_get_problems(app: Flask, document: Document) -> list[str]:
    """Call every documented GET; what strays from the document."""
    client = app.test_client()
    problems = []
    for path, methods in sorted(document.operations().items()):
        if "GET" not in methods:
            continue
        url, headers = documented_request(document, path, "get")
        response = client.get(url, headers=headers)
        problems += response_problems(document, path, "get", response)
        if response.headers.get("X-Request-ID") != REQUEST_ID:
            problems.append(f"GET {path}: X-Request-ID {REQUEST_ID!r} not returned")
    return problems


def unrouted_problems(app: Flask, document: Document) -> list[str]:
    """A path no route matches and a method a documented path lacks get the documented Problem."""
    client = app.test_client()
    problems = []
    missing = client.get(f"/no-such-path-{uuid.uuid4().hex}", headers={"X-Request-ID": REQUEST_ID})
    path, methods = next(iter(sorted(document.operations().items())))
    served, automatic = app_operations(app)
    unused = next(m for m in ("PATCH", "PUT", "DELETE", "POST", "GET") if m not in served.get(path, set()))
    not_allowed = client.open(path, method=unused, headers={"X-Request-ID": REQUEST_ID})
    for response, status in ((missing, 404), (not_allowed, 405)):
        where = f"{response.request.method} {response.request.path} -> {response.status_code}"
        if response.status_code != status:
            problems.append(f"{where}: expected {status}")
        if response.mimetype != "application/problem+json":
            problems.append(f"{where}: media type {response.mimetype!r}, not application/problem+json")
        body = response.get_json(silent=True)
        problems += [f"{where}: body {e}" for e in document.errors(body, PROBLEM_SCHEMA)]
        if body and body.get("status") != response.status_code:
            problems.append(f"{where}: problem status {body.get('status')} differs from the response's")
        if response.headers.get("X-Request-ID") != REQUEST_ID:
            problems.append(f"{where}: X-Request-ID not returned")
    allowed = {m.strip() for m in not_allowed.headers.get("Allow", "").split(",") if m.strip()}
    if allowed != methods | automatic.get(path, set()):
        problems.append(f"{unused} {path}: Allow is {sorted(allowed)}, the document says {sorted(methods)}")
    return problems


# ---------------------------------------------------------------------------------------------
# The real apps
# ---------------------------------------------------------------------------------------------


@pytest.fixture(params=SERVICES)
def service(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def document(service: str) -> Document:
    return Document.load(service)


@pytest.fixture
def app(service: str, tmp_path: Path, amqp_url: str, s3_settings: S3Settings, s3_bucket: str) -> Iterator[Flask]:
    """The service's web app, wired by its own bootstrap on this test's database, vhost and bucket."""
    config = importlib.import_module(f"{service}.config")
    bootstrap = importlib.import_module(f"{service}.bootstrap")
    http = importlib.import_module(f"{service}.entrypoints.http")
    environ = {
        f"ICMS_{service.upper()}_DATABASE_URL": f"sqlite:///{tmp_path / service}.db",
        "ICMS_AMQP_URL": amqp_url,
        "ICMS_GATEWAY_SECRET": GATEWAY_SECRET,
        **s3_environ(s3_settings),
        f"ICMS_{service.upper()}_S3_BUCKET": s3_bucket,
    }
    runtime = bootstrap.bootstrap(config.load(environ))
    runtime.migrate()
    try:
        yield http.create_app(runtime)
    finally:
        runtime.engine.dispose()


def s3_environ(settings: S3Settings) -> dict[str, str]:
    """The ``ICMS_S3_*`` variables that name the S3 server of ``settings``."""
    return {
        "ICMS_S3_ENDPOINT": settings.endpoint,
        "ICMS_S3_ACCESS_KEY": settings.access_key,
        "ICMS_S3_SECRET_KEY": settings.secret_key,
        "ICMS_S3_REGION": settings.region,
    }


def test_every_route_is_documented_and_every_documented_operation_is_served(app: Flask, document: Document) -> None:
    assert route_problems(app, document) == []


def test_documented_gets_answer_with_documented_statuses_headers_and_bodies(
    app: Flask, document: Document, service: str
) -> None:
    # Ready first: with its infrastructure up a migrated service must not hide behind its documented 503.
    ready = app.test_client().get("/health/ready")
    assert ready.status_code == 200, ready.get_json()
    assert ready.get_json()["service"] == service
    assert documented_get_problems(app, document) == []


def test_unknown_paths_and_methods_get_the_documented_problem(app: Flask, document: Document) -> None:
    assert unrouted_problems(app, document) == []


# ---------------------------------------------------------------------------------------------
# The checks catch what they are for (on the chassis's bare app: no infrastructure needed)
# ---------------------------------------------------------------------------------------------


def bare_app(service: str, failing: Callable[[], None] | None = None) -> Flask:
    """The chassis's app as every service starts from it, with checks that pass (or one that fails)."""
    checks = {"db": lambda: None, "broker": lambda: None, "storage": lambda: None}
    if failing is not None:
        checks["broker"] = failing
    return create_service_app(service, checks)


def bare_document(service: str) -> dict[str, Any]:
    """``service``'s document cut down to what the bare app serves, whatever routes the service has."""
    raw = Document.load(service).raw
    raw["paths"] = {path: item for path, item in raw["paths"].items() if path in BARE_PATHS}
    return raw


def refuse() -> None:
    raise ConnectionRefusedError("[Errno 111] Connection refused")


def test_the_unready_answer_matches_the_documented_503() -> None:
    app, document = bare_app("identity", failing=refuse), Document(bare_document("identity"))
    response = app.test_client().get("/health/ready", headers={"X-Request-ID": REQUEST_ID})
    assert response.status_code == 503
    assert response_problems(document, "/health/ready", "get", response) == []
    assert response.get_json()["checks"]["broker"] == {
        "status": "down",
        "error": "ConnectionRefusedError: [Errno 111] Connection refused",
    }


def test_an_undocumented_route_and_an_unserved_operation_are_caught() -> None:
    app = bare_app("identity")
    app.add_url_rule("/api/identity/v1/cases/<int:case_id>", "case", lambda case_id: {}, methods=["GET", "POST"])
    raw = bare_document("identity")
    raw["paths"]["/health/live"]["post"] = raw["paths"]["/health/live"]["get"]
    raw["paths"]["/api/identity/v1/gone"] = {"get": raw["paths"]["/metrics"]["get"]}
    del raw["paths"]["/metrics"]
    assert set(route_problems(app, Document(raw))) == {
        "documented path /api/identity/v1/gone is not a route of the app",
        "route /api/identity/v1/cases/{case_id} (GET, HEAD, OPTIONS, POST) is not documented",
        "POST /health/live is documented but not served",
        "route /metrics (GET, HEAD, OPTIONS) is not documented",
    }


def test_a_method_served_but_not_documented_is_caught() -> None:
    app = bare_app("identity")
    app.add_url_rule("/api/identity/v1/cases", "cases", lambda: {}, methods=["GET", "POST"])
    raw = bare_document("identity")
    raw["paths"]["/api/identity/v1/cases"] = {"get": raw["paths"]["/health/live"]["get"]}
    assert route_problems(app, Document(raw)) == ["POST /api/identity/v1/cases is served but not documented"]


def test_a_body_status_media_type_or_header_off_the_document_is_caught() -> None:
    raw = bare_document("identity")
    raw["components"]["schemas"]["Liveness"]["properties"]["status"] = {"const": "alive"}
    raw["paths"]["/health/ready"]["get"]["responses"].pop("200")
    raw["paths"]["/metrics"]["get"]["responses"]["200"]["content"] = {"application/json": {"schema": {}}}
    raw["components"]["headers"]["RequestId"]["schema"]["pattern"] = "^[0-9]+$"
    problems = documented_get_problems(bare_app("identity"), Document(raw))
    assert "GET /health/live -> 200: body status: 'alive' was expected" in problems
    assert "GET /health/ready -> 200: status not documented (documented: 503, 500)" in problems
    assert "GET /metrics -> 200: media type 'text/plain' not documented (documented: application/json)" in problems
    assert any(p.startswith("GET /health/live -> 200: header X-Request-ID:") for p in problems)


def test_path_parameters_are_filled_from_the_document() -> None:
    raw = bare_document("identity")
    raw["paths"]["/api/identity/v1/cases/{case_id}/parties/{n}"] = {
        "parameters": [{"name": "case_id", "in": "path", "required": True, "schema": {"type": "string"}}],
        "get": {
            "parameters": [
                {"name": "n", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 3}},
                {"name": "sort", "in": "query", "required": True, "schema": {"enum": ["name", "date"]}},
                {"name": "page", "in": "query", "schema": {"type": "integer"}},
            ],
            "responses": {"200": {"description": "ok"}},
        },
    }
    url, headers = documented_request(Document(raw), "/api/identity/v1/cases/{case_id}/parties/{n}", "get")
    assert url == "/api/identity/v1/cases/contract-test/parties/3?sort=name"
    assert headers == {"X-Request-ID": REQUEST_ID}
