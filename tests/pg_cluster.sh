# tests/pg_cluster.sh: a throwaway PostgreSQL cluster for the tests
# (sourced by tests/run).
#
# pg_cluster_start creates a cluster in a temporary folder with Debian's
# initdb, starts it on a free loopback port (socket in the same folder)
# and exports DUNWELL_PG_URL, a URL to its postgres database; tests create
# and drop their own databases in it. pg_cluster_stop stops it and removes
# the folder. initdb refuses to run as root, so as root the server runs as
# the postgres user that Debian's package creates.

PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}

pg_as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

pg_free_port() {
	local port
	for port in $(seq 55432 55532); do
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			echo "$port"
			return 0
		fi
	done
	return 1
}

pg_cluster_start() {
	[ -x "$PG_BIN/initdb" ] || { echo "postgres: no initdb under /usr/lib/postgresql (run scripts/setup)"; return 1; }
	PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/dunwell-pg.XXXXXX")
	chmod 755 "$PG_DIR"
	[ "$(id -u)" -ne 0 ] || chown postgres "$PG_DIR"
	pg_as_owner "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U postgres \
		--no-sync >"$PG_DIR/initdb.log" 2>&1 ||
		{ echo "postgres: initdb failed:"; cat "$PG_DIR/initdb.log"; return 1; }
	# Another cluster (a test run beside this one) may take the free port
	# between the check and the start: then try the next free one.
	local try
	for try in 1 2 3 4 5; do
		PG_PORT=$(pg_free_port) || { echo "postgres: no free port"; return 1; }
		pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w \
			-o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" \
			start >/dev/null 2>&1 && break
		[ "$try" = 5 ] && { echo "postgres: server did not start:"; cat "$PG_DIR/server.log"; return 1; }
		sleep "0.$((RANDOM % 9 + 1))"
	done
	export DUNWELL_PG_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
	export PG_PORT PG_DIR
}

pg_cluster_stop() {
	[ -n "${PG_DIR:-}" ] || return 0
	pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1
	rm -rf "$PG_DIR"
	PG_DIR=
}
