"""The command line: staff accounts, key rotation and the demo seed, as real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pyotp
from identity_testkit import API, User, World

from chassis.testing.skeleton import settings_for


def environment(world: World, postgres_url: str, amqp_url: str, s3_settings, s3_bucket: str) -> dict[str, str]:
    return {
        **os.environ,
        "ICMS_IDENTITY_DATABASE_URL": postgres_url,
        "ICMS_AMQP_URL": amqp_url,
        "ICMS_S3_ENDPOINT": s3_settings.endpoint,
        "ICMS_S3_ACCESS_KEY": s3_settings.access_key,
        "ICMS_S3_SECRET_KEY": s3_settings.secret_key,
        "ICMS_S3_REGION": s3_settings.region,
        "ICMS_IDENTITY_S3_BUCKET": s3_bucket,
        "ICMS_GATEWAY_SECRET": world.secret,
    }


def icms_identity(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "identity.entrypoints.cli", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_create_staff_rotate_keys_and_seed_demo(postgres_url, amqp_url, s3_settings, s3_bucket, tmp_path) -> None:
    world = World(settings_for("identity", postgres_url, amqp_url, s3_settings, s3_bucket, uses_storage=True))
    env = environment(world, postgres_url, amqp_url, s3_settings, s3_bucket)
    try:
        made = icms_identity(
            env,
            "create-staff",
            "--username",
            "Registry.Lee",
            "--role",
            "registry_officer",
            "--name",
            "LEE Ka Yan",
            "--email",
            "ky.lee@judiciary.example",
            stdin="a long staff passphrase\n",
        )
        assert made.returncode == 0, made.stderr
        staff = json.loads(made.stdout)
        assert staff["username"] == "registry.lee" and staff["role"] == "registry_officer"
        user = User("registry.lee", password="a long staff passphrase", totp_secret=staff["totp_secret"])
        world.login(user)
        assert world.call("GET", f"{API}/me", user).json["role"] == "registry_officer"

        again = icms_identity(
            env,
            "create-staff",
            "--username",
            "registry.lee",
            "--role",
            "registry_officer",
            "--name",
            "x",
            "--email",
            "x@judiciary.example",
            stdin="another long passphrase\n",
        )
        assert again.returncode != 0 and "taken" in again.stderr
        weak = icms_identity(
            env,
            "create-staff",
            "--username",
            "weak.one",
            "--role",
            "system_admin",
            "--name",
            "x",
            "--email",
            "x@judiciary.example",
            stdin="short\n",
        )
        assert weak.returncode != 0 and "at least 12" in weak.stderr

        before = {k["kid"] for k in world.client.get("/.well-known/jwks.json").json["keys"]}
        rotated = icms_identity(env, "rotate-keys")
        assert rotated.returncode == 0, rotated.stderr
        after = {k["kid"] for k in world.client.get("/.well-known/jwks.json").json["keys"]}
        assert before < after and len(after) == len(before) + 1
        assert world.call("GET", f"{API}/me", user).status_code == 200  # not logged out by the rotation

        out = tmp_path / "demo-logins.json"
        seeded = icms_identity(env, "seed-demo", "--out", str(out))
        assert seeded.returncode == 0, seeded.stderr
        assert oct(out.stat().st_mode & 0o777) == "0o600"
        logins = {entry["username"]: entry for entry in json.loads(out.read_text())}
        assert {
            "registry.officer",
            "help.centre",
            "sysadmin",
            "chanlau.pa",
            "chanlau.sa",
            "chanlau.clerk",
            "litigant",
        } <= set(logins)
        for name in ("chanlau.pa", "chanlau.clerk", "litigant", "help.centre"):
            entry = logins[name]
            demo = User(name, password=entry["password"], totp_secret=entry["totp_secret"])
            world.login(demo)
        assert icms_identity(env, "seed-demo", "--out", str(out)).returncode == 0  # a second run changes nothing
        assert pyotp.TOTP(logins["chanlau.pa"]["totp_secret"]).now().isdigit()
    finally:
        world.close()
