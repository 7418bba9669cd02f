# tests/lib.sh: helpers for integration scripts (sourced).
#
# Each script runs the real binary ($DUNWELL, the sanitizer build) in its
# own temporary directory and reports with pass/fail lines that tests/run
# counts. `expect_ok`, `expect_fail` and friends print PASS/FAIL themselves.
set -u
: "${DUNWELL:?run through tests/run}"
T=$(mktemp -d "${TMPDIR:-/tmp}/dunwell-it.XXXXXX")
trap 'rm -rf "$T"' EXIT
export DUNWELL_DB="$T/test.db"
DATA="$DUNWELL_ROOT/tests/data"
_t_failed=0

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1${2:+: $2}"; _t_failed=1; }

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

# db_sum: a digest of every table's rows, to show a failed command changed
# nothing.
db_digest() {
	sqlite3 "$DUNWELL_DB" .dump | grep -v '^PRAGMA' | md5sum | cut -d' ' -f1
}

finish() {
	exit $_t_failed
}
