#!/usr/bin/env bash
# Runs the whole space on this machine through its Aspire AppHost (src/CloudRunSpace-1.AppHost), the way Cloud Run
# runs it: PostgreSQL, the local Google (metadata server, ID-token issuer), the migrations, the backend behind its
# private front end and two frontend instances behind the public one, with Aspire's dashboard. The same as
# `dotnet run --project src/CloudRunSpace-1.AppHost`; Ctrl+C stops everything.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: ./run-local.sh [--port N] [--no-build] [--check] [--help]

Runs the space locally through its AppHost (dotnet run --project src/CloudRunSpace-1.AppHost):
  PostgreSQL (the one in ConnectionStrings__Database if set, else a throwaway cluster from the server binaries:
  set PG_BIN, or have pg_config / /usr/lib/postgresql/*/bin), the migrations, the backend and the frontend,
  each behind a local Cloud Run front end, token checks on. Prints the space's URL and the dashboard's.

Options:
  --port N      the space's port (default 8080)
  --no-build    use the last build
  --check       start, check that the page shows records from the database, then stop (exit 0 when it does)
  --help        this text
USAGE
}

# Waits until the URL answers 2xx, or the process stops, or 180 s pass.
# Arguments: the URL and the AppHost's process id.
wait_ready() {
  local url="$1" pid="$2" _
  for _ in $(seq 1 360); do
    if curl -fsS -o /dev/null "$url" 2>/dev/null; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then echo "run-local.sh: the AppHost stopped; see its output above" >&2; return 1; fi
    sleep 0.5
  done
  echo "run-local.sh: the space did not answer at $url within 180 s" >&2
  return 1
}

apphost_pid=""

# Stops the AppHost as Ctrl+C does, with SIGTERM (a background job ignores SIGINT): it stops every resource it
# started and removes the throwaway database. After 30 s, for good.
stop_apphost() {
  [[ -n "$apphost_pid" ]] || return 0
  kill -TERM "$apphost_pid" 2>/dev/null || return 0
  local _
  for _ in $(seq 1 60); do
    kill -0 "$apphost_pid" 2>/dev/null || return 0
    sleep 0.5
  done
  echo "run-local.sh: the AppHost did not stop within 30 s; killing it" >&2
  kill -KILL "$apphost_pid" 2>/dev/null || true
}

main() {
  local port=8080 build=true check=false
  while (($#)); do
    case "$1" in
      --port) port="${2:?--port needs a number}"; shift 2 ;;
      --no-build) build=false; shift ;;
      --check) check=true; shift ;;
      -h | --help) usage; exit 0 ;;
      *) echo "run-local.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
  done
  if ! [[ "$port" =~ ^[0-9]+$ ]] || ((port < 1 || port > 65535)); then
    echo "run-local.sh: '$port' is not a TCP port number (1-65535)" >&2
    exit 2
  fi
  command -v curl >/dev/null || {
    echo "run-local.sh: curl is not installed (it checks the space is up). Install it:" >&2
    echo "              apt-get install curl | brew install curl | winget install cURL.cURL" >&2
    exit 1
  }
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "run-local.sh: port $port is in use; choose another with --port" >&2
    exit 1
  fi

  local root apphost
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
  apphost="$root/src/CloudRunSpace-1.AppHost/CloudRunSpace-1.AppHost.csproj"
  if [[ "$build" == true ]]; then
    dotnet build "$apphost" -nologo -v quiet
  fi
  # The newest build of the AppHost (Debug from this script, or Release from `dotnet build -c Release`).
  local program="" candidate
  for candidate in "$root"/src/CloudRunSpace-1.AppHost/bin/*/net10.0/CloudRunSpace-1.AppHost.dll; do
    [[ -e "$candidate" ]] || continue
    if [[ -z "$program" || "$candidate" -nt "$program" ]]; then program="$candidate"; fi
  done
  if [[ -z "$program" ]]; then
    echo "run-local.sh: the AppHost is not built; run without --no-build" >&2
    exit 1
  fi

  # `dotnet run` would not pass a signal on to the AppHost: run the built program with its launch profile's settings.
  ASPNETCORE_ENVIRONMENT=Development DOTNET_ENVIRONMENT=Development ASPNETCORE_URLS="${ASPNETCORE_URLS:-http://localhost:15080}" \
    ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL="${ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL:-http://localhost:19080}" \
    ASPIRE_ALLOW_UNSECURED_TRANSPORT=true \
    dotnet "$program" "Space:Port=$port" &
  apphost_pid=$!
  # Ctrl+C or SIGTERM: the AppHost stops every resource it started and removes the throwaway database.
  trap stop_apphost EXIT
  trap 'exit 130' INT TERM
  wait_ready "http://127.0.0.1:$port/" "$apphost_pid"

  if [[ "$check" == true ]]; then
    local page
    page="$(curl -fsS "http://127.0.0.1:$port/")"
    if grep -q 'class="title"' <<<"$page"; then
      echo "Check passed: the page lists records read from PostgreSQL through the backend."
      exit 0
    fi
    echo "run-local.sh: the page shows no records" >&2
    exit 1
  fi

  echo
  echo "The space is running: http://localhost:$port  (the dashboard's login link is above; Ctrl+C stops it)"
  wait "$apphost_pid"
}

main "$@"
