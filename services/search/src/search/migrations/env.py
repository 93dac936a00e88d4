from chassis.migrations import run_env

from search.adapters.tables import metadata

run_env(metadata)
