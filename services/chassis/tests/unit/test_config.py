import pytest

from chassis.config import ConfigError, env_bool, env_float, env_int, env_str
from chassis.service import load_settings
from chassis.testing.principals import GATEWAY_SECRET


def test_a_missing_required_variable_is_named_in_the_error() -> None:
    with pytest.raises(ConfigError, match="ICMS_NOTHING"):
        env_str("ICMS_NOTHING", environ={})


def test_an_empty_variable_counts_as_missing() -> None:
    with pytest.raises(ConfigError):
        env_str("ICMS_EMPTY", environ={"ICMS_EMPTY": ""})
    assert env_str("ICMS_EMPTY", "fallback", environ={"ICMS_EMPTY": ""}) == "fallback"


def test_numbers_and_booleans_are_parsed_or_refused_clearly() -> None:
    env = {"N": "42", "F": "0.25", "B": "Yes", "BAD": "lots"}
    assert env_int("N", environ=env) == 42
    assert env_float("F", environ=env) == 0.25
    assert env_bool("B", environ=env) is True
    assert env_int("ABSENT", 7, environ=env) == 7
    with pytest.raises(ConfigError, match="BAD must be an integer"):
        env_int("BAD", environ=env)
    with pytest.raises(ConfigError, match="BAD must be a boolean"):
        env_bool("BAD", environ=env)


@pytest.mark.parametrize("value", ["2", "a/b", "2/2", "-1/2", "0/65"])
def test_a_relay_partition_must_be_a_share_of_the_outbox(value: str) -> None:
    env = {"ICMS_X_DATABASE_URL": "sqlite://", "ICMS_GATEWAY_SECRET": GATEWAY_SECRET, "ICMS_RELAY_PARTITION": value}
    with pytest.raises(ConfigError, match="ICMS_RELAY_PARTITION"):
        load_settings("x", uses_storage=False, environ=env)
    assert load_settings("x", uses_storage=False, environ={**env, "ICMS_RELAY_PARTITION": "1/4"}).relay_partition == (
        1,
        4,
    )


@pytest.mark.parametrize("secret", [None, "", "x" * 31])
def test_the_gateway_secret_is_required_and_long(secret: str | None) -> None:
    env = {"ICMS_X_DATABASE_URL": "sqlite://"} | ({} if secret is None else {"ICMS_GATEWAY_SECRET": secret})
    with pytest.raises(ConfigError, match="ICMS_GATEWAY_SECRET"):
        load_settings("x", uses_storage=False, environ=env)


def test_the_gateway_secret_is_read_and_kept_out_of_reprs() -> None:
    settings = load_settings(
        "x", uses_storage=False, environ={"ICMS_X_DATABASE_URL": "sqlite://", "ICMS_GATEWAY_SECRET": GATEWAY_SECRET}
    )
    assert settings.gateway_secret == GATEWAY_SECRET
    assert GATEWAY_SECRET not in repr(settings)
