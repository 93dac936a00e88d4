"""Registration -> approval -> login -> tokens, on PostgreSQL, RabbitMQ and S3."""

from __future__ import annotations

import io
import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import jwt
import pytest
import sqlalchemy as sa
from identity_testkit import API, PASSWORD, PDF, User, World

from identity.adapters import signing_keys
from identity.domain.roles import HELP_CENTRE_OFFICER


def outbox_types(world: World) -> list[str]:
    with world.runtime.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT payload FROM outbox ORDER BY id")).scalars()
        return [json.loads(row)["type"] for row in rows]


def test_an_organisation_registers_is_approved_and_its_pa_logs_in_with_totp(world: World) -> None:
    officer = world.staff(HELP_CENTRE_OFFICER)
    answer = world.register("organisation")
    assert answer.status_code == 201, answer.json
    assert answer.json["status"] == "pending_verification"
    pending_user = User(answer.json["account"]["username"])
    # Not verified in person yet: the password alone gets nowhere.
    assert (
        world.call(
            "POST", f"{API}/sessions", json={"username": pending_user.username, "password": PASSWORD}
        ).status_code
        == 401
    )
    queue = world.call("GET", f"{API}/registrations", officer)
    assert [r["id"] for r in queue.json["items"]] == [answer.json["id"]]
    assert "password" not in queue.json["items"][0]["application"]
    assert {d["kind"] for d in queue.json["items"][0]["documents"]} == {"authorisation_letter", "business_registration"}

    pa, decided = world.approved_existing(answer.json, officer)
    me = world.call("GET", f"{API}/me", pa)
    assert me.status_code == 200
    assert (me.json["role"], me.json["status"], me.json["totp_enrolled"]) == ("PA", "active", True)
    claims = world.verify(pa.tokens["access_token"])
    assert claims["roles"] == ["PA"] and claims["org"] == decided["account"]["organisation_id"]
    assert claims["exp"] - claims["iat"] <= 900
    assert {
        "identity.account.registered",
        "identity.organisation.created",
        "identity.branch.created",
        "identity.account.approved",
    } <= set(outbox_types(world))


def test_a_separate_verifier_checks_the_token_with_the_published_jwks_only(world: World) -> None:
    officer = world.staff(HELP_CENTRE_OFFICER)
    user, _ = world.approved("individual", officer)
    published = world.client.get("/.well-known/jwks.json")
    assert published.status_code == 200
    keys = {k["kid"]: k for k in published.json["keys"]}
    token = user.tokens["access_token"]
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "EdDSA" and header["kid"] in keys
    claims = jwt.decode(
        token,
        jwt.PyJWK(keys[header["kid"]]),
        algorithms=["EdDSA"],
        audience="icms",
        issuer="icms-identity",
        options={"verify_iat": False, "verify_exp": False},
    )
    assert claims["sub"] == user.id and claims["account_type"] == "individual" and claims["roles"] == ["IU"]
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(
            forged,
            jwt.PyJWK(keys[header["kid"]]),
            algorithms=["EdDSA"],
            audience="icms",
            options={"verify_iat": False, "verify_exp": False},
        )


def test_a_rejected_application_cannot_log_in_and_says_why(world: World) -> None:
    officer = world.staff(HELP_CENTRE_OFFICER)
    answer = world.register()
    rejected = world.call(
        "POST",
        f"{API}/registrations/{answer.json['id']}/reject",
        officer,
        json={"reason": "Identity document did not match the applicant"},
    )
    assert rejected.status_code == 200 and rejected.json["status"] == "rejected"
    again = world.call("POST", f"{API}/registrations/{answer.json['id']}/approve", officer, json={})
    assert again.status_code == 409
    login = world.call(
        "POST", f"{API}/sessions", json={"username": answer.json["account"]["username"], "password": PASSWORD}
    )
    assert login.status_code == 401
    assert "identity.account.rejected" in outbox_types(world)


def test_refresh_rotates_and_a_reused_refresh_token_revokes_the_whole_family(world_on_each_database: World) -> None:
    world = world_on_each_database
    officer = world.staff(HELP_CENTRE_OFFICER)
    user, _ = world.approved("individual", officer)
    first = user.tokens["refresh_token"]
    second = world.call("POST", f"{API}/sessions/refresh", json={"refresh_token": first})
    assert second.status_code == 200 and second.json["refresh_token"] != first
    third = world.call("POST", f"{API}/sessions/refresh", json={"refresh_token": second.json["refresh_token"]})
    assert third.status_code == 200
    # The first token again: someone replayed it. Every token of the family dies, the newest too.
    replay = world.call("POST", f"{API}/sessions/refresh", json={"refresh_token": first})
    assert replay.status_code == 401
    newest = world.call("POST", f"{API}/sessions/refresh", json={"refresh_token": third.json["refresh_token"]})
    assert newest.status_code == 401
    user.tokens = third.json
    assert world.call("GET", f"{API}/me", user).status_code == 401  # the access token's session is over too
    # A fresh login is a new family and works.
    world.login(user)
    assert world.call("GET", f"{API}/me", user).status_code == 200


def test_five_failures_lock_the_username_for_fifteen_minutes_whether_or_not_it_exists(
    world_on_each_database: World,
) -> None:
    world = world_on_each_database
    officer = world.staff(HELP_CENTRE_OFFICER)
    user, _ = world.approved("individual", officer)
    for name in (user.username, "nobody-by-this-name"):
        answers = [
            world.call("POST", f"{API}/sessions", json={"username": name, "password": "wrong password!!"})
            for _ in range(5)
        ]
        assert {(a.status_code, a.json["type"]) for a in answers} == {(401, "urn:icms:problem:invalid-credentials")}
    locked = world.call("POST", f"{API}/sessions", json={"username": user.username, "password": PASSWORD})
    unknown = world.call("POST", f"{API}/sessions", json={"username": "nobody-by-this-name", "password": PASSWORD})
    assert locked.status_code == unknown.status_code == 401
    assert locked.json == unknown.json  # the same words for a real, locked account and a made-up name
    world.clock.advance(timedelta(minutes=14))
    world.login(user, expect=401)
    world.clock.advance(timedelta(minutes=16))
    world.login(user)


def test_staff_must_give_a_valid_fresh_totp_code(world: World) -> None:
    officer = world.staff(HELP_CENTRE_OFFICER)
    base = {"username": officer.username, "password": PASSWORD}
    assert world.call("POST", f"{API}/sessions", json=base).status_code == 401
    assert world.call("POST", f"{API}/sessions", json={**base, "totp_code": "000000"}).status_code == 401
    code = world.code(officer)
    assert world.call("POST", f"{API}/sessions", json={**base, "totp_code": code}).status_code == 201
    # The same code a second time is a replay.
    assert world.call("POST", f"{API}/sessions", json={**base, "totp_code": code}).status_code == 401


def test_logout_ends_the_session_and_password_change_ends_the_others(world: World) -> None:
    officer = world.staff(HELP_CENTRE_OFFICER)
    user, _ = world.approved("individual", officer)
    other = User(user.username)
    world.login(other)
    change = world.call(
        "POST",
        f"{API}/me/password",
        user,
        json={"current_password": PASSWORD, "new_password": "a brand new passphrase"},
    )
    assert change.status_code == 204
    assert world.call("GET", f"{API}/me", other).status_code == 401
    assert world.call("GET", f"{API}/me", user).status_code == 200
    assert world.call("DELETE", f"{API}/sessions/current", user).status_code == 204
    assert world.call("GET", f"{API}/me", user).status_code == 401
    refreshed = world.call("POST", f"{API}/sessions/refresh", json={"refresh_token": user.tokens["refresh_token"]})
    assert refreshed.status_code == 401
    user.password = "a brand new passphrase"
    world.login(user)


def test_an_iu_enrols_totp_and_then_needs_it(world: World) -> None:
    officer = world.staff(HELP_CENTRE_OFFICER)
    user, _ = world.approved("individual", officer)
    started = world.call("POST", f"{API}/me/totp", user)
    assert started.status_code == 201
    user.totp_secret = started.json["secret"]
    assert world.call("POST", f"{API}/me/totp/confirm", user, json={"code": "123456"}).status_code == 400
    assert world.call("POST", f"{API}/me/totp/confirm", user, json={"code": world.code(user)}).status_code == 204
    secret, user.totp_secret = user.totp_secret, None
    world.login(user, expect=401)
    user.totp_secret = secret
    world.login(user)


def test_key_rotation_keeps_old_tokens_valid_and_new_tokens_use_the_new_key(world: World) -> None:
    officer = world.staff(HELP_CENTRE_OFFICER)
    user, _ = world.approved("individual", officer)
    old_kid = jwt.get_unverified_header(user.tokens["access_token"])["kid"]
    with world.deps.unit_of_work() as uow:
        new = signing_keys.rotate(uow.session, world.clock.now(), timedelta(seconds=600))
        uow.commit()
    kids = {k["kid"] for k in world.client.get("/.well-known/jwks.json").json["keys"]}
    assert kids == {old_kid, new.kid}
    assert world.call("GET", f"{API}/me", user).status_code == 200  # the old token still verifies
    world.login(user)
    assert jwt.get_unverified_header(user.tokens["access_token"])["kid"] == new.kid
    world.clock.advance(timedelta(minutes=16))
    assert {k["kid"] for k in world.client.get("/.well-known/jwks.json").json["keys"]} == {new.kid}


def test_an_oversized_document_is_refused_and_nothing_is_stored(world: World) -> None:
    big = io.BytesIO(PDF + b"0" * (10 * 1024 * 1024))
    answer = world.register(files={"court_document": (big, "huge.pdf")})
    assert answer.status_code == 413 and answer.mimetype == "application/problem+json"
    assert not list(world.deps.store.client.list_objects(world.deps.store.bucket, recursive=True))
    with world.runtime.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM accounts")).scalar() == 0


def test_two_administrators_racing_for_the_last_place_cannot_both_win(world: World) -> None:
    officer = world.staff(HELP_CENTRE_OFFICER)
    pa, decided = world.approved("organisation", officer)
    org, hq = decided["account"]["organisation_id"], decided["account"]["branch_id"]
    second_pa = world.member(pa, org, "PA", hq)  # the PA limit is 2: this fills it
    for _ in range(4):
        world.member(pa, org, "SA", hq)  # 4 of 5 SA places taken

    def create(admin: User) -> int:
        name = f"race{uuid.uuid4().hex[:8]}"
        return world.call(
            "POST",
            f"{API}/organisations/{org}/accounts",
            admin,
            json={
                "username": name,
                "password": PASSWORD,
                "display_name": name,
                "email": f"{name}@firm.example",
                "role": "SA",
                "branch_id": hq,
            },
        ).status_code

    with ThreadPoolExecutor(2) as pool:
        results = sorted(pool.map(create, [pa, second_pa]))
    assert results == [201, 409]
    third = world.call(
        "POST",
        f"{API}/organisations/{org}/accounts",
        pa,
        json={
            "username": "one.too.many",
            "password": PASSWORD,
            "display_name": "x",
            "email": "x@firm.example",
            "role": "PA",
            "branch_id": hq,
        },
    )
    assert third.status_code == 409 and third.json["type"] == "urn:icms:problem:limit-reached"
