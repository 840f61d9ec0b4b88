#!/usr/bin/env bash
# Checks (and on Debian/Ubuntu installs) the tools the target needs, restores the pinned Cake tool
# (.config/dotnet-tools.json) and runs build/build.cake. Every argument is handed to Cake, e.g.
# ./build.sh --target=Demo
set -euo pipefail

# The preamble of --help; the targets come from the Description of each Task in build/build.cake.
usage() {
  cat <<'USAGE'
Usage: ./build.sh [--target=NAME] [--configuration=Release|Debug] [--dry-run] [--help] [other Cake options]

Validates the template pack with Cake (build/build.cake; Default when no target is named). Before any work, the
tools the target needs are checked (build/prerequisites.sh): the .NET SDK of global.json, PostgreSQL's server
binaries, curl, shellcheck, yamllint, openssl, wrk, clang and zlib headers, each only where the target uses it.
On Debian or Ubuntu as root or with password-less sudo the missing ones are installed with one apt-get line;
elsewhere the build stops and names each with its apt, brew and winget command.

--dry-run   list the tasks the target would run, without running them (Cake's --dryrun)

Targets (from build/build.cake):
USAGE
}

# The toolkit build/build.cake references (#r): built Release into artifacts/toolkit/, quietly; its output is
# shown only when the build fails.
build_toolkit() {
  local log=artifacts/toolkit-build.log
  mkdir -p artifacts
  if ! dotnet build build/CloudRunSpace.Validation/CloudRunSpace.Validation.csproj -c Release -o artifacts/toolkit \
    -nologo -v quiet >"$log" 2>&1; then
    cat "$log" >&2
    echo "build.sh: building the toolkit (build/CloudRunSpace.Validation) failed; see above" >&2
    return 1
  fi
}

cake_args=()
help=0
for arg in "$@"; do
  case "$arg" in
    -h|--help) help=1 ;;
    --dry-run) cake_args+=("--dryrun") ;;
    *) cake_args+=("$arg") ;;
  esac
done

cd "$(dirname "${BASH_SOURCE[0]}")"
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

if ((help)); then
  usage
  dotnet tool restore >/dev/null
  build_toolkit || exit 1
  # Cake's own list of the tasks and their descriptions: the one place the targets are described.
  exec dotnet cake build/build.cake --description
fi

# shellcheck source=build/prerequisites.sh
source build/prerequisites.sh
ensure_prerequisites "$(requested_target "$@")" "$PWD" || exit 3

dotnet tool restore >/dev/null
build_toolkit || exit 1
exec dotnet cake build/build.cake "${cake_args[@]}"
