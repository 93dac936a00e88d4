"""``icms-filing migrate|worker|relay|dead-letters|seed-demo``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from chassis import logs
from chassis.service import command_line
from filing.bootstrap import bootstrap, wire
from filing.service_layer import demo


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["seed-demo"]:
        parser = argparse.ArgumentParser(prog="icms-filing seed-demo", description="start the demo court's cases")
        parser.add_argument("--logins", type=Path, required=True, help="identity's demo-logins.json")
        options = parser.parse_args(args[1:])
        runtime = bootstrap()
        logs.configure(runtime.description.name, runtime.settings.log_level)
        started = demo.seed(wire(runtime), options.logins)
        print(f"started {started} demo case(s)")
        return
    command_line(bootstrap, args)
