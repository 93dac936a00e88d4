from chassis.migrations import run_env

from filing.adapters.tables import metadata

run_env(metadata)
