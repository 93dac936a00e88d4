import pytest
from flask import Flask

from chassis.web.app import create_service_app
from chassis.web.problems import FieldError, Problem


def failing() -> None:
    raise ConnectionError("refused")


@pytest.fixture
def app() -> Flask:
    app = create_service_app("probe", {"db": lambda: None, "broker": failing})

    @app.post("/things")
    def make_thing():
        raise Problem(422, "validation", "Invalid thing", "name is missing", [FieldError("/name", "required")])

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    return app


def test_a_problem_becomes_problem_json(app: Flask) -> None:
    response = app.test_client().post("/things")
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert response.json == {
        "type": "urn:icms:problem:validation",
        "title": "Invalid thing",
        "status": 422,
        "detail": "name is missing",
        "errors": [{"field": "/name", "message": "required"}],
    }


def test_unknown_routes_and_methods_are_problems_too(app: Flask) -> None:
    client = app.test_client()
    missing = client.get("/nowhere")
    assert (missing.status_code, missing.mimetype, missing.json["type"]) == (
        404, "application/problem+json", "urn:icms:problem:not-found")  # fmt: skip
    wrong = client.delete("/things")
    assert wrong.status_code == 405
    assert "POST" in wrong.headers["Allow"]


def test_an_unexpected_error_is_a_500_problem_without_internals(app: Flask) -> None:
    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert response.mimetype == "application/problem+json"
    assert "secret internals" not in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)


def test_request_ids_are_kept_when_plain_and_replaced_when_not(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/health/live", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"] == "abc-123"
    generated = client.get("/health/live").headers["X-Request-ID"]
    assert len(generated) == 36
    hostile = client.get("/health/live", headers={"X-Request-ID": "x" * 500}).headers["X-Request-ID"]
    assert hostile != "x" * 500


def test_readiness_names_the_dependency_that_is_down(app: Flask) -> None:
    response = app.test_client().get("/health/ready")
    assert response.status_code == 503
    assert response.json["checks"]["db"] == {"status": "up"}
    assert response.json["checks"]["broker"]["status"] == "down"
    assert "refused" in response.json["checks"]["broker"]["error"]


def test_metrics_count_requests_by_route(app: Flask) -> None:
    client = app.test_client()
    client.get("/health/live")
    text = client.get("/metrics").get_data(as_text=True)
    assert 'icms_http_requests_total{method="GET",route="/health/live",service="probe",status="200"}' in text
