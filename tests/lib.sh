# tests/lib.sh: helpers for integration scripts (sourced).
#
# Each script runs the real binary ($DUNWELL, the sanitizer build) in its
# own temporary directory against a fresh database of the backend named by
# DUNWELL_BACKEND: a SQLite file (default), or a new database in the test
# PostgreSQL cluster (tests/pg_cluster.sh), dropped at the end. Scripts
# read the database with `q`, copy it with `clone_db` and compare it with
# `db_digest`, whatever the backend. Results are PASS/FAIL lines that
# tests/run counts.
set -u
: "${DUNWELL:?run through tests/run}"
BACKEND=${DUNWELL_BACKEND:-sqlite}
T=$(mktemp -d "${TMPDIR:-/tmp}/dunwell-it.XXXXXX")
DATA="$DUNWELL_ROOT/tests/data"
_t_failed=0
# databases to drop at exit, one per line (new_db runs in $(...), a
# subshell, so a shell array would not survive)
_PG_DBS="$T/.pg_databases"

_cleanup() {
	local d
	if [ -f "$_PG_DBS" ]; then
		while read -r d; do
			psql -X -q -d "$DUNWELL_PG_URL" -c "DROP DATABASE IF EXISTS $d WITH (FORCE)" >/dev/null 2>&1
		done < "$_PG_DBS"
	fi
	rm -rf "$T"
}
trap _cleanup EXIT

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1${2:+: $2}"; _t_failed=1; }
sqlite_only() { [ "$BACKEND" = sqlite ]; }

# new_db NAME: the target of a fresh, empty database.
new_db() {
	if [ "$BACKEND" = pg ]; then
		local name="t_${1}_$$_${RANDOM}"
		psql -X -q -d "$DUNWELL_PG_URL" -c "CREATE DATABASE $name" >/dev/null || return 1
		echo "$name" >> "$_PG_DBS"
		echo "postgres://postgres@127.0.0.1:$PG_PORT/$name"
	else
		rm -f "$T/$1.db" "$T/$1.db-wal" "$T/$1.db-shm"
		echo "$T/$1.db"
	fi
}

# clone_db FROM NAME: a copy of database FROM (nobody may be using it).
clone_db() {
	if [ "$BACKEND" = pg ]; then
		local name="t_${2}_$$_${RANDOM}"
		psql -X -q -d "$DUNWELL_PG_URL" -c "CREATE DATABASE $name TEMPLATE ${1##*/}" >/dev/null || return 1
		echo "$name" >> "$_PG_DBS"
		echo "postgres://postgres@127.0.0.1:$PG_PORT/$name"
	else
		sqlite3 "$1" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
		rm -f "$T/$2.db" "$T/$2.db-wal" "$T/$2.db-shm"
		cp "$1" "$T/$2.db"
		echo "$T/$2.db"
	fi
}

# q SQL [TARGET]: run one query, rows as lines, columns separated by '|'.
q() {
	local target=${2:-$DUNWELL_DB}
	if [ "$BACKEND" = pg ]; then
		psql -X -A -t -q -v ON_ERROR_STOP=1 -d "$target" -c "$1"
	else
		sqlite3 "$target" "$1"
	fi
}

# db_digest [TARGET]: a digest of every table's rows, to show that a failed
# command changed nothing (sequence positions are left out: PostgreSQL
# does not roll them back; so is run_ranges, the run's bookkeeping of which
# instant it last covered, and the console's report rollups, derived data
# the run rebuilds with the time it did so).
db_digest() {
	local target=${1:-$DUNWELL_DB}
	if [ "$BACKEND" = pg ]; then
		pg_dump --data-only --no-owner --exclude-table-data=run_ranges \
			--exclude-table-data=report_rows \
			--exclude-table-data=report_refreshes \
			-d "$target" |
			grep -v -e '^--' -e 'setval' -e '^SET ' -e '^SELECT pg_catalog' \
				-e '^\\restrict' -e '^\\unrestrict' |
			md5sum | cut -d' ' -f1
	else
		sqlite3 "$target" .dump |
			grep -v -e '^PRAGMA' -e '^INSERT INTO run_ranges' \
				-e '^INSERT INTO report_rows' \
				-e '^INSERT INTO report_refreshes' |
			md5sum | cut -d' ' -f1
	fi
}

export DUNWELL_DB
DUNWELL_DB=$(new_db test) || { echo "FAIL new_database"; exit 1; }

# check NAME CONDITION-COMMAND...: PASS when the command succeeds.
check() {
	local name=$1
	shift
	if "$@"; then pass "$name"; else fail "$name"; fi
}

# run_dw ARGS...: run dunwell, output in $T/out and $T/err, status in $rc.
run_dw() {
	"$DUNWELL" "$@" >"$T/out" 2>"$T/err"
	rc=$?
}

# expect_ok NAME ARGS...: dunwell ARGS must exit 0.
expect_ok() {
	local name=$1
	shift
	run_dw "$@"
	if [ "$rc" -eq 0 ]; then
		pass "$name"
	else
		fail "$name" "exit $rc: $(head -c 600 "$T/err")"
	fi
}

# expect_fail NAME PATTERN ARGS...: dunwell ARGS must fail and its stderr
# must contain PATTERN (a fixed string).
expect_fail() {
	local name=$1 pattern=$2
	shift 2
	run_dw "$@"
	if [ "$rc" -eq 0 ]; then
		fail "$name" "exited 0"
	elif [ "$rc" -gt 125 ]; then
		fail "$name" "crashed ($rc): $(head -c 600 "$T/err")"
	elif ! grep -qF -- "$pattern" "$T/err"; then
		fail "$name" "stderr lacks '$pattern': $(head -c 600 "$T/err")"
	else
		pass "$name"
	fi
}

# orphans [TARGET]: rows the run appends whose parent is missing (cases
# without their customer, events and actions without their case). Neither
# backend checks these keys on write (SQLite never enforces them,
# PostgreSQL's migration 0004 drops them for speed): this query does, on
# both. Prints the count; 0 is right.
orphans() {
	local target=${1:-$DUNWELL_DB}
	q "SELECT (SELECT COUNT(*) FROM cases k WHERE NOT EXISTS (SELECT 1 FROM customers c WHERE c.tenant_id = k.tenant_id AND c.id = k.customer_id))
	 + (SELECT COUNT(*) FROM case_events v WHERE NOT EXISTS (SELECT 1 FROM cases k WHERE k.tenant_id = v.tenant_id AND k.id = v.case_id))
	 + (SELECT COUNT(*) FROM actions a WHERE NOT EXISTS (SELECT 1 FROM cases k WHERE k.tenant_id = a.tenant_id AND k.id = a.case_id))" "$target"
}

# portal_link EXT DIR: the personal link token of the tenant's customer
# with external id EXT, from the messages dispatch wrote to the outbox DIR
# (the one whose hash the links table keeps for that customer).
portal_link() {
	local ext=$1 dir=$2 tok hash
	# E-mails are quoted-printable (lines folded with "="): decode first.
	for tok in $(python3 -c 'import os, quopri, re, sys
seen = set()
for root, _, files in os.walk(sys.argv[1]):
    for f in files:
        b = open(os.path.join(root, f), "rb").read()
        if f.endswith(".eml"):
            b = quopri.decodestring(b)
        for t in re.findall(rb"/p/([A-Za-z0-9_-]{43})", b):
            seen.add(t.decode())
print("\n".join(sorted(seen)))' "$dir"); do
		hash=$(printf '%s' "$tok" | sha256sum | cut -d' ' -f1)
		if [ -n "$(q "SELECT 1 FROM links l JOIN customers c ON c.tenant_id = l.tenant_id AND c.id = l.customer_id
			WHERE l.token_hash = '$hash' AND c.external_id = '$ext'")" ]; then
			echo "$tok"
			return
		fi
	done
}

# serve_start LOG ARGS...: start `dunwell serve --listen 127.0.0.1:0 ARGS`
# in the background, its log in LOG; sets SERVER (the pid) and BASE
# ("http://127.0.0.1:<port>", from the first log line), and waits until
# /healthz answers. Returns non-zero (with a FAIL) when it does not start.
serve_start() {
	local log=$1 port=
	shift
	"$DUNWELL" serve --listen 127.0.0.1:0 "$@" 2>"$log" &
	SERVER=$!
	for _ in $(seq 1 100); do
		port=$(python3 -c 'import json,sys
try:
    print(json.loads(open(sys.argv[1]).readline())["listen"].rsplit(":", 1)[1])
except Exception:
    pass' "$log" 2>/dev/null)
		[ -n "$port" ] && break
		kill -0 "$SERVER" 2>/dev/null || break
		sleep 0.2
	done
	if [ -z "$port" ]; then
		fail server_started "$(head -c 600 "$log")"
		kill "$SERVER" 2>/dev/null
		return 1
	fi
	BASE="http://127.0.0.1:$port"
	for _ in $(seq 1 50); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/healthz")" = 200 ] && return 0
		sleep 0.2
	done
	fail server_healthy
	return 1
}

# serve_stop: stop the server of serve_start gracefully and wait for it.
serve_stop() {
	kill -TERM "$SERVER" 2>/dev/null
	wait "$SERVER" 2>/dev/null
}

finish() {
	exit $_t_failed
}
