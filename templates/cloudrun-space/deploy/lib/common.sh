# shellcheck shell=bash disable=SC2034 # ENV_NAME is read by config.sh.
# Sourced by every deploy script: messages, the common options, and the one place gcloud is called,
# so that --dry-run covers every call.

if ((BASH_VERSINFO[0] < 4)); then
  printf 'error: these scripts need bash 4 or newer (this is %s)\n' "$BASH_VERSION" >&2
  exit 1
fi

# Prompts would hang unattended runs (Cloud Build, CI); every script states its choices explicitly.
export CLOUDSDK_CORE_DISABLE_PROMPTS=1

DRY_RUN=false
ENV_NAME=prod
# Dry-run lines go to the stdout the script started with, even from inside $(...) captures.
exec 3>&1

log() { printf '==> %s\n' "$*" >&2; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

# Prints the script's usage block: the leading comment lines after the shebang, without the '# '.
print_usage() {
  sed -n '2,/^[^#]/{/^#/!q;s/^# \{0,1\}//;p}' "$1"
}

# Parses the options every script shares. Sets REST_ARGS to what is left, in order.
# Usage: parse_common_options "$0" "$@"
parse_common_options() {
  local script=$1
  shift
  REST_ARGS=()
  while (($#)); do
    case $1 in
      -h | --help)
        print_usage "$script"
        exit 0
        ;;
      --dry-run) DRY_RUN=true ;;
      --env)
        (($# >= 2)) || die "--env needs a value (an environment name, e.g. prod)"
        ENV_NAME=$2
        shift
        ;;
      --env=*) ENV_NAME=${1#--env=} ;;
      *) REST_ARGS+=("$1") ;;
    esac
    shift
  done
}

require_gcloud() {
  [[ $DRY_RUN == true ]] && return 0
  command -v gcloud >/dev/null 2>&1 ||
    die "gcloud is not on PATH: install the Google Cloud CLI and run 'gcloud auth login'"
}

# Runs gcloud with the environment's project; on --dry-run prints the call instead (prefix 'DRY-RUN: ').
gc() {
  if [[ $DRY_RUN == true ]]; then
    {
      printf 'DRY-RUN: gcloud'
      printf ' %q' "$@" "--project=$PROJECT_ID"
      printf '\n'
    } >&3
    return 0
  fi
  gcloud "$@" "--project=$PROJECT_ID"
}

# A read-only query (describe/list). Its errors are hidden: callers treat failure as "not there".
# On --dry-run it is printed and finds nothing.
gc_query() {
  if [[ $DRY_RUN == true ]]; then
    gc "$@"
    return 1
  fi
  gcloud "$@" "--project=$PROJECT_ID" 2>/dev/null
}

# A read-only query that is made even on --dry-run, so that a dry run can show how what exists differs
# from the settings. Its errors are hidden: callers treat failure as "not there". On --dry-run without
# gcloud on PATH it is printed and finds nothing.
gc_read() {
  if [[ $DRY_RUN == true ]] && ! command -v gcloud >/dev/null 2>&1; then
    gc "$@"
    return 1
  fi
  gcloud "$@" "--project=$PROJECT_ID" 2>/dev/null
}

# True when the described resource exists.
exists() { gc_query "$@" --format='value(name)' >/dev/null; }

# True when the described resource exists, asked even on --dry-run (gc_read).
exists_even_in_dry_run() { gc_read "$@" --format='value(name)' >/dev/null; }

# split_args BEFORE... -- AFTER...: sets ARGS_BEFORE and ARGS_AFTER to the arguments before and after the
# first '--' (e.g. a describe's and a delete's gcloud arguments). Callers copy them before calling again.
split_args() {
  ARGS_BEFORE=()
  while [[ $1 != -- ]]; do
    ARGS_BEFORE+=("$1")
    shift
  done
  shift
  ARGS_AFTER=("$@")
}

# Retries a gcloud call a few times: some resources are not usable for a while after they are created.
gc_retry() {
  local attempt delay
  for attempt in 1 2 3 4 5; do
    gc "$@" && return 0
    ((attempt < 5)) || break
    delay=$((attempt * ${RETRY_DELAY_SECONDS:-10}))
    warn "attempt $attempt failed; retrying in $delay s"
    sleep "$delay"
  done
  die "gcloud $* failed 5 times"
}
