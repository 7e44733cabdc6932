#!/usr/bin/env bash
# Throwaway PostgreSQL 15 + PostGIS cluster for the `geo` test suite.
#
# Usage:
#   scripts/test-postgis.sh start   # install PostGIS if needed, start (or reuse) the
#                                   # cluster, print the SQLAlchemy URL on stdout
#   scripts/test-postgis.sh stop    # stop the cluster (pg_ctl stop -m fast), keep files
#   scripts/test-postgis.sh url     # print the SQLAlchemy URL only
#
# stdout carries only the URL; everything else goes to stderr.
# Environment: GEO_TEST_PG_PORT (default 55432); GEO_TEST_PG_STATE_DIR (default: see Layout)
# puts a second cluster in a folder of its own (the fault tests and bench/load.py stop and
# start theirs, never the one `make test` uses).
#
# Layout (repo-relative): var/test-postgis/
#     data/           PGDATA (also holds the unix socket)
#     postgres.log    server log
#     .lock           serialises concurrent start/stop runs
# When running as root and the `postgres` user cannot traverse the repo path
# (e.g. a checkout under /root), the state lives in
# /tmp/geo-test-postgis-<sha256(repo path)[:12]> instead.
set -euo pipefail

PG_MAJOR=15
PGBIN="/usr/lib/postgresql/${PG_MAJOR}/bin"
POSTGIS_CONTROL="/usr/share/postgresql/${PG_MAJOR}/extension/postgis.control"
PORT="${GEO_TEST_PG_PORT:-55432}"
DB_USER=geo
DB_NAME=geo_test
BOOTSTRAP_SUPERUSER=postgres   # initdb --username; independent of the OS user
PG_OS_USER=postgres            # OS user that owns the cluster when we run as root

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
PRIMARY_STATE_DIR="${REPO_ROOT}/var/test-postgis"
FALLBACK_STATE_DIR="/tmp/geo-test-postgis-$(printf '%s' "$REPO_ROOT" | sha256sum | cut -c1-12)"

log() { printf 'test-postgis: %s\n' "$*" >&2; }
die() { printf 'test-postgis: error: %s\n' "$*" >&2; exit 1; }

is_root() { [[ "$(id -u)" -eq 0 ]]; }

url() { printf 'postgresql+psycopg://%s@127.0.0.1:%s/%s\n' "$DB_USER" "$PORT" "$DB_NAME"; }

validate_port() {
    [[ "$PORT" =~ ^[0-9]+$ ]] && (( PORT >= 1 && PORT <= 65535 )) \
        || die "GEO_TEST_PG_PORT must be a TCP port number, got '${PORT}'"
}

# Run a command as the OS user that owns the cluster (pg_ctl/initdb refuse root).
# cd / first so an unreadable cwd (e.g. under /root) does not upset the tools.
# fd 9 (the lock, see with_lock) is closed so a started server cannot inherit it.
as_pg() {
    if is_root; then
        if command -v runuser >/dev/null 2>&1; then
            (cd / && runuser -u "$PG_OS_USER" -- "$@" 9>&-)
        else
            local cmd
            cmd="$(printf '%q ' "$@")"
            (cd / && su -s /bin/sh "$PG_OS_USER" -c "$cmd" 9>&-)
        fi
    else
        (cd / && "$@" 9>&-)
    fi
}

# ---------------------------------------------------------------------------
# Packages
# ---------------------------------------------------------------------------
server_present() { [[ -x "${PGBIN}/postgres" && -x "${PGBIN}/initdb" && -x "${PGBIN}/pg_ctl" && -x "${PGBIN}/psql" && -x "${PGBIN}/pg_isready" ]]; }
postgis_present() { [[ -f "$POSTGIS_CONTROL" ]]; }

ensure_packages() {
    local pkgs=()
    server_present || pkgs+=("postgresql-${PG_MAJOR}")
    postgis_present || pkgs+=("postgresql-${PG_MAJOR}-postgis-3")
    (( ${#pkgs[@]} == 0 )) && return 0

    if ! is_root; then
        die "missing PostgreSQL ${PG_MAJOR}/PostGIS; install with: sudo apt-get install -y ${pkgs[*]}"
    fi
    command -v apt-get >/dev/null 2>&1 \
        || die "missing ${pkgs[*]} and apt-get is not available; install them manually"
    log "installing ${pkgs[*]} (apt-get) ..."
    # Package output must not reach stdout (stdout is reserved for the URL).
    apt-get update >&2 || die "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive apt-get install -y "${pkgs[@]}" >&2 \
        || die "apt-get install ${pkgs[*]} failed"
    server_present || die "PostgreSQL ${PG_MAJOR} server binaries still missing under ${PGBIN}"
    postgis_present || die "PostGIS still missing (${POSTGIS_CONTROL}) after install"
}

ensure_pg_os_user() {
    if is_root; then
        id -u "$PG_OS_USER" >/dev/null 2>&1 \
            || die "OS user '${PG_OS_USER}' does not exist (it is created by the postgresql-${PG_MAJOR} package)"
    fi
}

# ---------------------------------------------------------------------------
# Where the cluster lives
# ---------------------------------------------------------------------------
# True if the cluster owner can reach the in-repo state dir. Side-effect free,
# so start and stop always pick the same location.
primary_reachable() {
    is_root || return 0
    id -u "$PG_OS_USER" >/dev/null 2>&1 || return 1
    # `test -x DIR` as postgres needs search permission on every ancestor too.
    as_pg test -x "$REPO_ROOT" || return 1
    if [[ -d "${REPO_ROOT}/var" ]]; then
        as_pg test -x "${REPO_ROOT}/var" || return 1
    fi
    return 0
}

STATE_DIR=""
PGDATA_DIR=""
LOG_FILE=""

set_state_dir() {
    STATE_DIR="$1"
    PGDATA_DIR="${STATE_DIR}/data"
    LOG_FILE="${STATE_DIR}/postgres.log"
}

choose_state_dir() {
    if [[ -n "${GEO_TEST_PG_STATE_DIR:-}" ]]; then
        set_state_dir "$GEO_TEST_PG_STATE_DIR"
    elif primary_reachable; then
        set_state_dir "$PRIMARY_STATE_DIR"
    else
        set_state_dir "$FALLBACK_STATE_DIR"
        log "user '${PG_OS_USER}' cannot traverse ${REPO_ROOT}; using ${FALLBACK_STATE_DIR} instead of var/test-postgis"
    fi
}

# Create the state dir (start only) and hand it to the cluster owner.
prepare_state_dir() {
    local owner
    if is_root; then owner="$PG_OS_USER"; else owner="$(id -un)"; fi

    if [[ -n "${GEO_TEST_PG_STATE_DIR:-}" ]]; then
        mkdir -p "$STATE_DIR"
    elif [[ "$STATE_DIR" == "$PRIMARY_STATE_DIR" && ! -d "${REPO_ROOT}/var" ]]; then
        mkdir -p "${REPO_ROOT}/var"
        chmod 755 "${REPO_ROOT}/var"   # the cluster owner must be able to traverse it
    fi
    if [[ "$STATE_DIR" == "$FALLBACK_STATE_DIR" && -e "$STATE_DIR" ]]; then
        # Predictable name in /tmp: refuse anything we did not create.
        [[ -d "$STATE_DIR" && ! -L "$STATE_DIR" ]] || die "${STATE_DIR} exists and is not a directory"
        local cur
        cur="$(stat -c %U "$STATE_DIR")"
        [[ "$cur" == "$owner" || "$cur" == root ]] || die "${STATE_DIR} is owned by '${cur}', refusing to use it"
    fi
    mkdir -p "$STATE_DIR"
    if is_root && [[ "$(stat -c %U "$STATE_DIR")" != "$owner" ]]; then
        chown -R "${owner}:" "$STATE_DIR"
    fi
    chmod 755 "$STATE_DIR"
}

# ---------------------------------------------------------------------------
# Cluster state
# ---------------------------------------------------------------------------
# Prints the postmaster PID if postmaster.pid names a live postgres process whose
# working directory is this PGDATA; returns 1 otherwise (no/stale pid file).
running_pid() {
    local data="$1" pidfile="$1/postmaster.pid" pid cwd exe
    [[ -f "$pidfile" ]] || return 1
    pid="$(head -n 1 "$pidfile" 2>/dev/null || true)"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    [[ -d "/proc/${pid}" ]] || return 1
    cwd="$(readlink "/proc/${pid}/cwd" 2>/dev/null || true)"
    exe="$(readlink "/proc/${pid}/exe" 2>/dev/null || true)"
    [[ "$cwd" == "$(cd "$data" && pwd -P)" && "${exe##*/}" == postgres* ]] || return 1
    printf '%s\n' "$pid"
}

pidfile_port() { sed -n 4p "$1/postmaster.pid" 2>/dev/null || true; }

# -U/-d given explicitly so probes do not log "role root does not exist".
isready() { "${PGBIN}/pg_isready" -q -h 127.0.0.1 -p "$PORT" -U "$BOOTSTRAP_SUPERUSER" -d postgres -t 2; }

wait_ready() {
    local i
    for (( i = 0; i < 120; i++ )); do
        isready && return 0
        sleep 0.5
    done
    return 1
}

sql_quote() { printf "%s" "${1//\'/\'\'}"; }

write_config() {
    local sockdir="$PGDATA_DIR" sockconf
    # sun_path is 108 bytes; a deep repo path can overflow it. TCP still works.
    if (( ${#sockdir} + ${#PORT} + 12 > 107 )); then
        log "data dir path too long for a unix socket; unix socket disabled (TCP only)"
        sockconf="''"
    else
        sockconf="'$(sql_quote "$sockdir")'"
    fi
    as_pg tee "${PGDATA_DIR}/geo_test.conf" >/dev/null <<EOF
# Written by scripts/test-postgis.sh on every cold start; edits are overwritten.
listen_addresses = '127.0.0.1'
port = ${PORT}
unix_socket_directories = ${sockconf}
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
    as_pg tee "${PGDATA_DIR}/pg_hba.conf" >/dev/null <<'EOF'
# Written by scripts/test-postgis.sh: throwaway test cluster, trust auth.
# TYPE  DATABASE  USER  ADDRESS        METHOD
local   all       all                  trust
host    all       all   127.0.0.1/32   trust
EOF
}

init_cluster() {
    if [[ -d "$PGDATA_DIR" ]]; then
        # Leftover from an interrupted initdb: no PG_VERSION means no usable cluster.
        log "removing incomplete data dir ${PGDATA_DIR}"
        rm -rf "$PGDATA_DIR"
    fi
    local locale=C
    if locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$'; then locale=C.UTF-8; fi
    log "initdb ${PGDATA_DIR} ..."
    as_pg "${PGBIN}/initdb" -D "$PGDATA_DIR" -U "$BOOTSTRAP_SUPERUSER" --auth=trust \
        -E UTF8 --locale="$locale" --no-sync >"${STATE_DIR}/initdb.log" 2>&1 || {
        cat "${STATE_DIR}/initdb.log" >&2
        die "initdb failed (see above)"
    }
    printf "\ninclude = 'geo_test.conf'\n" | as_pg tee -a "${PGDATA_DIR}/postgresql.conf" >/dev/null
}

start_cluster() {
    # Something else already answering on the port? (pg_isready: 2 = no response)
    local rc=0
    isready || rc=$?
    if (( rc != 2 )); then
        die "another PostgreSQL server is already listening on 127.0.0.1:${PORT} (not ${PGDATA_DIR}); stop it or set GEO_TEST_PG_PORT"
    fi
    if [[ -f "${PGDATA_DIR}/postmaster.pid" ]]; then
        log "removing stale postmaster.pid (no live server owns it)"
        rm -f "${PGDATA_DIR}/postmaster.pid"
    fi
    write_config
    log "starting PostgreSQL ${PG_MAJOR} on 127.0.0.1:${PORT} (log: ${LOG_FILE}) ..."
    if ! as_pg "${PGBIN}/pg_ctl" -D "$PGDATA_DIR" -l "$LOG_FILE" -w -t 60 start >&2; then
        tail -n 30 "$LOG_FILE" >&2 || true
        die "pg_ctl start failed (log: ${LOG_FILE})"
    fi
    wait_ready || die "server started but 127.0.0.1:${PORT} is not accepting connections (log: ${LOG_FILE})"
}

provision() {
    local psql=("${PGBIN}/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT")
    "${psql[@]}" -U "$BOOTSTRAP_SUPERUSER" -d postgres >&2 <<SQL
SET client_min_messages = warning;
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${DB_USER}') THEN
    CREATE ROLE ${DB_USER} SUPERUSER LOGIN;
  END IF;
END
\$\$;
SELECT 'CREATE DATABASE ${DB_NAME} OWNER ${DB_USER}'
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '${DB_NAME}')\gexec
SQL
    "${psql[@]}" -U "$DB_USER" -d "$DB_NAME" >&2 <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS postgis;
SQL
}

with_lock() {
    # Serialise concurrent start/stop invocations on the same state dir.
    if command -v flock >/dev/null 2>&1 && [[ -d "$STATE_DIR" ]]; then
        exec 9>>"${STATE_DIR}/.lock"
        flock -w 180 9 || die "timed out waiting for ${STATE_DIR}/.lock"
    fi
}

# ---------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------
cmd_start() {
    local t0 pid pport
    t0="$(date +%s.%N)"
    validate_port
    ensure_packages
    ensure_pg_os_user
    choose_state_dir
    prepare_state_dir
    with_lock

    if [[ -f "${PGDATA_DIR}/PG_VERSION" ]]; then
        local ver
        ver="$(cat "${PGDATA_DIR}/PG_VERSION")"
        [[ "$ver" == "$PG_MAJOR" ]] \
            || die "${PGDATA_DIR} holds a PostgreSQL ${ver} cluster; delete ${STATE_DIR} to recreate it"
        if pid="$(running_pid "$PGDATA_DIR")"; then
            pport="$(pidfile_port "$PGDATA_DIR")"
            [[ "$pport" == "$PORT" ]] \
                || die "cluster in ${PGDATA_DIR} is already running on port ${pport}, not ${PORT}; run '$0 stop' first"
            log "reusing running cluster (pid ${pid}) on 127.0.0.1:${PORT}"
            wait_ready || die "running cluster (pid ${pid}) is not accepting connections (log: ${LOG_FILE})"
        else
            start_cluster
        fi
    else
        init_cluster
        start_cluster
    fi

    provision
    log "ready in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2fs", b - a }')"
    url
}

cmd_stop() {
    local dir pid stopped=0
    [[ -x "${PGBIN}/pg_ctl" ]] || { log "pg_ctl not installed; nothing to stop"; return 0; }
    # Check both candidate locations: whichever one an earlier `start` picked (or only the
    # one named by GEO_TEST_PG_STATE_DIR).
    local dirs=("$PRIMARY_STATE_DIR" "$FALLBACK_STATE_DIR")
    [[ -n "${GEO_TEST_PG_STATE_DIR:-}" ]] && dirs=("$GEO_TEST_PG_STATE_DIR")
    for dir in "${dirs[@]}"; do
        set_state_dir "$dir"
        [[ -f "${PGDATA_DIR}/PG_VERSION" ]] || continue
        with_lock
        if pid="$(running_pid "$PGDATA_DIR")"; then
            log "stopping cluster (pid ${pid}) in ${PGDATA_DIR} ..."
            as_pg "${PGBIN}/pg_ctl" -D "$PGDATA_DIR" -m fast -w -t 60 stop >&2 \
                || die "pg_ctl stop failed (log: ${LOG_FILE})"
            stopped=1
        fi
    done
    (( stopped )) || log "no running test cluster found"
}

case "${1:-}" in
    start) cmd_start ;;
    stop)  cmd_stop ;;
    url)   validate_port; url ;;
    *)
        printf 'usage: %s {start|stop|url}\n' "$0" >&2
        exit 2
        ;;
esac
