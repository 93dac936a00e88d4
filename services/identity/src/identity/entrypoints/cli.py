"""``icms-identity``: the chassis's commands (migrate, worker, relay, dead-letters) and identity's own
(create-staff, rotate-keys, seed-demo)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from chassis import logs
from chassis.service import command_line
from identity.adapters import signing_keys
from identity.bootstrap import bootstrap, wire
from identity.domain.roles import STAFF_ROLES
from identity.service_layer import demo
from identity.service_layer.staff import StaffError, create_staff

OWN_COMMANDS = ("create-staff", "rotate-keys", "seed-demo")


def main(argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] not in OWN_COMMANDS:
        command_line(bootstrap, args)
        return
    parser = argparse.ArgumentParser(prog="icms-identity", description="Identity administration")
    commands = parser.add_subparsers(dest="command", required=True)
    staff = commands.add_parser("create-staff", help="create a court staff account; reads its password from stdin")
    staff.add_argument("--username", required=True)
    staff.add_argument("--role", required=True, choices=STAFF_ROLES)
    staff.add_argument("--name", required=True, help="display name")
    staff.add_argument("--email", required=True)
    commands.add_parser("rotate-keys", help="sign new tokens with a new key; old tokens stay valid until they expire")
    seed = commands.add_parser("seed-demo", help="create the demo court's accounts (once) and write their logins")
    seed.add_argument("--out", required=True, type=Path, help="JSON file the demo logins are written to")
    parsed = parser.parse_args(args)

    runtime = bootstrap()
    logs.configure(runtime.description.name, runtime.settings.log_level)
    deps = wire(runtime)
    if parsed.command == "create-staff":
        password = sys.stdin.readline().rstrip("\n")
        try:
            made = create_staff(deps, parsed.username, parsed.role, parsed.name, parsed.email, password)
        except StaffError as exc:
            raise SystemExit(f"create-staff: {exc}") from None
        # The TOTP secret is shown this once, for the officer's authenticator app.
        print(json.dumps(made, indent=2))
    elif parsed.command == "rotate-keys":
        with deps.unit_of_work() as uow:
            key = signing_keys.rotate(uow.session, deps.now(), timedelta(seconds=deps.settings.access_token_seconds))
            uow.commit()
        print(f"new signing key {key.kid}; the previous keys stay published until their tokens have expired")
    elif parsed.command == "seed-demo":
        logins = demo.seed(deps, parsed.out)
        print(f"demo logins ({len(logins)} accounts) are in {parsed.out}")


if __name__ == "__main__":
    main()
