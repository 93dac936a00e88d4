import pytest

from chassis.config import contracts_dir
from chassis.messaging.schemas import InvalidEvent, SchemaRegistry
from chassis.testing import probe


@pytest.fixture(scope="module")
def registry() -> SchemaRegistry:
    return SchemaRegistry.load(contracts_dir(), [probe.SCHEMAS])


def test_a_valid_event_passes(registry: SchemaRegistry) -> None:
    registry.validate(probe.item_event(1).to_dict())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda b: b.pop("subject"), "'subject' is a required property"),
        (lambda b: b.update(time="yesterday"), "is not a 'date-time'"),
        (lambda b: b.update(type="Probe Item"), "does not match"),
        (lambda b: b["data"].pop("aggregate_version"), "aggregate_version"),
        (lambda b: b["data"].update(item="one"), "is not of type 'integer'"),
        (lambda b: b.update(type="probe.item.vanished"), "no schema for event probe.item.vanished.v1"),
        (lambda b: b.update(dataversion="2"), "no schema for event probe.item.recorded.v2"),
    ],
)
def test_an_invalid_event_is_refused_with_the_reason(registry: SchemaRegistry, change, message: str) -> None:
    body = probe.item_event(1).to_dict()
    change(body)
    with pytest.raises(InvalidEvent, match=message):
        registry.validate(body)


def test_something_that_is_not_an_object_is_refused(registry: SchemaRegistry) -> None:
    with pytest.raises(InvalidEvent):
        registry.validate(["not", "an", "envelope"])
