#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests (docs/postgres.md, "Testing
# on PostgreSQL"): nothing of the machine's own PostgreSQL is used or
# changed.
#
#   .ci/postgres.sh start DIR   initialise a cluster in DIR, start it on a
#                               free port and print its URL (for
#                               TACH_TEST_POSTGRES); exits 3 when PostgreSQL
#                               is not installed
#   .ci/postgres.sh stop DIR    stop it (DIR can then be removed)
#   .ci/postgres.sh run CMD...  run CMD with TACH_TEST_POSTGRES set: to
#                               the variable's own URL when it is set,
#                               else to a cluster started for CMD in a
#                               temporary directory and removed after it;
#                               exits 3 when PostgreSQL is not installed
#
# PostgreSQL refuses to run as root: as root, the cluster runs as the user
# tach-pg (created when missing). It listens on 127.0.0.1 and a socket in
# DIR only, and trusts local connections: it is for tests, never for data.
set -euo pipefail

bindir() {
	if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then
		pg_config --bindir
		return
	fi
	local d
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
		if [ -x "$d/initdb" ]; then
			echo "$d"
			return
		fi
	done
	return 1
}

free_port() {
	local p
	for p in $(seq 54320 54420); do
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return
		fi
	done
	echo "postgres.sh: no free port in 54320-54420" >&2
	return 1
}

# as runs a command as the cluster's owner.
as() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u tach-pg -- "$@"
	else
		"$@"
	fi
}

cmd=${1:-}
dir=${2:-}
if [ "$cmd" = run ] && [ $# -ge 2 ] && [ -n "${TACH_TEST_POSTGRES:-}" ]; then
	shift
	exec "$@"
fi
if [ -z "$cmd" ] || [ -z "$dir" ]; then
	echo "usage: $0 start|stop DIR, or $0 run CMD..." >&2
	exit 2
fi
if ! bin=$(bindir); then
	echo "postgres.sh: PostgreSQL is not installed (no initdb)" >&2
	exit 3
fi

case "$cmd" in
run)
	shift
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/tach-pg.XXXXXX")
	chmod 755 "$tmp"
	cleanup() {
		"$0" stop "$tmp/cluster" || true
		rm -rf "$tmp"
	}
	trap cleanup EXIT
	TACH_TEST_POSTGRES=$("$0" start "$tmp/cluster")
	export TACH_TEST_POSTGRES
	echo "postgres.sh: a throwaway cluster at $TACH_TEST_POSTGRES" >&2
	"$@"
	;;
start)
	if [ "$(id -u)" = 0 ] && ! id tach-pg >/dev/null 2>&1; then
		useradd --system --no-create-home --shell /usr/sbin/nologin tach-pg
	fi
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	if [ "$(id -u)" = 0 ]; then
		chown tach-pg "$dir"
	fi
	port=$(free_port)
	as "$bin/initdb" -D "$dir/data" --username=tach --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
		as "$bin/initdb" -D "$dir/data" --username=tach --auth=trust --encoding=UTF8 --no-locale >"$dir/initdb.log" 2>&1 || {
		cat "$dir/initdb.log" >&2
		exit 1
	}
	# Tests open many short-lived schemas and connections; fsync off: the
	# cluster is thrown away.
	as "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null || {
		cat "$dir/server.log" >&2
		exit 1
	}
	echo "postgres://tach@127.0.0.1:$port/postgres?sslmode=disable"
	;;
stop)
	if [ -d "$dir/data" ]; then
		as "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
	fi
	;;
*)
	echo "usage: $0 start|stop DIR, or $0 run CMD..." >&2
	exit 2
	;;
esac
