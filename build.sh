#!/usr/bin/env bash
# Checks (and on Debian/Ubuntu installs) the tools the target needs, restores the pinned Cake tool
# (.config/dotnet-tools.json) and runs build/build.cake. Every argument is handed to Cake, e.g.
# ./build.sh --target=Demo
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: ./build.sh [--target=NAME] [--configuration=Release|Debug] [--dry-run] [--help] [other Cake options]

Validates the template pack with Cake (build/build.cake). Targets:
  Default    Pack, Install, Variants, UnitTests, Build, Test, Smoke, LocalRun, Faults; writes artifacts/validation/report.md|json
  Pack       dotnet pack the templates into artifacts/packages/
  Install    install the package into an isolated hive (artifacts/template-hive), never your own
  Variants   compute the all-pairs option matrix into artifacts/validation/variants.json
  UnitTests  the repository's own tests (tests/CloudRunSpace.Templates.Tests)
  Build      per variant: dotnet new, restore, build with warnings as errors
  Test       per variant: the generated solution's tests (TRX in artifacts/validation/trx/)
  Smoke      per variant: services as Cloud Run runs them (PORT, K_SERVICE, tokens checked), page/form/401/403/logs/SIGTERM; shellcheck, up.sh --dry-run
  LocalRun   per variant: the generated run-local.sh --check (its AppHost: PostgreSQL, migrate, backend, two frontend
             instances behind local Cloud Run front ends; the page shows records)
  Faults     default variant: PostgreSQL stopped, backend killed, metadata server unreachable, SIGTERM, each under
             wrk load; no database password in any log; figures in artifacts/validation/faults.md
  Demo       scaffold the default space into artifacts/demo and run it locally through its AppHost (run-local.sh;
             prints the URL and the dashboard's login link; Ctrl+C stops it)
             --check: start it, check the page shows records from PostgreSQL, stop; --port=N: frontend port
  Bench      not in Default: cold start, memory, throughput (wrk, pgbench) and publish size of the generated
             services beside bare web/webapiaot baselines; writes artifacts/bench/report.md|json

Before any work, the tools the target needs are checked (build/prerequisites.sh): the .NET SDK of global.json,
PostgreSQL's server binaries, curl, shellcheck, yamllint, openssl, wrk, clang and zlib headers, each only where the
target uses it. On Debian or Ubuntu as root or with password-less sudo the missing ones are installed with
one apt-get line; elsewhere the build stops and names each with its apt, brew and winget command.

--dry-run   list the tasks the target would run, without running them (Cake's --dryrun)
USAGE
}

cake_args=()
for arg in "$@"; do
  case "$arg" in
    -h|--help) usage; exit 0 ;;
    --dry-run) cake_args+=("--dryrun") ;;
    *) cake_args+=("$arg") ;;
  esac
done

cd "$(dirname "${BASH_SOURCE[0]}")"
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# shellcheck source=build/prerequisites.sh
source build/prerequisites.sh
ensure_prerequisites "$(requested_target "$@")" "$PWD" || exit 3

dotnet tool restore >/dev/null
exec dotnet cake build/build.cake "${cake_args[@]}"
