#!/usr/bin/env bash
# Runs the whole space on this machine: a throwaway PostgreSQL (unless ConnectionStrings__Database is set),
# the migrations, the backend and the frontend, each on loopback. Prints the frontend's URL; Ctrl+C stops
# everything and removes the throwaway database.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: ./run-local.sh [--port N] [--backend-port N] [--no-build] [--check] [--help]

Runs the space locally:
  1. PostgreSQL: the one in ConnectionStrings__Database if set, else a throwaway cluster in a temp folder
     (needs the PostgreSQL server binaries: set PG_BIN, or have pg_config / /usr/lib/postgresql/*/bin).
  2. Migrations: the backend's `migrate` entry, as the Cloud Run migration job runs it.
  3. The backend (token verification off: local only) and the frontend, on 127.0.0.1.

Options:
  --port N          frontend port (default 8080)
  --backend-port N  backend port (default 8081)
  --no-build        use the last build
  --check           start, check that the page shows records from the database, then stop (exit 0 when it does)
  --help            this text
USAGE
}

frontend_port=8080
backend_port=8081
build=true
check=false
while (($#)); do
  case "$1" in
    --port) frontend_port="${2:?--port needs a number}"; shift 2 ;;
    --backend-port) backend_port="${2:?--backend-port needs a number}"; shift 2 ;;
    --no-build) build=false; shift ;;
    --check) check=true; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "run-local.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
for port in "$frontend_port" "$backend_port"; do
  if ! [[ "$port" =~ ^[0-9]+$ ]] || ((port < 1 || port > 65535)); then
    echo "run-local.sh: '$port' is not a TCP port number (1-65535)" >&2
    exit 2
  fi
done

root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
backend_project="$root/src/CloudRunSpace-1.Backend/CloudRunSpace-1.Backend.csproj"
frontend_project="$root/src/CloudRunSpace-1.Frontend/CloudRunSpace-1.Frontend.csproj"
work="$(mktemp -d "${TMPDIR:-/tmp}/cloudrunspace-app-local.XXXXXX")"
pg_bin=""
pids=()

cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [[ -n "$pg_bin" && -d "$work/pgdata" ]]; then
    as_postgres_owner "$pg_bin/pg_ctl" -D "$work/pgdata" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

free_port() {
  local port
  for port in $(seq 54320 54399); do
    if ! port_in_use "$port"; then echo "$port"; return 0; fi
  done
  echo "run-local.sh: no free port in 54320-54399 for PostgreSQL" >&2
  return 1
}

find_pg_bin() {
  local candidate
  if [[ -n "${PG_BIN:-}" ]]; then echo "$PG_BIN"; return 0; fi
  if command -v pg_config >/dev/null && [[ -x "$(pg_config --bindir)/initdb" ]]; then pg_config --bindir; return 0; fi
  for candidate in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V -r) /usr/local/pgsql/bin /opt/homebrew/bin /usr/local/bin; do
    if [[ -x "$candidate/initdb" ]]; then echo "$candidate"; return 0; fi
  done
  return 1
}

# initdb and postgres refuse to run as root: run them as the `postgres` user then.
as_postgres_owner() {
  if ((EUID == 0)); then runuser -u postgres -- "$@"; else "$@"; fi
}

start_postgres() {
  pg_bin="$(find_pg_bin)" || {
    echo "run-local.sh: no PostgreSQL server binaries (initdb, pg_ctl) found. Install them:" >&2
    echo "              apt-get install postgresql | brew install postgresql@15 | winget install PostgreSQL.PostgreSQL.15" >&2
    echo "              or set PG_BIN to their folder, or ConnectionStrings__Database to an existing database." >&2
    exit 1
  }
  local pg_port
  pg_port="$(free_port)"
  mkdir -p "$work/pgdata"
  if ((EUID == 0)); then chown -R postgres "$work"; fi
  echo "Starting a throwaway PostgreSQL on 127.0.0.1:$pg_port ($pg_bin)"
  as_postgres_owner "$pg_bin/initdb" -D "$work/pgdata" -U app --auth=trust --encoding=UTF8 >"$work/initdb.log" 2>&1 || {
    cat "$work/initdb.log" >&2; exit 1; }
  as_postgres_owner "$pg_bin/pg_ctl" -D "$work/pgdata" -l "$work/postgres.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $work" start >/dev/null || {
    cat "$work/postgres.log" >&2; exit 1; }
  as_postgres_owner "$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" -U app app
  export ConnectionStrings__Database="Host=127.0.0.1;Port=$pg_port;Username=app;Database=app"
}

wait_ready() {
  local name="$1" url="$2" pid="$3" _
  for _ in $(seq 1 120); do
    if curl -fsS -o /dev/null "$url" 2>/dev/null; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then echo "run-local.sh: the $name stopped; see its output above" >&2; return 1; fi
    sleep 0.5
  done
  echo "run-local.sh: the $name was not ready after 60 s ($url)" >&2
  return 1
}

command -v curl >/dev/null || {
  echo "run-local.sh: curl is not installed (it checks the services are up). Install it:" >&2
  echo "              apt-get install curl | brew install curl | winget install cURL.cURL" >&2
  exit 1
}
for port in "$frontend_port" "$backend_port"; do
  if port_in_use "$port"; then
    echo "run-local.sh: port $port is in use; choose others with --port / --backend-port" >&2
    exit 1
  fi
done

if [[ -z "${ConnectionStrings__Database:-}" ]]; then start_postgres; else echo "Using the database in ConnectionStrings__Database"; fi

if [[ "$build" == true ]]; then
  dotnet build "$backend_project" -nologo -v quiet
  dotnet build "$frontend_project" -nologo -v quiet
fi

echo "Applying migrations"
dotnet run --no-build --no-launch-profile --project "$backend_project" -- migrate

echo "Starting the backend on http://127.0.0.1:$backend_port"
ASPNETCORE_URLS="http://127.0.0.1:$backend_port" Auth__Enabled=false \
  dotnet run --no-build --no-launch-profile --project "$backend_project" > >(sed -u 's/^/[backend]  /') 2>&1 &
pids+=("$!")
wait_ready backend "http://127.0.0.1:$backend_port/healthz/ready" "${pids[-1]}"

echo "Starting the frontend on http://127.0.0.1:$frontend_port"
ASPNETCORE_URLS="http://127.0.0.1:$frontend_port" Backend__BaseUrl="http://127.0.0.1:$backend_port" Backend__SendIdToken=false \
  dotnet run --no-build --no-launch-profile --project "$frontend_project" > >(sed -u 's/^/[frontend] /') 2>&1 &
pids+=("$!")
wait_ready frontend "http://127.0.0.1:$frontend_port/healthz/ready" "${pids[-1]}"

if [[ "$check" == true ]]; then
  page="$(curl -fsS "http://127.0.0.1:$frontend_port/")"
  if grep -q 'class="title"' <<<"$page"; then
    echo "Check passed: the frontend page lists records read from PostgreSQL through the backend."
    exit 0
  fi
  echo "run-local.sh: the frontend page shows no records" >&2
  exit 1
fi

echo
echo "The space is running: http://localhost:$frontend_port  (Ctrl+C stops it)"
wait -n "${pids[@]}"
