#!/bin/bash
# bench/workers.sh: four `dunwell run` and four `dunwell dispatch`
# processes against one PostgreSQL on ~100,000 cases (issue #8), plus the
# same with workers killed at random moments: exactly once, and how long
# it takes against one worker of each.
#
#   bench/workers.sh [CUSTOMERS] [INVOICES]     default 120000 300000
#
# Starts its own throwaway PostgreSQL cluster (tests/pg_cluster.sh) and
# runs tests/integration/workers.sh at that size; prints its PASS/FAIL
# lines and timings. Dispatch writes every message with the file adapter
# (--outbox), so the figures include composing each message (e-mails with
# their QR code) and writing it, not a provider's latency.
set -eu
cd "$(dirname "$0")/.."
export WORKERS_CUSTOMERS=${1:-120000}
export WORKERS_INVOICES=${2:-300000}
make -s VARIANT=release all bench-tools >/dev/null
make -s VARIANT=asan all >/dev/null
export DUNWELL="$PWD/build/asan/dunwell" DUNWELL_RELEASE="$PWD/build/release/dunwell"
export DUNWELL_ROOT="$PWD" DUNWELL_BACKEND=pg
. tests/pg_cluster.sh
trap pg_cluster_stop EXIT
pg_cluster_start >/dev/null
echo "workers: $WORKERS_CUSTOMERS customers, $WORKERS_INVOICES invoices, PostgreSQL"
start=$(date +%s)
bash tests/integration/workers.sh
echo "total: $(( $(date +%s) - start )) s"
