from chassis.migrations import run_env

from payments.adapters.tables import metadata

run_env(metadata)
