"""The contracts hold together: schemas are valid and versioned as contracts/README.md says, every
event type has a golden example that the chassis accepts, and the OpenAPI documents are valid and keep
the HTTP conventions.

Each check is a function of a contracts folder returning the problems it found, so the same code
runs on the real folder (which must have none) and on broken copies in ``tmp_path`` (which must be
caught).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from chassis.messaging.envelope import Envelope, new_event
from chassis.messaging.schemas import SCHEMA_SUFFIX, InvalidEvent, SchemaRegistry
from chassis.testing import probe

CONTRACTS = Path(__file__).resolve().parent
REPOSITORY = CONTRACTS.parent
DIALECT = "https://json-schema.org/draft/2020-12/schema"

TYPE = r"[a-z]+\.[a-z_]+\.[a-z_]+"
SCHEMA_NAME = re.compile(rf"^(?P<type>{TYPE})\.v(?P<major>[1-9][0-9]*){re.escape(SCHEMA_SUFFIX)}$")
SNAPSHOT_NAME = re.compile(
    rf"^(?P<type>{TYPE})\.v(?P<major>[1-9][0-9]*)\.(?P<minor>0|[1-9][0-9]*){re.escape(SCHEMA_SUFFIX)}$"
)
EXAMPLE_NAME = re.compile(rf"^(?P<type>{TYPE})\.v(?P<major>[1-9][0-9]*)\.json$")

# Keywords that describe a schema without constraining anything; a new minor may change them.
ANNOTATIONS = frozenset({"title", "description", "$comment", "examples"})
# Where a schema keeps its subschemas, so the walk below never mistakes a property's name for a keyword.
SUBSCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
SUBSCHEMA = (
    "items",
    "additionalItems",
    "unevaluatedItems",
    "contains",
    "additionalProperties",
    "unevaluatedProperties",
    "propertyNames",
    "not",
    "if",
    "then",
    "else",
)
SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")

# Paths every web process serves besides its API.
OPERATIONS_PATHS = ("/health/live", "/health/ready", "/metrics")
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
PROBLEM_REF = "#/components/schemas/Problem"


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------


def entries(folder: Path) -> list[Path]:
    """The files of ``folder`` in name order, without hidden ones (``.gitkeep`` keeps an empty folder in git)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if not p.name.startswith("."))


def load_json(path: Path) -> tuple[Any, str | None]:
    """The parsed file, or None and why it could not be read."""
    try:
        return json.loads(path.read_text(encoding="utf-8")), None
    except (OSError, ValueError) as exc:
        return None, f"{path.name}: not readable JSON: {exc}"


def subschemas(schema: Any, pointer: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every (JSON pointer, schema object) inside ``schema``, itself included."""
    if not isinstance(schema, dict):
        return
    yield pointer or "/", schema
    for keyword in SUBSCHEMA_MAPS:
        for name, sub in (schema.get(keyword) or {}).items():
            yield from subschemas(sub, f"{pointer}/{keyword}/{name}")
    for keyword in SUBSCHEMA:
        if keyword in schema:
            yield from subschemas(schema[keyword], f"{pointer}/{keyword}")
    for keyword in SUBSCHEMA_LISTS:
        for index, sub in enumerate(schema.get(keyword) or []):
            yield from subschemas(sub, f"{pointer}/{keyword}/{index}")


def parse_dataversion(dataversion: str) -> tuple[int, int]:
    """``"2"`` -> (2, 0); ``"2.3"`` -> (2, 3)."""
    major, _, minor = dataversion.partition(".")
    return int(major), int(minor or 0)


# ---------------------------------------------------------------------------------------------
# Schemas
# ---------------------------------------------------------------------------------------------


def schema_file_problems(path: Path) -> list[str]:
    """A schema file is valid Draft 2020-12, says so, and has an ``$id`` and a ``title``."""
    schema, error = load_json(path)
    if error:
        return [error]
    if not isinstance(schema, dict):
        return [f"{path.name}: a schema must be a JSON object"]
    problems = []
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        problems.append(f"{path.name}: not a valid Draft 2020-12 schema: {exc.message}")
    if schema.get("$schema") != DIALECT:
        problems.append(f"{path.name}: $schema must be {DIALECT}")
    for keyword in ("$id", "title"):
        if not isinstance(schema.get(keyword), str) or not schema[keyword].strip():
            problems.append(f"{path.name}: {keyword} is missing")
    return problems


def data_schema_problems(path: Path, event_type: str, major: int) -> list[str]:
    """The rules of an event's ``data`` schema: identity, aggregate_version, open objects, no bytes."""
    schema, error = load_json(path)
    if error:
        return [error]
    if not isinstance(schema, dict):
        return [f"{path.name}: a schema must be a JSON object"]
    problems = []
    expected_id = f"urn:icms:contracts:{event_type}:v{major}"
    if schema.get("$id") != expected_id:
        problems.append(f"{path.name}: $id must be {expected_id!r}, not {schema.get('$id')!r}")
    if schema.get("type") != "object":
        problems.append(f'{path.name}: data must be an object schema ("type": "object")')
    if "aggregate_version" not in (schema.get("required") or []):
        problems.append(f"{path.name}: aggregate_version must be required")
    version = (schema.get("properties") or {}).get("aggregate_version")
    if not isinstance(version, dict) or version.get("type") != "integer":
        problems.append(f"{path.name}: aggregate_version must be declared an integer")
    for pointer, sub in subschemas(schema):
        for keyword in ("additionalProperties", "unevaluatedProperties"):
            if sub.get(keyword) is False:
                problems.append(
                    f"{path.name}: {keyword} false at {pointer}: objects stay open so that a new minor can add "
                    "optional fields and consumers ignore what they do not know"
                )
        for keyword in ("contentEncoding", "contentMediaType"):
            if keyword in sub:
                problems.append(
                    f"{path.name}: {keyword} at {pointer}: events carry references (object key + SHA-256), "
                    "never document bytes"
                )
    return problems


def all_schema_files_problems(contracts: Path) -> list[str]:
    """Every ``*.schema.json`` under ``contracts``."""
    problems = []
    for path in sorted(contracts.rglob(f"*{SCHEMA_SUFFIX}")):
        problems += schema_file_problems(path)
    return problems


def event_schema_problems(events: Path) -> list[str]:
    """Every schema in ``events``: named ``<type>.v<major>.schema.json`` and following the data rules."""
    problems = []
    for path in entries(events):
        match = SCHEMA_NAME.match(path.name)
        if match is None:
            problems.append(f"events/{path.name}: not named <producer>.<aggregate>.<past_tense>.v<major>.schema.json")
            continue
        problems += data_schema_problems(path, match["type"], int(match["major"]))
    return problems


# ---------------------------------------------------------------------------------------------
# Examples
# ---------------------------------------------------------------------------------------------


def example_problems(contracts: Path) -> list[str]:
    """Golden examples: one per event schema, none without, each valid through the chassis's registry."""
    events, examples = contracts / "events", contracts / "examples"
    try:
        registry = SchemaRegistry.load(contracts)
    except Exception as exc:  # whatever stops the registry loading is a problem to report, not to crash on
        return [f"the chassis's SchemaRegistry cannot load {contracts}: {type(exc).__name__}: {exc}"]
    released = released_minors(contracts / "released")
    schema_keys = {p.name.removesuffix(SCHEMA_SUFFIX) for p in events.glob(f"*{SCHEMA_SUFFIX}")}
    example_keys: set[str] = set()
    problems = []
    for path in entries(examples):
        match = EXAMPLE_NAME.match(path.name)
        if match is None:
            problems.append(f"examples/{path.name}: not named <type>.v<major>.json")
            continue
        key = path.name.removesuffix(".json")
        example_keys.add(key)
        body, error = load_json(path)
        if error:
            problems.append(f"examples/{error}")
            continue
        try:
            registry.validate(body)
        except (InvalidEvent, KeyError, TypeError, AttributeError) as exc:
            problems.append(f"examples/{path.name}: rejected by the chassis: {exc}")
            continue
        event = Envelope.from_dict(body)
        if event.type != match["type"]:
            problems.append(f"examples/{path.name}: type is {event.type!r}, the file name says {match['type']!r}")
        major, minor = parse_dataversion(event.dataversion)
        if major != int(match["major"]):
            problems.append(f"examples/{path.name}: dataversion {event.dataversion!r} is not major {match['major']}")
        if event.source != f"/{event.producer}":
            problems.append(f"examples/{path.name}: source must be '/{event.producer}', the producer named by its type")
        if event.to_dict() != body:
            problems.append(f"examples/{path.name}: does not survive Envelope.from_dict(...).to_dict() unchanged")
        latest = max(released.get(key, {0: None}))
        if minor != latest:
            problems.append(
                f"examples/{path.name}: dataversion {event.dataversion!r} must name the latest minor, {latest}"
            )
    for key in sorted(schema_keys - example_keys):
        problems.append(f"events/{key}{SCHEMA_SUFFIX} has no example: add examples/{key}.json")
    for key in sorted(example_keys - schema_keys):
        problems.append(f"examples/{key}.json has no schema: add events/{key}{SCHEMA_SUFFIX}")
    return problems


# ---------------------------------------------------------------------------------------------
# Released snapshots
# ---------------------------------------------------------------------------------------------


def released_minors(released: Path) -> dict[str, dict[int, Path]]:
    """``<type>.v<major>`` -> minor -> snapshot file."""
    found: dict[str, dict[int, Path]] = {}
    for path in entries(released):
        match = SNAPSHOT_NAME.match(path.name)
        if match:
            found.setdefault(f"{match['type']}.v{match['major']}", {})[int(match["minor"])] = path
    return found


def additive_problems(older: dict[str, Any], newer: dict[str, Any]) -> list[str]:
    """What makes ``newer`` more than an additive, optional change of ``older`` (empty if nothing)."""
    problems = []
    old_properties, new_properties = older.get("properties") or {}, newer.get("properties") or {}
    for name, definition in old_properties.items():
        if name not in new_properties:
            problems.append(f"property {name!r} removed")
        elif new_properties[name] != definition:
            problems.append(f"property {name!r} changed")
    ignored = ANNOTATIONS | {"properties"}
    old_rest = {k: v for k, v in older.items() if k not in ignored}
    new_rest = {k: v for k, v in newer.items() if k not in ignored}
    for keyword in sorted(old_rest.keys() | new_rest.keys()):
        if old_rest.get(keyword) != new_rest.get(keyword):
            problems.append(f"{keyword!r} changed")
    return problems


def released_problems(contracts: Path) -> list[str]:
    """Every event schema is released as contiguous, additive minors and equals its latest snapshot."""
    released = contracts / "released"
    problems = []
    for path in entries(released):
        if SNAPSHOT_NAME.match(path.name) is None:
            problems.append(f"released/{path.name}: not named <type>.v<major>.<minor>.schema.json")
    snapshots = released_minors(released)
    for key in sorted(snapshots):
        if not (contracts / "events" / f"{key}{SCHEMA_SUFFIX}").is_file():
            problems.append(f"released/{key}.*: no events/{key}{SCHEMA_SUFFIX}; a retired major's snapshots go with it")
    for path in sorted((contracts / "events").glob(f"*{SCHEMA_SUFFIX}")):
        key = path.name.removesuffix(SCHEMA_SUFFIX)
        minors = snapshots.get(key, {})
        if not minors:
            problems.append(f"events/{path.name} is not released: copy it to released/{key}.0{SCHEMA_SUFFIX}")
            continue
        if sorted(minors) != list(range(len(minors))):
            problems.append(f"released/{key}.*: minors {sorted(minors)} must run from 0 without a gap")
            continue
        schemas = []
        for minor in range(len(minors)):
            snapshot, error = load_json(minors[minor])
            if error:
                problems.append(f"released/{error}")
                break
            schemas.append(snapshot)
        else:
            for minor in range(1, len(schemas)):
                for problem in additive_problems(schemas[minor - 1], schemas[minor]):
                    problems.append(f"released/{key}.{minor}: not additive over minor {minor - 1}: {problem}")
            current, error = load_json(path)
            if error:
                problems.append(f"events/{error}")
            elif current != schemas[-1]:
                latest = len(schemas) - 1
                problems.append(
                    f"events/{path.name} differs from its released minor {latest}: a released schema never changes; "
                    f"an additive change is released as released/{key}.{latest + 1}{SCHEMA_SUFFIX}"
                )
    return problems


def released_snapshot_problems(contracts: Path) -> list[str]:
    """Snapshots are data schemas too."""
    problems = []
    for minors in released_minors(contracts / "released").values():
        for path in minors.values():
            match = SNAPSHOT_NAME.match(path.name)
            assert match is not None
            problems += data_schema_problems(path, match["type"], int(match["major"]))
    return problems


def contract_problems(contracts: Path) -> list[str]:
    """Every event-side check on one contracts folder."""
    return (
        all_schema_files_problems(contracts)
        + event_schema_problems(contracts / "events")
        + released_snapshot_problems(contracts)
        + released_problems(contracts)
        + example_problems(contracts)
    )


# ---------------------------------------------------------------------------------------------
# OpenAPI
# ---------------------------------------------------------------------------------------------


def resolve(document: dict[str, Any], node: Any) -> Any:
    """``node``, following a local ``$ref`` (of a response, header or parameter) if it is one."""
    seen = 0
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/"):
        target: Any = document
        for part in node["$ref"][2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
        seen += 1
        if seen > 20:
            raise ValueError("$ref cycle")
    return node


def refers_to(schema: Any, ref: str) -> bool:
    """Whether ``schema`` is ``ref`` or builds on it through ``allOf``."""
    if not isinstance(schema, dict):
        return False
    return schema.get("$ref") == ref or any(refers_to(part, ref) for part in schema.get("allOf") or [])


def web_services() -> list[str]:
    """Every deployable web process: a service with an HTTP entrypoint (the chassis is a library)."""
    return sorted(p.parents[3].name for p in REPOSITORY.glob("services/*/src/*/entrypoints/http.py"))


def openapi_problems(path: Path, service: str) -> list[str]:
    """One OpenAPI document: valid 3.1, loadable by schemathesis, and keeping the HTTP conventions."""
    import schemathesis
    from openapi_spec_validator import OpenAPIV31SpecValidator
    from schemathesis.core.result import Err

    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        return [f"{path.name}: not readable YAML: {exc}"]
    if not isinstance(document, dict):
        return [f"{path.name}: not an OpenAPI document"]
    if not str(document.get("openapi", "")).startswith("3.1."):
        return [f"{path.name}: must be OpenAPI 3.1"]
    problems = [
        f"{path.name}: {'/'.join(str(p) for p in error.absolute_path) or '(root)'}: {error.message}"
        for error in OpenAPIV31SpecValidator(document).iter_errors()
    ]
    if problems:
        return problems
    try:
        loaded = schemathesis.openapi.from_path(str(path))
        loaded.validate()
        for result in loaded.get_all_operations():
            if isinstance(result, Err):
                problems.append(f"{path.name}: schemathesis cannot use an operation: {result.err()}")
    except Exception as exc:  # schemathesis raises several kinds for a document it cannot use
        problems.append(f"{path.name}: schemathesis cannot load it: {type(exc).__name__}: {exc}")

    for server in document.get("servers") or [{"url": "/"}]:
        if not server.get("url", "").startswith("/"):
            problems.append(f"{path.name}: server {server.get('url')!r} must be relative")
    problem = (document.get("components") or {}).get("schemas", {}).get("Problem")
    if not isinstance(problem, dict):
        problems.append(f"{path.name}: components/schemas/Problem is missing")
    else:
        if not {"type", "title", "status"} <= set(problem.get("required") or []):
            problems.append(f"{path.name}: Problem must require type, title and status")
        pattern = ((problem.get("properties") or {}).get("type") or {}).get("pattern", "")
        if not pattern.startswith("^urn:icms:problem:"):
            problems.append(f"{path.name}: Problem's type must be constrained to urn:icms:problem:<kind>")
        if "errors" not in (problem.get("properties") or {}):
            problems.append(f"{path.name}: Problem must describe errors [{{field, message}}]")

    paths = document.get("paths") or {}
    for required in OPERATIONS_PATHS:
        if "get" not in (paths.get(required) or {}):
            problems.append(f"{path.name}: GET {required} is not documented")
    api_prefix = re.compile(rf"^/api/{re.escape(service)}/v[1-9][0-9]*/")
    for route, item in paths.items():
        allowed = (
            route in OPERATIONS_PATHS
            or route.startswith("/.well-known/")
            or bool(api_prefix.match(route))
            or (service == "gateway" and route.startswith("/api/{service}"))
        )
        if not allowed:
            problems.append(f"{path.name}: {route} is outside /api/{service}/v<major>/ and the operations paths")
        for method in HTTP_METHODS:
            if method not in item:
                continue
            operation = item[method]
            where = f"{path.name}: {method.upper()} {route}"
            if not operation.get("operationId"):
                problems.append(f"{where}: operationId is missing")
            if not operation.get("responses"):
                problems.append(f"{where}: responses are not documented")
            for status, response in (operation.get("responses") or {}).items():
                response = resolve(document, response)
                headers = response.get("headers") or {}
                if "X-Request-ID" not in headers:
                    problems.append(f"{where} {status}: X-Request-ID header is not documented")
                is_error = str(status)[0] in "45" and str(status) != "default"
                if is_error and not (route == "/health/ready" and str(status) == "503"):
                    content = response.get("content") or {}
                    media = content.get("application/problem+json")
                    if set(content) != {"application/problem+json"} or not refers_to(media.get("schema"), PROBLEM_REF):
                        problems.append(f"{where} {status}: must be application/problem+json with {PROBLEM_REF}")
    return problems


# ---------------------------------------------------------------------------------------------
# The real contracts
# ---------------------------------------------------------------------------------------------


def test_every_schema_file_is_valid_draft_2020_12_with_id_and_title() -> None:
    schema_files = sorted(CONTRACTS.rglob(f"*{SCHEMA_SUFFIX}"))
    assert CONTRACTS / "envelope.v1.schema.json" in schema_files
    assert all_schema_files_problems(CONTRACTS) == []


def test_event_schemas_require_aggregate_version_stay_open_and_carry_no_bytes() -> None:
    assert event_schema_problems(CONTRACTS / "events") == []
    assert released_snapshot_problems(CONTRACTS) == []


def test_every_event_schema_has_one_golden_example_that_the_chassis_accepts() -> None:
    assert example_problems(CONTRACTS) == []


def test_released_schemas_are_unchanged_and_minors_are_additive() -> None:
    assert released_problems(CONTRACTS) == []


def test_the_chassis_loads_every_contract_into_its_registry() -> None:
    registry = SchemaRegistry.load(CONTRACTS)
    on_disk = {p.name.removesuffix(SCHEMA_SUFFIX) for p in (CONTRACTS / "events").glob(f"*{SCHEMA_SUFFIX}")}
    assert registry.routing_keys == on_disk


def test_probe_schemas_of_the_chassis_tests_follow_the_same_rules() -> None:
    probe_files = sorted(probe.SCHEMAS.glob(f"*{SCHEMA_SUFFIX}"))
    assert probe_files, f"no probe schemas in {probe.SCHEMAS}"
    problems = []
    for path in probe_files:
        match = SCHEMA_NAME.match(path.name)
        assert match is not None, path.name
        problems += schema_file_problems(path) + data_schema_problems(path, match["type"], int(match["major"]))
    assert problems == []


def test_probe_schemas_share_no_routing_key_with_the_contracts() -> None:
    contract_keys = SchemaRegistry.load(CONTRACTS).routing_keys
    probe_keys = {p.name.removesuffix(SCHEMA_SUFFIX) for p in probe.SCHEMAS.glob(f"*{SCHEMA_SUFFIX}")}
    assert probe_keys
    assert contract_keys.isdisjoint(probe_keys)


def test_a_probe_event_validates_through_the_registry_with_the_contracts() -> None:
    registry = SchemaRegistry.load(CONTRACTS, [probe.SCHEMAS])
    event = new_event(probe.EVENT, {"aggregate_version": 1, "item": 7}, source="/probe", subject="probe-1")
    registry.validate(event.to_dict())
    broken = new_event(probe.EVENT, {"aggregate_version": 1, "item": -1}, source="/probe", subject="probe-1")
    with pytest.raises(InvalidEvent, match="item"):
        registry.validate(broken.to_dict())


def test_the_folders_the_chassis_needs_are_kept_in_a_fresh_clone() -> None:
    # The chassis refuses to start without contracts/events; git keeps no empty folder.
    for folder in ("events", "examples", "released"):
        assert any((CONTRACTS / folder).iterdir()), f"contracts/{folder} is empty: keep its .gitkeep"


def test_there_is_one_openapi_document_per_web_process() -> None:
    services = web_services()
    assert {"identity", "filing", "payments", "search"} <= set(services)
    documents = sorted(p.stem for p in (CONTRACTS / "openapi").glob("*.yaml"))
    assert documents == services


@pytest.mark.parametrize("document", sorted((CONTRACTS / "openapi").glob("*.yaml")), ids=lambda p: p.stem)
def test_openapi_document_is_valid_and_keeps_the_conventions(document: Path) -> None:
    assert openapi_problems(document, document.stem) == []


# ---------------------------------------------------------------------------------------------
# The checks catch what they are for (run on copies in tmp_path)
# ---------------------------------------------------------------------------------------------

EVENT_TYPE = "filing.document.accepted"
KEY = f"{EVENT_TYPE}.v1"
GOOD_SCHEMA: dict[str, Any] = {
    "$schema": DIALECT,
    "$id": f"urn:icms:contracts:{EVENT_TYPE}:v1",
    "title": f"{EVENT_TYPE} v1",
    "type": "object",
    "required": ["aggregate_version", "case_id", "document"],
    "properties": {
        "aggregate_version": {"type": "integer", "minimum": 1},
        "case_id": {"type": "string", "minLength": 1},
        "document": {
            "type": "object",
            "required": ["key", "sha256"],
            "properties": {"key": {"type": "string"}, "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"}},
        },
    },
}
GOOD_EXAMPLE: dict[str, Any] = {
    "specversion": "1.0",
    "id": "6f1c9a52-8a86-4b5e-9c1e-0d8f3f0c2a11",
    "source": "/filing",
    "type": EVENT_TYPE,
    "time": "2025-03-03T01:30:00Z",
    "subject": "HCA-2025-000123",
    "datacontenttype": "application/json",
    "dataversion": "1",
    "data": {
        "aggregate_version": 3,
        "case_id": "HCA-2025-000123",
        "document": {"key": "cases/HCA-2025-000123/d1.pdf", "sha256": "ab" * 32},
    },
    "correlationid": "req-1",
}


def write_json(path: Path, document: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2))


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A small, correct contracts folder: the real envelope, one event with its snapshot and example."""
    contracts = tmp_path / "contracts"
    for folder in ("events", "examples", "released"):
        (contracts / folder).mkdir(parents=True)
    (contracts / "envelope.v1.schema.json").write_text((CONTRACTS / "envelope.v1.schema.json").read_text())
    write_json(contracts / "events" / f"{KEY}.schema.json", GOOD_SCHEMA)
    write_json(contracts / "released" / f"{KEY}.0.schema.json", GOOD_SCHEMA)
    write_json(contracts / "examples" / f"{KEY}.json", GOOD_EXAMPLE)
    return contracts


def edit_schema(tree: Path, change: dict[str, Any], *, release: bool = True) -> None:
    """Write a changed schema; with ``release`` also as a new snapshot, as an author would."""
    schema = copy.deepcopy(GOOD_SCHEMA) | change
    write_json(tree / "events" / f"{KEY}.schema.json", schema)
    if release:
        write_json(tree / "released" / f"{KEY}.1.schema.json", schema)


def test_a_correct_tree_has_no_problems(tree: Path) -> None:
    assert contract_problems(tree) == []


def test_an_invalid_schema_is_caught(tree: Path) -> None:
    write_json(tree / "events" / "filing.case.opened.v1.schema.json", {"$schema": DIALECT, "type": 5})
    problems = all_schema_files_problems(tree)
    assert any("not a valid Draft 2020-12 schema" in p for p in problems)
    assert any("$id is missing" in p for p in problems)
    assert any("title is missing" in p for p in problems)


def test_unreadable_json_is_caught(tree: Path) -> None:
    (tree / "events" / f"{KEY}.schema.json").write_text("{not json")
    assert any("not readable JSON" in p for p in contract_problems(tree))


def test_a_schema_without_aggregate_version_is_caught(tree: Path) -> None:
    edit_schema(tree, {"required": ["case_id", "document"]})
    assert any("aggregate_version must be required" in p for p in event_schema_problems(tree / "events"))


def test_closed_objects_are_caught_at_the_top_and_nested(tree: Path) -> None:
    nested = copy.deepcopy(GOOD_SCHEMA["properties"])
    nested["document"]["unevaluatedProperties"] = False
    edit_schema(tree, {"additionalProperties": False, "properties": nested})
    problems = event_schema_problems(tree / "events")
    assert any("additionalProperties false at /:" in p for p in problems)
    assert any("unevaluatedProperties false at /properties/document" in p for p in problems)


def test_a_property_named_like_a_keyword_is_not_mistaken_for_one(tree: Path) -> None:
    properties = copy.deepcopy(GOOD_SCHEMA["properties"]) | {"additionalProperties": {"type": "boolean"}}
    edit_schema(tree, {"properties": properties})
    assert event_schema_problems(tree / "events") == []


def test_document_bytes_in_an_event_are_caught(tree: Path) -> None:
    properties = copy.deepcopy(GOOD_SCHEMA["properties"])
    properties["document"]["properties"]["content"] = {"type": "string", "contentEncoding": "base64"}
    edit_schema(tree, {"properties": properties})
    assert any("contentEncoding at /properties/document/properties/content" in p for p in contract_problems(tree))


def test_a_badly_named_or_identified_schema_is_caught(tree: Path) -> None:
    write_json(tree / "events" / "FilingAccepted.schema.json", GOOD_SCHEMA)
    edit_schema(tree, {"$id": "urn:icms:contracts:filing.document.accepted:v2"})
    problems = event_schema_problems(tree / "events")
    assert any("FilingAccepted.schema.json: not named" in p for p in problems)
    assert any("$id must be" in p for p in problems)


def test_an_example_breaking_its_data_schema_is_caught(tree: Path) -> None:
    example = copy.deepcopy(GOOD_EXAMPLE)
    example["data"]["document"]["sha256"] = "not-a-digest"
    write_json(tree / "examples" / f"{KEY}.json", example)
    problems = example_problems(tree)
    assert len(problems) == 1
    assert "rejected by the chassis" in problems[0]
    assert "data/document/sha256" in problems[0] or "document" in problems[0]


def test_an_example_breaking_the_envelope_is_caught(tree: Path) -> None:
    example = copy.deepcopy(GOOD_EXAMPLE)
    del example["subject"]
    write_json(tree / "examples" / f"{KEY}.json", example)
    assert any("envelope invalid" in p for p in example_problems(tree))


def test_an_example_named_for_another_type_or_major_is_caught(tree: Path) -> None:
    (tree / "examples" / f"{KEY}.json").unlink()
    write_json(tree / "examples" / "filing.document.rejected.v1.json", GOOD_EXAMPLE)
    write_json(tree / "events" / "filing.document.rejected.v1.schema.json", GOOD_SCHEMA)
    write_json(tree / "examples" / f"{EVENT_TYPE}.v2.json", GOOD_EXAMPLE)
    write_json(tree / "events" / f"{EVENT_TYPE}.v2.schema.json", GOOD_SCHEMA)
    problems = example_problems(tree)
    assert any("filing.document.rejected.v1.json: type is 'filing.document.accepted'" in p for p in problems)
    assert any(f"{EVENT_TYPE}.v2.json: dataversion '1' is not major 2" in p for p in problems)


def test_an_example_from_the_wrong_source_is_caught(tree: Path) -> None:
    write_json(tree / "examples" / f"{KEY}.json", GOOD_EXAMPLE | {"source": "/payments"})
    assert any("source must be '/filing'" in p for p in example_problems(tree))


def test_a_schema_without_an_example_and_an_example_without_a_schema_are_caught(tree: Path) -> None:
    write_json(tree / "events" / "filing.case.opened.v1.schema.json", GOOD_SCHEMA)
    write_json(tree / "examples" / "filing.case.closed.v1.json", GOOD_EXAMPLE)
    problems = example_problems(tree)
    assert any("events/filing.case.opened.v1.schema.json has no example" in p for p in problems)
    # The orphan example names a type with no schema, so the chassis refuses it too.
    assert any("examples/filing.case.closed.v1.json has no schema" in p for p in problems)


def test_editing_a_released_schema_in_place_is_caught(tree: Path) -> None:
    properties = copy.deepcopy(GOOD_SCHEMA["properties"]) | {"court": {"type": "string"}}
    edit_schema(tree, {"properties": properties}, release=False)
    assert any("differs from its released minor 0" in p for p in released_problems(tree))


def test_an_unreleased_schema_is_caught(tree: Path) -> None:
    (tree / "released" / f"{KEY}.0.schema.json").unlink()
    assert any("is not released" in p for p in released_problems(tree))


def test_an_additive_minor_is_accepted_and_its_example_must_name_it(tree: Path) -> None:
    properties = copy.deepcopy(GOOD_SCHEMA["properties"]) | {"court": {"type": "string"}}
    edit_schema(tree, {"properties": properties, "description": "now with the court"})
    assert released_problems(tree) == []
    assert any("must name the latest minor, 1" in p for p in example_problems(tree))
    write_json(tree / "examples" / f"{KEY}.json", GOOD_EXAMPLE | {"dataversion": "1.1"})
    assert contract_problems(tree) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"required": ["aggregate_version", "case_id", "document", "court"]}, "'required' changed"),
        ({"properties": {k: v for k, v in GOOD_SCHEMA["properties"].items() if k != "case_id"}}, "'case_id' removed"),
        ({"properties": GOOD_SCHEMA["properties"] | {"case_id": {"type": "integer"}}}, "'case_id' changed"),
        ({"minProperties": 4}, "'minProperties' changed"),
    ],
    ids=["new-required", "removed", "retyped", "new-constraint"],
)
def test_a_breaking_minor_is_caught_even_when_released(tree: Path, change: dict[str, Any], expected: str) -> None:
    edit_schema(tree, change)
    problems = released_problems(tree)
    assert any(expected in p and "not additive over minor 0" in p for p in problems), problems


def test_a_gap_in_minors_and_an_orphan_snapshot_are_caught(tree: Path) -> None:
    write_json(tree / "released" / f"{KEY}.2.schema.json", GOOD_SCHEMA)
    write_json(tree / "released" / "filing.case.opened.v1.0.schema.json", GOOD_SCHEMA)
    problems = released_problems(tree)
    assert any("must run from 0 without a gap" in p for p in problems)
    assert any("released/filing.case.opened.v1.*: no events/" in p for p in problems)


def test_a_registry_that_cannot_load_is_reported_not_raised(tree: Path) -> None:
    write_json(tree / "events" / "filing.case.opened.v1.schema.json", {"type": "nonsense"})
    problems = example_problems(tree)
    assert len(problems) == 1
    assert "SchemaRegistry cannot load" in problems[0]


@pytest.fixture
def openapi_copy(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    """A copy of identity's document to break."""
    path = tmp_path / "identity.yaml"
    document = yaml.safe_load((CONTRACTS / "openapi" / "identity.yaml").read_text())
    return path, document


def test_an_intact_openapi_copy_has_no_problems(openapi_copy: tuple[Path, dict[str, Any]]) -> None:
    path, document = openapi_copy
    path.write_text(yaml.safe_dump(document))
    assert openapi_problems(path, "identity") == []


def test_an_invalid_openapi_document_is_caught(openapi_copy: tuple[Path, dict[str, Any]]) -> None:
    path, document = openapi_copy
    del document["paths"]["/health/live"]["get"]["responses"]["200"]["description"]
    document["info"].pop("title")
    path.write_text(yaml.safe_dump(document))
    problems = openapi_problems(path, "identity")
    assert any("paths//health/live/get/responses/200: 'description' is a required" in p for p in problems), problems
    assert any("info: 'title' is a required property" in p for p in problems), problems


def test_an_operation_without_responses_is_caught(openapi_copy: tuple[Path, dict[str, Any]]) -> None:
    # OpenAPI 3.1 lets an operation omit its responses; ours may not, or nothing could be checked.
    path, document = openapi_copy
    del document["paths"]["/health/live"]["get"]["responses"]
    path.write_text(yaml.safe_dump(document))
    assert "identity.yaml: GET /health/live: responses are not documented" in openapi_problems(path, "identity")


def test_openapi_convention_breaches_are_caught(openapi_copy: tuple[Path, dict[str, Any]]) -> None:
    path, document = openapi_copy
    document["servers"] = [{"url": "http://identity.internal:8000"}]
    document["paths"]["/api/identity/cases"] = {
        "get": {
            "operationId": "cases",
            "responses": {
                "200": {"description": "ok"},
                "404": {"description": "nope", "content": {"application/json": {"schema": {"type": "object"}}}},
            },
        }
    }
    del document["paths"]["/metrics"]
    path.write_text(yaml.safe_dump(document))
    problems = openapi_problems(path, "identity")
    assert any("must be relative" in p for p in problems)
    assert any("/api/identity/cases is outside /api/identity/v<major>/" in p for p in problems)
    assert any("GET /api/identity/cases 200: X-Request-ID header is not documented" in p for p in problems)
    assert any("GET /api/identity/cases 404: must be application/problem+json" in p for p in problems)
    assert any("GET /metrics is not documented" in p for p in problems)
