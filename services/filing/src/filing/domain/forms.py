r"""The e-fillable forms that originating documents are made from (DOMAIN.md section 4).

Each form is a JSON Schema (2020-12) in ``filing/forms``; the shared building blocks (party, address,
money, text) live in ``common.schema.json`` and are referred to by ``$ref``. :func:`form_schema`
serves a form with those blocks bundled into its own ``$defs`` and every reference made local, so
the portal renders and checks it without fetching anything else, and the service validates with
exactly the document the portal saw. Patterns test the whole string in a lookahead or end in
``(?![\s\S])`` rather than ``$``: Python's ``re``, unlike the browser's, lets ``$`` match before a final
line break, and a pattern must mean the same on both sides.

:func:`read_originating` turns a valid form into the cases it starts. Case titles follow the court's
short style: the first party of each side, with "and" for a second party and "and Others" for more,
e.g. "CHAN Tai Man v. Wing Fat Construction Company Limited", "CHAN Tai Man and LEE Siu Ming v.
ABC Limited", "CHAN Tai Man and Others v. ABC Limited". Appeals put the appellants first.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from chassis.money import hkd

FORM_IDS: tuple[str, ...] = (
    "writ_dcpi",
    "writ_dccj",
    "writ_hca",
    "writ_hcpi",
    "writ_hccl",
    "notice_of_appeal_cacv",
    "sct_bulk_claims",
)

COMMON_ID = "urn:icms:filing:forms:common"
ROOT_FIELD = "form"
_SCHEMA_SUFFIX = ".schema.json"

#: The list each party sits in, and the role that implies, per form.
_PARTY_LISTS: dict[str, tuple[tuple[str, str], ...]] = {
    "writ_dcpi": (("plaintiffs", "plaintiff"), ("defendants", "defendant")),
    "writ_dccj": (("plaintiffs", "plaintiff"), ("defendants", "defendant")),
    "writ_hca": (("plaintiffs", "plaintiff"), ("defendants", "defendant")),
    "writ_hcpi": (("plaintiffs", "plaintiff"), ("defendants", "defendant")),
    "writ_hccl": (("plaintiffs", "plaintiff"), ("defendants", "defendant")),
    "notice_of_appeal_cacv": (("appellants", "appellant"), ("respondents", "respondent")),
}

#: Dates that lie in the past by their nature; checked only when the caller says what today is.
_PAST_DATES: tuple[tuple[str, ...], ...] = (("date_of_injury",), ("decision_appealed_from", "date_of_decision"))

_DOCUMENT_TITLES = {"notice_of_appeal_cacv": "Notice of Appeal", "sct_bulk_claims": "Claim"}
_WRIT = "Writ of Summons"
_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class FormError:
    """One thing wrong with a form: where (a JSON-pointer-like path such as ``defendants/0/name``, or
    ``form`` for the form as a whole) and what, in words the portal can show beside the field."""

    field: str
    message: str


class InvalidForm(ValueError):
    """A form was read that does not validate."""

    def __init__(self, form_id: str, errors: list[FormError]) -> None:
        super().__init__(f"{form_id}: " + "; ".join(f"{e.field}: {e.message}" for e in errors))
        self.form_id = form_id
        self.errors = errors


@dataclass(frozen=True)
class Address:
    lines: tuple[str, ...]
    district: str | None


@dataclass(frozen=True)
class Party:
    """A party as the form gives it, with the role implied by the list it was in."""

    role: str
    name: str
    name_zh: str | None
    kind: str
    address: Address
    hkid_or_br: str | None


@dataclass(frozen=True)
class Originating:
    """One case a form starts, and what its originating document says.

    ``form_data`` is the part of the form that belongs to this case, itself a valid form of
    ``form_id``: the whole form for a writ or an appeal, and for bulk claims the form with only
    this case's claim in ``claims``.
    """

    form_id: str
    title: str
    document_title: str
    parties: tuple[Party, ...]
    nature_of_claim: str
    amount_claimed_cents: int | None
    form_data: dict[str, Any]


def form_schema(form_id: str) -> dict[str, Any]:
    """The self-contained JSON Schema of ``form_id`` (for ``GET /forms/{form_id}``); KeyError if unknown."""
    return copy.deepcopy(_bundled(_known(form_id)))


def form_catalogue() -> list[dict[str, str]]:
    """Every form, in :data:`FORM_IDS` order, as ``{"id", "title", "description"}``."""
    return [
        {"id": form_id, "title": _bundled(form_id)["title"], "description": _bundled(form_id)["description"]}
        for form_id in FORM_IDS
    ]


def validate_form(form_id: str, data: Any, *, today: date | None = None) -> list[FormError]:
    """Everything wrong with ``data`` as a ``form_id`` form, ordered by field then message; empty if
    valid. With ``today`` (the Hong Kong date) a date of injury or of decision after it is refused too.
    KeyError if the form is unknown."""
    errors = [error for raw in _validator(_known(form_id)).iter_errors(data) for error in _explain(raw)]
    if today is not None and not errors:
        errors += _future_dates(data, today)
    return sorted(set(errors), key=_error_order)


def read_originating(form_id: str, data: dict[str, Any]) -> list[Originating]:
    """The cases a valid ``form_id`` form starts, in order: one for a writ or an appeal, one per claim
    for bulk claims. KeyError if the form is unknown; :class:`InvalidForm` if ``data`` is not valid."""
    errors = validate_form(form_id, data)
    if errors:
        raise InvalidForm(form_id, errors)
    data = copy.deepcopy(data)
    if form_id == "sct_bulk_claims":
        return [_claim(data, claim) for claim in data["claims"]]
    sides = [[_party(role, raw) for raw in data[key]] for key, role in _PARTY_LISTS[form_id]]
    if form_id == "notice_of_appeal_cacv":
        nature, amount = _appeal_nature(data["decision_appealed_from"]), None
    else:
        nature = data["nature_of_claim"].strip()
        amount = int(data["amount_claimed_cents"]) if "amount_claimed_cents" in data else None
    return [
        Originating(
            form_id=form_id,
            title=case_title(*sides),
            document_title=_DOCUMENT_TITLES.get(form_id, _WRIT),
            parties=tuple(party for side in sides for party in side),
            nature_of_claim=nature,
            amount_claimed_cents=amount,
            form_data=data,
        )
    ]


def choice_label(form_id: str, field: str, value: str) -> str:
    """The title the form gives to ``value`` of the choice at ``field`` (a path of property names such
    as ``decision_appealed_from/court``), e.g. "Banking and financial services"; the value itself if the
    field has no titled choices."""
    node = _bundled(_known(form_id))
    for name in field.split("/"):
        node = node["properties"][name]
    return next((choice["title"] for choice in node.get("oneOf", ()) if choice.get("const") == value), value)


def court_date(day: date) -> str:
    """A date as court documents write it: "20 February 2026"."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def case_title(first_side: list[Party], second_side: list[Party]) -> str:
    """The short title of a case: "A v. B", "A and B v. C", "A and Others v. C"."""
    return f"{_side_title(first_side)} v. {_side_title(second_side)}"


def _side_title(side: list[Party]) -> str:
    if len(side) == 1:
        return side[0].name
    if len(side) == 2:
        return f"{side[0].name} and {side[1].name}"
    return f"{side[0].name} and Others"


def _claim(data: dict[str, Any], claim: dict[str, Any]) -> Originating:
    claimant = _party("claimant", data["claimant"])
    defendant = _party("defendant", claim["defendant"])
    return Originating(
        form_id="sct_bulk_claims",
        title=case_title([claimant], [defendant]),
        document_title=_DOCUMENT_TITLES["sct_bulk_claims"],
        parties=(claimant, defendant),
        nature_of_claim=claim["nature_of_claim"].strip(),
        amount_claimed_cents=int(claim["amount_claimed_cents"]),
        form_data=copy.deepcopy({**{key: value for key, value in data.items() if key != "claims"}, "claims": [claim]}),
    )


def _appeal_nature(decision: dict[str, Any]) -> str:
    on = court_date(date.fromisoformat(decision["date_of_decision"]))
    court = choice_label("notice_of_appeal_cacv", "decision_appealed_from/court", decision["court"])
    return (
        f"Appeal against the {decision['decision_type']} decision of {decision['judge'].strip()} in the "
        f"{court}, {decision['case_number']}, dated {on}"
    )


def _party(role: str, raw: dict[str, Any]) -> Party:
    address = raw["address"]
    return Party(
        role=role,
        name=raw["name"].strip(),
        name_zh=_stripped(raw.get("name_zh")),
        kind=raw["kind"],
        address=Address(
            lines=tuple(line.strip() for line in address["lines"]), district=_stripped(address.get("district"))
        ),
        hkid_or_br=_stripped(raw.get("hkid_or_br")),
    )


def _stripped(value: str | None) -> str | None:
    return None if value is None else value.strip()


def _known(form_id: str) -> str:
    if form_id not in FORM_IDS:
        raise KeyError(form_id)
    return form_id


@cache
def _raw_schema(name: str) -> dict[str, Any]:
    text = resources.files("filing.forms").joinpath(name + _SCHEMA_SUFFIX).read_text(encoding="utf-8")
    return json.loads(text)


@cache
def _bundled(form_id: str) -> dict[str, Any]:
    common = _raw_schema("common")["$defs"]
    schema = copy.deepcopy(_raw_schema(form_id))
    own = schema.get("$defs", {})
    clash = set(own) & set(common)
    if clash:
        raise ValueError(f"form {form_id} defines {sorted(clash)}, which common.schema.json defines too")
    schema["$defs"] = {**own, **copy.deepcopy(common)}
    return _localise_refs(schema)


def _localise_refs(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            key: value.replace(COMMON_ID + "#", "#") if key == "$ref" else _localise_refs(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_localise_refs(item) for item in node]
    return node


@cache
def _validator(form_id: str) -> Draft202012Validator:
    schema = _bundled(form_id)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FormatChecker())


def _pointer(path: list[str | int]) -> str:
    if not path:
        return ROOT_FIELD
    return "/".join(str(part).replace("~", "~0").replace("/", "~1") for part in path)


def _explain(error: ValidationError) -> list[FormError]:
    """Plain words for one schema error; a missing or unknown property is named in the field."""
    path = list(error.absolute_path)
    keyword, expected, instance = error.validator, error.validator_value, error.instance
    if keyword == "required":
        missing = next(name for name in expected if error.message.startswith(repr(name)))
        return [FormError(_pointer([*path, missing]), "is required")]
    if keyword == "additionalProperties":
        known = error.schema.get("properties", {})
        unknown = [name for name in instance if name not in known]
        return [FormError(_pointer([*path, name]), "is not a field of this form") for name in unknown]
    return [FormError(_pointer(path), _message(error, keyword, expected, instance, path))]


def _message(error: ValidationError, keyword: str, expected: Any, instance: Any, path: list[str | int]) -> str:
    money = bool(path) and str(path[-1]).endswith("_cents")
    if keyword == "type":
        return f"must be {_type_words(expected)}"
    if keyword == "oneOf" and all("const" in choice for choice in expected):
        return "must be one of: " + ", ".join(str(choice["const"]) for choice in expected)
    if keyword in ("enum", "const"):
        return "must be one of: " + ", ".join(map(str, expected if keyword == "enum" else [expected]))
    if keyword == "pattern":
        return _pattern_message(instance, error.schema)
    if keyword == "format":
        return "must be a real date written YYYY-MM-DD" if expected == "date" else f"must be a valid {expected}"
    if keyword == "minLength":
        return "must not be empty" if expected == 1 else f"must be at least {expected} characters"
    if keyword == "maxLength":
        return f"must be at most {expected} characters"
    if keyword == "minItems":
        return f"must have at least {expected} {'entry' if expected == 1 else 'entries'}"
    if keyword == "maxItems":
        return f"must have at most {expected} entries"
    if keyword == "minimum":
        return f"must be at least {hkd(expected) if money else expected}"
    if keyword == "maximum":
        return f"must be at most {hkd(expected) if money else expected}"
    return error.message


def _pattern_message(instance: str, schema: dict[str, Any]) -> str:
    if "\x00" in instance:
        return "must not contain the NUL character"
    if not instance.strip():
        return "must not be blank"
    if _CONTROL.search(instance):
        return "must not contain control characters"
    if any(ch in instance for ch in "\t\n\r"):
        return "must be a single line, without tabs"
    examples = schema.get("examples")
    return "is not in the expected form" + (f", e.g. {examples[0]}" if examples else "")


def _type_words(expected: str | list[str]) -> str:
    words = {"object": "an object", "array": "a list", "string": "text", "integer": "a whole number"}
    kinds = [expected] if isinstance(expected, str) else expected
    return " or ".join(words.get(kind, f"a {kind}") for kind in kinds)


def _future_dates(data: dict[str, Any], today: date) -> list[FormError]:
    found = []
    for path in _PAST_DATES:
        node: Any = data
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        if node is not None and date.fromisoformat(node) > today:
            found.append(FormError(_pointer(list(path)), "must not be later than today"))
    return found


def _error_order(error: FormError) -> tuple[list[tuple[int, int | str]], str]:
    parts = [(0, int(part)) if part.isdigit() else (1, part) for part in error.field.split("/")]
    return parts, error.message
