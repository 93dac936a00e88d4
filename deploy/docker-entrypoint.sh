#!/bin/sh
# Start every container with an empty prometheus-client multiprocess dir: files left by an earlier
# process with the same pids would otherwise be counted as live. The dir may be a mounted volume,
# so its contents are removed, not the dir itself.
set -eu
if [ -n "${PROMETHEUS_MULTIPROC_DIR:-}" ]; then
    mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
    find "$PROMETHEUS_MULTIPROC_DIR" -mindepth 1 -delete
fi
exec "$@"
