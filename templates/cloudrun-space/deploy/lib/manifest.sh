# shellcheck shell=bash disable=SC2034 # the entries are read by the scripts that source this file.
# The space manifest: one space/NAME.conf per service or job (space/README.md). Read with the env files'
# parser (parse_kv_file in config.sh: KEY=value lines, never executed) and checked before any gcloud call,
# every error naming its file and line. Pure bash: the docker step of Cloud Build (no gcloud) reads it too.
#
# After load_manifest:
#   SPACE_ENTRIES   every entry's name, sorted (frontend and backend included)
#   ADDED_ENTRIES   the entries besides frontend and backend (added by `dotnet new cloudrun-service|job`)
#   ENTRY[NAME:KEY] the value of KEY in space/NAME.conf; ENTRY_WHERE[NAME:KEY] its FILE:LINE
# The sizes of an added entry become settings NAME_KEY (NAME upper-cased, '-' as '_', see entry_prefix),
# which deploy/env/ENV.env may override; config.sh checks them with the env file's other settings.

declare -gA ENTRY=()
declare -gA ENTRY_WHERE=()
SPACE_ENTRIES=()
ADDED_ENTRIES=()

# The keys every entry has, and those of each kind (sizes last: they may be set in the env file too).
readonly ENTRY_COMMON_KEYS=(KIND PROJECT DOCKERFILE DATABASE)
readonly SERVICE_ENTRY_KEYS=(INGRESS INVOKERS)
readonly SERVICE_SIZE_KEYS=(CONCURRENCY CPU MEMORY MIN_INSTANCES MAX_INSTANCES)
readonly JOB_ENTRY_KEYS=(SCHEDULE TIME_ZONE)
readonly JOB_SIZE_KEYS=(CPU MEMORY TASK_TIMEOUT MAX_RETRIES)
# Names an added entry cannot take: the space's own services, job and accounts end in these, and so do
# the secrets an entry may get (APP-ENV-db-NAME). Names ending in -sch would be a scheduler's account.
readonly RESERVED_ENTRY_NAMES=(fe be mig deploy migrate migrator ca vpc net run router nat psa db images source
  dp-cert dp-keys db-ca build-sources github)
# Cloud Run jobs run one task at a time here (--tasks=1): a job's pool counts once.
readonly JOB_TASKS=1

# entry_prefix NAME: the settings prefix of entry NAME ('nightly-report' -> NIGHTLY_REPORT).
entry_prefix() {
  local upper=${1^^}
  printf '%s' "${upper//-/_}"
}

# entry_kind NAME: service or job.
entry_kind() { printf '%s' "${ENTRY[$1:KIND]}"; }

# entry_size_keys NAME: the size keys of entry NAME's kind (DB_POOL_SIZE too when it uses the database).
entry_size_keys() {
  if [[ ${ENTRY[$1:KIND]} == service ]]; then
    printf '%s\n' "${SERVICE_SIZE_KEYS[@]}"
  else
    printf '%s\n' "${JOB_SIZE_KEYS[@]}"
  fi
  [[ ${ENTRY[$1:DATABASE]} != true ]] || printf '%s\n' DB_POOL_SIZE
}

# entry_invokers NAME: the entries named in NAME's INVOKERS, one a line.
entry_invokers() {
  local invoker
  local -a invokers
  IFS=, read -ra invokers <<<"${ENTRY[$1:INVOKERS]:-}"
  for invoker in "${invokers[@]}"; do
    [[ -z $invoker ]] || printf '%s\n' "$invoker"
  done
}

# entries_invoked_by CALLER: the added services whose INVOKERS name CALLER, one a line.
entries_invoked_by() {
  local name
  for name in "${ADDED_ENTRIES[@]}"; do
    [[ ${ENTRY[$name:KIND]} == service ]] || continue
    if entry_invokers "$name" | grep -qxF -- "$1"; then printf '%s\n' "$name"; fi
  done
}

# added_entries_of KIND: the added entries of KIND (service or job), one a line.
added_entries_of() {
  local name
  for name in "${ADDED_ENTRIES[@]}"; do
    [[ ${ENTRY[$name:KIND]} != "$1" ]] || printf '%s\n' "$name"
  done
}

# True when some added job has a SCHEDULE.
any_scheduled_job() {
  local name
  for name in "${ADDED_ENTRIES[@]}"; do
    [[ ${ENTRY[$name:KIND]} == job && -n ${ENTRY[$name:SCHEDULE]:-} ]] && return 0
  done
  return 1
}

_in_list() {
  local item=$1
  shift
  local other
  for other in "$@"; do
    [[ $other == "$item" ]] && return 0
  done
  return 1
}

# _entry_bad NAME KEY MESSAGE: stops with the file and line of NAME's KEY (or just its file).
_entry_bad() {
  local where=${ENTRY_WHERE[$1:$2]:-$MANIFEST_DIR/$1.conf}
  die "$where: $3"
}

# load_manifest SPACE_DIR: reads and checks every space/*.conf. The sizes' values are checked later, with
# the env file's overrides (validate_entry_settings in config.sh).
load_manifest() {
  MANIFEST_DIR="$1/space"
  [[ -d $MANIFEST_DIR ]] ||
    die "no space manifest: $MANIFEST_DIR does not exist (it lists the space's services and jobs; see space/README.md)"
  local file name i key
  local -a files
  shopt -s nullglob
  files=("$MANIFEST_DIR"/*.conf)
  shopt -u nullglob
  ENTRY=()
  ENTRY_WHERE=()
  SPACE_ENTRIES=()
  ADDED_ENTRIES=()
  for file in "${files[@]}"; do
    name=$(basename "$file" .conf)
    if ((${#name} > 20)) || ! [[ $name =~ ^[a-z]([a-z0-9-]*[a-z0-9])?$ ]]; then
      die "$file: bad entry name '$name': use 1-20 lowercase letters, digits and inner hyphens, starting with a letter (the file name is the entry's name)"
    fi
    if [[ $name != frontend && $name != backend ]]; then
      if _in_list "$name" "${RESERVED_ENTRY_NAMES[@]}" || [[ $name == *-sch ]]; then
        die "$file: the entry name '$name' is taken by the space's own resources (names ending in -$name would collide): choose another"
      fi
    fi
    parse_kv_file "$file"
    for i in "${!KV_KEYS[@]}"; do
      ENTRY[$name:${KV_KEYS[i]}]=${KV_VALUES[i]}
      ENTRY_WHERE[$name:${KV_KEYS[i]}]="$file:${KV_LINES[i]}"
    done
    SPACE_ENTRIES+=("$name")
    [[ $name == frontend || $name == backend ]] || ADDED_ENTRIES+=("$name")
  done
  for name in frontend backend; do
    _in_list "$name" "${SPACE_ENTRIES[@]}" ||
      die "$MANIFEST_DIR/$name.conf is missing: every space has its frontend and its backend"
  done
  for name in "${SPACE_ENTRIES[@]}"; do
    _check_entry "$name"
  done
  local public=()
  for name in "${SPACE_ENTRIES[@]}"; do
    [[ ${ENTRY[$name:INGRESS]:-} != all ]] || public+=("$name")
  done
  [[ ${public[*]} == frontend ]] ||
    die "$MANIFEST_DIR: exactly one entry, the frontend, has INGRESS=all (found: ${public[*]:-none}); the others are INGRESS=internal"
}

# _allowed_keys NAME: the keys space/NAME.conf may hold.
_allowed_keys() {
  local name=$1
  printf '%s\n' "${ENTRY_COMMON_KEYS[@]}"
  if [[ ${ENTRY[$name:KIND]} == service ]]; then
    printf '%s\n' "${SERVICE_ENTRY_KEYS[@]}"
  else
    printf '%s\n' "${JOB_ENTRY_KEYS[@]}"
  fi
  # The frontend's and the backend's sizes live in deploy/env/ENV.env (FRONTEND_*, BACKEND_*).
  [[ $name == frontend || $name == backend ]] || entry_size_keys "$name"
}

_check_entry() {
  local name=$1 key kind value invoker
  local file="$MANIFEST_DIR/$name.conf"
  [[ -n ${ENTRY[$name:KIND]+set} ]] || die "$file: KIND is missing (service or job)"
  kind=${ENTRY[$name:KIND]}
  [[ $kind == service || $kind == job ]] || _entry_bad "$name" KIND "KIND=$kind: expected service or job"
  [[ $kind == service || ($name != frontend && $name != backend) ]] ||
    _entry_bad "$name" KIND "KIND=$kind: the $name is a service"
  value=${ENTRY[$name:DATABASE]:-}
  [[ -z ${ENTRY[$name:DATABASE]+set} || $value == true || $value == false ]] ||
    _entry_bad "$name" DATABASE "DATABASE=$value: expected true or false"

  local -a allowed
  mapfile -t allowed < <(_allowed_keys "$name")
  local where
  for where in "${!ENTRY[@]}"; do
    [[ $where == "$name:"* ]] || continue
    key=${where#"$name:"}
    if ! _in_list "$key" "${allowed[@]}"; then
      if [[ $name == frontend || $name == backend ]] && _in_list "$key" "${SERVICE_SIZE_KEYS[@]}" DB_POOL_SIZE; then
        _entry_bad "$name" "$key" "'$key' of the $name is set in deploy/env/ENV.env as $(entry_prefix "$name")_$key, not here"
      fi
      _entry_bad "$name" "$key" "unknown key '$key' for a $kind (expected one of: ${allowed[*]})"
    fi
  done
  for key in "${allowed[@]}"; do
    case $key in
      SCHEDULE | TIME_ZONE) continue ;; # optional
    esac
    [[ -n ${ENTRY[$name:$key]+set} ]] || die "$file: $key is missing (a $kind entry needs: ${allowed[*]})"
  done

  for key in PROJECT DOCKERFILE; do
    value=${ENTRY[$name:$key]}
    [[ $value =~ ^[A-Za-z0-9_][A-Za-z0-9._/-]*$ && $value != *..* ]] ||
      _entry_bad "$name" "$key" "$key=$value: expected a path relative to the space root (letters, digits, '.', '_', '-', '/')"
  done
  if [[ $kind == service ]]; then
    value=${ENTRY[$name:INGRESS]}
    [[ $value == all || $value == internal ]] || _entry_bad "$name" INGRESS "INGRESS=$value: expected all or internal"
    while read -r invoker; do
      [[ $invoker != "$name" ]] || _entry_bad "$name" INVOKERS "INVOKERS: $name cannot list itself"
      _in_list "$invoker" "${SPACE_ENTRIES[@]}" ||
        _entry_bad "$name" INVOKERS "INVOKERS names '$invoker', which is no entry of the space (space/$invoker.conf does not exist)"
    done < <(entry_invokers "$name")
    if [[ $name != frontend && ${ENTRY[$name:INGRESS]} == internal && -z $(entry_invokers "$name") ]]; then
      _entry_bad "$name" INVOKERS "INVOKERS is empty: name the entries that call $name (e.g. INVOKERS=frontend)"
    fi
  else
    value=${ENTRY[$name:SCHEDULE]:-}
    if [[ -n $value ]] && ! [[ $value =~ ^[A-Za-z0-9*/,-]+( [A-Za-z0-9*/,-]+){4}$ ]]; then
      _entry_bad "$name" SCHEDULE "SCHEDULE=$value: expected a cron schedule of five fields, e.g. \"0 3 * * *\""
    fi
    value=${ENTRY[$name:TIME_ZONE]:-}
    if [[ -n $value ]] && ! [[ $value =~ ^[A-Za-z_]+(/[A-Za-z0-9_+-]+)*$ ]]; then
      _entry_bad "$name" TIME_ZONE "TIME_ZONE=$value: expected a tz database name, e.g. Etc/UTC or Europe/Berlin"
    fi
  fi
}
