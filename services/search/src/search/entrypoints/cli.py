"""``icms-search migrate|worker|relay|dead-letters`` (the chassis's) and ``icms-search rebuild`` (search's own)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from chassis import logs
from chassis.service import command_line
from search import config
from search.adapters.filing_export import FilingExport
from search.bootstrap import bootstrap, wire
from search.service_layer.rebuild import RebuildFailed, rebuild


def main(argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["rebuild"]:
        rebuild_command(args[1:])
    else:
        command_line(bootstrap, args)


def rebuild_command(argv: Sequence[str]) -> None:
    """Build the read models again from filing's export while the old ones serve, then switch."""
    parser = argparse.ArgumentParser(prog="icms-search rebuild", description=rebuild_command.__doc__)
    parser.add_argument(
        "--restart", action="store_true", help="take over from a rebuild whose process died (its tables are dropped)"
    )
    args = parser.parse_args(argv)
    runtime = bootstrap()
    logs.configure(runtime.description.name, runtime.settings.log_level)
    settings = config.load_search(service=runtime.settings)
    if not settings.filing_url:
        raise SystemExit("icms-search rebuild: ICMS_FILING_URL (filing's own address) is not set")
    export = FilingExport(
        settings.filing_url, runtime.settings.gateway_secret, settings.export_page_size, settings.export_seconds
    )
    try:
        report = rebuild(wire(runtime, settings), runtime.engine, export, runtime.clock.now(), args.restart)
    except RebuildFailed as exc:
        raise SystemExit(f"icms-search rebuild: {exc}") from None
    finally:
        export.close()
    print(
        f"rebuilt: {report.cases} cases, {report.assignment_sets} assignment sets, {report.documents} documents "
        f"({report.texts_fetched} texts fetched) in {report.seconds:.1f} s"
    )
