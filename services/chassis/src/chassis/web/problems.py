"""Errors as RFC 9457 ``application/problem+json`` with a stable ``type`` for each kind."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException

PROBLEM_JSON = "application/problem+json"
TYPE_PREFIX = "urn:icms:problem:"

log = logging.getLogger(__name__)


@dataclass
class FieldError:
    """One invalid field: a JSON pointer-ish path and what is wrong with it."""

    field: str
    message: str


@dataclass
class Problem(Exception):
    """An error a client can act on. ``kind`` becomes the stable type ``urn:icms:problem:<kind>``.

    ``extra`` adds members to the document; ``headers`` are set on the response (e.g. ``WWW-Authenticate``).
    """

    status: int
    kind: str
    title: str
    detail: str = ""
    errors: list[FieldError] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        """The problem document."""
        document: dict[str, Any] = {"type": TYPE_PREFIX + self.kind, "title": self.title, "status": self.status}
        if self.detail:
            document["detail"] = self.detail
        if self.errors:
            document["errors"] = [{"field": e.field, "message": e.message} for e in self.errors]
        document.update(self.extra)
        return document


def invalid(errors: list[FieldError], detail: str = "The request has invalid fields.") -> Problem:
    """A 400 naming every bad field."""
    return Problem(400, "invalid-request", "Invalid request", detail, errors=errors)


def invalid_field(field: str, message: str) -> Problem:
    """A 400 naming one bad field."""
    return invalid([FieldError(field, message)])


def unsupported_media_type(detail: str) -> Problem:
    """A 415: the body is not of a media type the endpoint reads."""
    return Problem(415, "unsupported-media-type", "Unsupported media type", detail)


def unauthenticated(detail: str = "Log in first: this needs a valid access token.") -> Problem:
    """A 401: the endpoint needs a logged-in caller."""
    return Problem(401, "unauthenticated", "Authentication required", detail)


def forbidden(detail: str) -> Problem:
    """A 403: the caller is known but its role may not do this."""
    return Problem(403, "forbidden", "Not allowed", detail)


def not_found(what: str) -> Problem:
    """A 404 for ``what``; also the answer to outsiders, so they cannot tell what exists."""
    return Problem(404, "not-found", "Not found", f"No such {what}.")


def conflict(kind: str, title: str, detail: str) -> Problem:
    """A 409: the request clashes with the current state (``kind`` names the clash)."""
    return Problem(409, kind, title, detail)


def problem_response(problem: Problem) -> Response:
    """``problem`` as a Flask response with the problem+json media type."""
    response = jsonify(problem.body())
    response.status_code = problem.status
    response.mimetype = PROBLEM_JSON
    response.headers.update(problem.headers)
    return response


def install_error_handlers(app: Flask) -> None:
    """Turn every error, ours or Werkzeug's or unexpected, into problem+json; never a stack trace."""

    @app.errorhandler(Problem)
    def _problem(problem: Problem) -> Response:
        return problem_response(problem)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        status = exc.code or 500
        kind = (exc.name or "error").lower().replace(" ", "-").replace("'", "")
        response = problem_response(Problem(status, kind, exc.name or "Error", exc.description or ""))
        if status == 405 and exc.response is None:
            allowed = getattr(exc, "valid_methods", None)
            if allowed:
                response.headers["Allow"] = ", ".join(allowed)
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unhandled error")
        return problem_response(
            Problem(500, "internal-error", "Internal error", "The error has been logged; quote the request id.")
        )
