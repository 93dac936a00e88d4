"""The command line the benches of running services share: how many clients, which database server, how
quiet the machine must be first, and whether the results go into bench/README.md."""

from __future__ import annotations

import argparse


def parser(description: str, *, quick: str, quiet: float, patience: float) -> argparse.ArgumentParser:
    """The shared options, with the help of ``--quick`` and the defaults of ``--quiet`` and ``--patience``
    each bench sets; it adds its own after them."""
    found = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    found.add_argument("--quick", action="store_true", help=quick)
    found.add_argument("--clients", default="1,4,8", help="concurrent clients, comma-separated")
    found.add_argument("--database-server", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    found.add_argument("--quiet", type=float, default=quiet, help="idle share to wait for before each run")
    found.add_argument("--patience", type=float, default=patience, help="seconds to wait for it at most")
    found.add_argument("--no-readme", action="store_true", help="print only")
    return found


def parse(found: argparse.ArgumentParser) -> argparse.Namespace:
    """The arguments, ``--clients`` as a list of counts."""
    args = found.parse_args()
    args.clients = [int(c) for c in args.clients.split(",")]
    return args
