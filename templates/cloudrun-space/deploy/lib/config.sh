# shellcheck shell=bash disable=SC2034 # the settings are read by the scripts that source this file.
# Reads deploy/env/<env>.env (the one place for an environment's settings) and checks every value
# before any gcloud call. The file is parsed as KEY=value lines, never executed.

# Every setting an env file may hold; anything else is a typo and stops the script.
readonly REQUIRED_SETTINGS=(
  APP PROJECT_ID REGION DB_AUTH EGRESS
  SUBNET_RANGE PSA_PREFIX_LENGTH
  DB_VERSION DB_TIER DB_MAX_CONNECTIONS
  DB_AVAILABILITY DB_RETAINED_BACKUPS DB_LOG_RETENTION_DAYS DB_BACKUP_START DB_MAINTENANCE_DAY DB_MAINTENANCE_HOUR
  DB_FINAL_BACKUP_DAYS
  BACKEND_CONCURRENCY BACKEND_CPU BACKEND_MEMORY BACKEND_MIN_INSTANCES BACKEND_MAX_INSTANCES BACKEND_DB_POOL_SIZE
  FRONTEND_CONCURRENCY FRONTEND_CPU FRONTEND_MEMORY FRONTEND_MIN_INSTANCES FRONTEND_MAX_INSTANCES
)
readonly OPTIONAL_SETTINGS=(CONNECTOR_RANGE FRONTEND_SUBNET_RANGE GITHUB_REPOSITORY GITHUB_BRANCH GITHUB_CONNECTION
  EDGE DOMAIN WAF_SENSITIVITY RATE_LIMIT_PER_MINUTE TRUSTED_IP_RANGES STATIC_EGRESS_IP BINARY_AUTHORIZATION
  MONITORING_EMAIL FRONTEND_SLO_AVAILABILITY FRONTEND_SLO_LATENCY BACKEND_SLO_AVAILABILITY BACKEND_SLO_LATENCY
  UPTIME_CHECK_PERIOD DASHBOARD)

# Regions where Cloud Run, Cloud SQL, Serverless VPC Access and Artifact Registry are all offered.
readonly KNOWN_REGIONS=(
  africa-south1 asia-east1 asia-east2 asia-northeast1 asia-northeast2 asia-northeast3 asia-south1 asia-south2
  asia-southeast1 asia-southeast2 australia-southeast1 australia-southeast2 europe-central2 europe-north1
  europe-southwest1 europe-west1 europe-west2 europe-west3 europe-west4 europe-west6 europe-west8 europe-west9
  europe-west10 europe-west12 me-central1 me-central2 me-west1 northamerica-northeast1 northamerica-northeast2
  southamerica-east1 southamerica-west1 us-central1 us-east1 us-east4 us-east5 us-south1 us-west1 us-west2
  us-west3 us-west4
)

# Connections Cloud SQL keeps for itself and its maintenance agents, beside max_connections' users.
readonly DB_RESERVED_CONNECTIONS=10
# The migration job uses this many connections at most.
readonly MIGRATE_DB_POOL_SIZE=2

_is_setting() {
  local name
  for name in "${REQUIRED_SETTINGS[@]}" "${OPTIONAL_SETTINGS[@]}" "${ENTRY_SETTINGS[@]}"; do
    [[ $name == "$1" ]] && return 0
  done
  return 1
}

# parse_kv_file FILE: reads FILE's KEY=value lines (blank lines and '#' comments skipped; a value may be
# quoted with "..." or '...') into KV_KEYS, KV_VALUES and KV_LINES (line numbers), in order. Never
# executes anything. Stops, naming the file and line, at a line of another form or a key set twice. The
# one parser of the env files and the space manifest (manifest.sh).
parse_kv_file() {
  local file=$1 line key value number=0 seen=" "
  KV_KEYS=()
  KV_VALUES=()
  KV_LINES=()
  while IFS= read -r line || [[ -n $line ]]; do
    number=$((number + 1))
    line=${line%$'\r'}
    [[ $line =~ ^[[:space:]]*(#.*)?$ ]] && continue
    [[ $line =~ ^([A-Z][A-Z0-9_]*)=(.*)$ ]] || die "$file:$number: expected KEY=value, found: $line"
    key=${BASH_REMATCH[1]}
    value=${BASH_REMATCH[2]}
    if [[ $value =~ ^\"(.*)\"$ || $value =~ ^\'(.*)\'$ ]]; then
      value=${BASH_REMATCH[1]}
    fi
    [[ $seen != *" $key "* ]] || die "$file:$number: '$key' is set twice"
    seen+="$key "
    KV_KEYS+=("$key")
    KV_VALUES+=("$value")
    KV_LINES+=("$number")
  done <"$file"
}

# The settings the manifest's added entries bring (NAME_KEY for each size key), set by load_env.
ENTRY_SETTINGS=()

# load_env DEPLOY_DIR: reads the space manifest (space/*.conf) and deploy/env/$ENV_NAME.env into shell
# variables, then validates them. An added entry's size comes from the env file when it sets NAME_KEY
# there, else from the entry's file.
load_env() {
  local deploy_dir=$1
  [[ $ENV_NAME =~ ^[a-z][a-z0-9]{0,9}$ ]] ||
    die "bad environment name '$ENV_NAME': use 1-10 lowercase letters or digits, starting with a letter (e.g. prod, staging)"
  ENV_FILE="$deploy_dir/env/$ENV_NAME.env"
  [[ -f $ENV_FILE ]] || die "no settings for environment '$ENV_NAME': $ENV_FILE does not exist"
  load_manifest "$(cd "$deploy_dir/.." && pwd)"

  local name key i
  ENTRY_SETTINGS=()
  for name in "${ADDED_ENTRIES[@]}"; do
    while read -r key; do
      ENTRY_SETTINGS+=("$(entry_prefix "$name")_$key")
    done < <(entry_size_keys "$name")
    # An added service's SLOs: the backend's unless the env file sets its own.
    [[ ${ENTRY[$name:KIND]} != service ]] ||
      ENTRY_SETTINGS+=("$(entry_prefix "$name")_SLO_AVAILABILITY" "$(entry_prefix "$name")_SLO_LATENCY")
  done

  parse_kv_file "$ENV_FILE"
  ENV_SET=" "
  for i in "${!KV_KEYS[@]}"; do
    key=${KV_KEYS[i]}
    _is_setting "$key" || die "$ENV_FILE:${KV_LINES[i]}: unknown setting '$key'"
    ENV_SET+="$key "
    printf -v "$key" '%s' "${KV_VALUES[i]}"
  done

  for key in "${REQUIRED_SETTINGS[@]}"; do
    [[ -n ${!key:-} ]] || die "$ENV_FILE: '$key' is missing or empty"
  done
  for key in "${OPTIONAL_SETTINGS[@]}"; do
    printf -v "$key" '%s' "${!key:-}"
  done
  # The entries' sizes the env file leaves alone: their files' values.
  for name in "${ADDED_ENTRIES[@]}"; do
    while read -r key; do
      [[ $ENV_SET == *" $(entry_prefix "$name")_$key "* ]] ||
        printf -v "$(entry_prefix "$name")_$key" '%s' "${ENTRY[$name:$key]}"
    done < <(entry_size_keys "$name")
  done
  # A monitoring setting left out of the env file (one written before they existed) is off; an added
  # service's SLOs are the backend's unless the env file sets them.
  UPTIME_CHECK_PERIOD=${UPTIME_CHECK_PERIOD:-off}
  DASHBOARD=${DASHBOARD:-false}
  for key in FRONTEND_SLO_AVAILABILITY FRONTEND_SLO_LATENCY BACKEND_SLO_AVAILABILITY BACKEND_SLO_LATENCY; do
    [[ -n ${!key} ]] || printf -v "$key" '%s' off
  done
  for name in "${ADDED_ENTRIES[@]}"; do
    [[ ${ENTRY[$name:KIND]} == service ]] || continue
    for key in BACKEND_SLO_AVAILABILITY BACKEND_SLO_LATENCY; do
      i="$(entry_prefix "$name")_${key#BACKEND_}"
      [[ -n ${!i:-} ]] || printf -v "$i" '%s' "${!key}"
    done
  done
  ENVIRONMENT=$ENV_NAME
  validate_settings
}

# Where the value being checked comes from: the env file, or an entry's file and line (_setting_source).
BAD_WHERE=
_bad() { die "${BAD_WHERE:-$ENV_FILE}: $*"; }

_require_int() {
  local name=$1 min=$2 max=$3 value=${!1}
  if ! [[ $value =~ ^[0-9]+$ ]] || ((10#$value < min || 10#$value > max)); then
    _bad "$name=$value: expected a whole number from $min to $max"
  fi
}

_require_memory() {
  local name=$1 value=${!1} mib
  [[ $value =~ ^([0-9]+)(Mi|Gi)$ ]] || _bad "$name=$value: expected a size like 512Mi or 2Gi"
  mib=$((10#${BASH_REMATCH[1]}))
  [[ ${BASH_REMATCH[2]} == Gi ]] && mib=$((mib * 1024))
  # The second generation execution environment needs at least 512 MiB.
  ((mib >= 512 && mib <= 32768)) || _bad "$name=$value: Cloud Run (2nd gen) takes 512Mi to 32Gi"
}

# _require_cidr NAME PREFIX_MIN PREFIX_MAX: NAME holds a range inside RFC 1918's private space
# (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16), written with its network address, and a prefix from
# PREFIX_MIN to PREFIX_MAX. Sets NAME_FIRST and NAME_LAST to its first and last address (as numbers).
_require_cidr() {
  local name=$1 prefix_min=$2 prefix_max=$3 value=${!1}
  local octets=() octet prefix address=0 size network
  [[ $value =~ ^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})/([0-9]{1,2})$ ]] ||
    _bad "$name=$value: expected a private IPv4 range such as 10.10.0.0/24"
  octets=("${BASH_REMATCH[@]:1:4}")
  prefix=$((10#${BASH_REMATCH[5]}))
  for octet in "${octets[@]}"; do
    ((10#$octet <= 255)) || _bad "$name=$value: $octet is not an address byte (0 to 255)"
    address=$((address * 256 + 10#$octet))
  done
  ((prefix >= prefix_min && prefix <= prefix_max)) ||
    _bad "$name=$value: expected a private IPv4 range with a /$prefix_min to /$prefix_max prefix"
  local a=$((10#${octets[0]})) b=$((10#${octets[1]}))
  if ! ((a == 10 && prefix >= 8 || a == 172 && b >= 16 && b <= 31 && prefix >= 12 ||
    a == 192 && b == 168 && prefix >= 16)); then
    _bad "$name=$value is not a private range: use part of 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16 (RFC 1918)"
  fi
  size=$((1 << (32 - prefix)))
  if ((address % size != 0)); then
    network=$((address - address % size))
    _bad "$name=$value: a /$prefix range starts at a multiple of $size addresses; did you mean $((network >> 24)).$((network >> 16 & 255)).$((network >> 8 & 255)).$((network & 255))/$prefix?"
  fi
  printf -v "${name}_FIRST" '%s' "$address"
  printf -v "${name}_LAST" '%s' "$((address + size - 1))"
}

# _require_apart NAME OTHER: the ranges NAME and OTHER (both checked by _require_cidr) share no address.
_require_apart() {
  local first=${1}_FIRST last=${1}_LAST other_first=${2}_FIRST other_last=${2}_LAST
  if ((${!first} <= ${!other_last} && ${!other_first} <= ${!last})); then
    _bad "$1=${!1} overlaps $2=${!2}: give each its own range"
  fi
}

# parse_slo VALUE: reads an SLO setting, PERCENT%/PERIOD (availability) or PERCENT%<MSms/PERIOD (latency),
# PERIOD being Nd (a rolling N days, 1 to 30) or day, week, fortnight or month (the calendar's). Sets
# SLO_GOAL (a fraction), SLO_THRESHOLD (seconds, e.g. 0.2s; empty for availability), SLO_PERIOD_FIELD
# (rollingPeriod or calendarPeriod) and SLO_PERIOD (e.g. 2419200s or MONTH). Returns 1 when VALUE is not
# of that form or out of range.
parse_slo() {
  local form='^([0-9]{1,2}(\.[0-9]{1,2})?)%(<([0-9]{1,5})ms)?/(([0-9]{1,2})d|day|week|fortnight|month)$'
  [[ $1 =~ $form ]] || return 1
  local percent=${BASH_REMATCH[1]} ms=${BASH_REMATCH[4]} period=${BASH_REMATCH[5]} days=${BASH_REMATCH[6]}
  [[ $percent =~ [1-9] ]] || return 1
  SLO_GOAL=$(awk -v p="$percent" 'BEGIN { printf "%.6g", p / 100 }')
  SLO_THRESHOLD=
  if [[ -n $ms ]]; then
    ((10#$ms >= 1 && 10#$ms <= 60000)) || return 1
    SLO_THRESHOLD=$(awk -v ms="$((10#$ms))" 'BEGIN { printf "%gs", ms / 1000 }')
  fi
  if [[ -n $days ]]; then
    ((10#$days >= 1 && 10#$days <= 30)) || return 1
    SLO_PERIOD_FIELD=rollingPeriod SLO_PERIOD="$((10#$days * 86400))s"
  else
    SLO_PERIOD_FIELD=calendarPeriod SLO_PERIOD=${period^^}
  fi
}

# _require_slo SETTING KIND: SETTING is off or an SLO of KIND (availability or latency) parse_slo reads.
_require_slo() {
  local setting=$1 kind=$2 value=${!1}
  [[ $value != off ]] || return 0
  local example='99.5%/28d' form='PERCENT%/PERIOD'
  [[ $kind == availability ]] || example='90%<200ms/month' form='PERCENT%<MSms/PERIOD'
  if ! parse_slo "$value" || [[ $kind == availability && -n $SLO_THRESHOLD || $kind == latency && -z $SLO_THRESHOLD ]]; then
    _bad "$setting=$value: expected off or $form, e.g. $example (PERCENT above 0 and at most 99.99, MS from 1 to 60000, PERIOD Nd for a rolling 1 to 30 days, or day, week, fortnight or month)"
  fi
}

# _setting_source NAME KEY: points BAD_WHERE at where entry NAME's setting KEY comes from.
_setting_source() {
  if [[ $ENV_SET == *" $(entry_prefix "$1")_$2 "* ]]; then
    BAD_WHERE=$ENV_FILE
  else
    BAD_WHERE=${ENTRY_WHERE[$1:$2]}
  fi
}

# _require_size SETTING KEY: checks a service's or job's size setting SETTING (PREFIX_KEY) by its KEY.
_require_size() {
  local setting=$1 key=$2
  case $key in
    CONCURRENCY) _require_int "$setting" 1 1000 ;;
    MIN_INSTANCES) _require_int "$setting" 0 100 ;;
    MAX_INSTANCES) _require_int "$setting" 1 1000 ;;
    MEMORY) _require_memory "$setting" ;;
    CPU) [[ ${!setting} =~ ^(1|2|4|6|8)$ ]] || _bad "$setting=${!setting}: expected 1, 2, 4, 6 or 8" ;;
    DB_POOL_SIZE) _require_int "$setting" 1 500 ;;
    MAX_RETRIES) _require_int "$setting" 0 10 ;;
    TASK_TIMEOUT)
      if ! [[ ${!setting} =~ ^([0-9]+)s$ ]] || ((10#${BASH_REMATCH[1]} < 1 || 10#${BASH_REMATCH[1]} > 86400)); then
        _bad "$setting=${!setting}: expected seconds from 1s to 86400s, e.g. 600s"
      fi
      ;;
  esac
}

# The added entries' sizes (from their files or the env file), each error naming where the value is.
validate_entry_settings() {
  local name key prefix
  for name in "${ADDED_ENTRIES[@]}"; do
    prefix=$(entry_prefix "$name")
    while read -r key; do
      _setting_source "$name" "$key"
      _require_size "${prefix}_$key" "$key"
    done < <(entry_size_keys "$name")
    if [[ ${ENTRY[$name:KIND]} == service ]]; then
      local min_name="${prefix}_MIN_INSTANCES" max_name="${prefix}_MAX_INSTANCES"
      _setting_source "$name" MIN_INSTANCES
      ((10#${!min_name} <= 10#${!max_name})) || _bad "$min_name must not exceed $max_name"
    fi
  done
  BAD_WHERE=
}

# _require_public_cidr RANGE: RANGE is an IPv4 address or range (a.b.c.d or a.b.c.d/n) written with its
# network address, as Cloud Armor's --src-ip-ranges takes it.
_require_public_cidr() {
  local range=$1 octet address=0 prefix size
  [[ $range =~ ^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})(/([0-9]{1,2}))?$ ]] ||
    _bad "TRUSTED_IP_RANGES: '$range' is not an IPv4 address or range (e.g. 203.0.113.0/24)"
  prefix=$((10#${BASH_REMATCH[6]:-32}))
  for octet in "${BASH_REMATCH[@]:1:4}"; do
    ((10#$octet <= 255)) || _bad "TRUSTED_IP_RANGES: '$range': $octet is not an address byte (0 to 255)"
    address=$((address * 256 + 10#$octet))
  done
  ((prefix >= 1 && prefix <= 32)) || _bad "TRUSTED_IP_RANGES: '$range': expected a /1 to /32 prefix"
  size=$((1 << (32 - prefix)))
  ((address % size == 0)) || _bad "TRUSTED_IP_RANGES: '$range': a /$prefix range starts at a multiple of $size addresses"
}

# The edge's settings (lib/edge.sh); their defaults when the env file leaves them out.
validate_edge_settings() {
  EDGE=${EDGE:-direct}
  WAF_SENSITIVITY=${WAF_SENSITIVITY:-1}
  RATE_LIMIT_PER_MINUTE=${RATE_LIMIT_PER_MINUTE:-600}
  [[ $EDGE == direct || $EDGE == load-balancer ]] || _bad "EDGE=$EDGE: expected direct or load-balancer"
  # Cloud Armor's preconfigured WAF rules have sensitivity levels 1 (fewest false positives) to 4.
  [[ $WAF_SENSITIVITY =~ ^[1-4]$ ]] || _bad "WAF_SENSITIVITY=$WAF_SENSITIVITY: expected 1, 2, 3 or 4"
  _require_int RATE_LIMIT_PER_MINUTE 1 1000000
  local range ranges=()
  IFS=',' read -r -a ranges <<<"$TRUSTED_IP_RANGES"
  # Cloud Armor takes at most 10 ranges in a rule's --src-ip-ranges.
  ((${#ranges[@]} <= 10)) || _bad "TRUSTED_IP_RANGES: at most 10 ranges (Cloud Armor's limit for one rule)"
  for range in "${ranges[@]}"; do
    _require_public_cidr "$range"
  done
  if [[ $EDGE == load-balancer ]]; then
    [[ -n $DOMAIN ]] || _bad "DOMAIN is required when EDGE=load-balancer (the name the certificate is for, e.g. shop.example.com)"
    [[ ${#DOMAIN} -le 253 && $DOMAIN =~ ^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$ ]] ||
      _bad "DOMAIN=$DOMAIN: expected a lowercase fully qualified domain name such as shop.example.com (no scheme, no wildcard)"
  elif [[ -n $TRUSTED_IP_RANGES ]]; then
    _bad "TRUSTED_IP_RANGES needs EDGE=load-balancer: Cloud Armor enforces them at the load balancer"
  fi
}

validate_settings() {
  [[ $PROJECT_ID =~ ^[a-z][a-z0-9-]{4,28}[a-z0-9]$ ]] ||
    _bad "PROJECT_ID=$PROJECT_ID is not a valid project id (6-30 characters: lowercase letters, digits, hyphens; starts with a letter)"
  local known_region known=false
  for known_region in "${KNOWN_REGIONS[@]}"; do
    [[ $known_region == "${REGION:?}" ]] && known=true
  done
  [[ $known == true ]] || _bad "REGION=$REGION is not a region this space can use (e.g. us-central1, europe-west1)"
  [[ $APP =~ ^[a-z0-9]([a-z0-9-]*[a-z0-9])?$ ]] ||
    _bad "APP=$APP: expected lowercase letters, digits and inner hyphens"
  [[ $DB_AUTH == password || $DB_AUTH == iam ]] || _bad "DB_AUTH=$DB_AUTH: expected password or iam"
  [[ $EGRESS == direct-vpc || $EGRESS == connector ]] || _bad "EGRESS=$EGRESS: expected direct-vpc or connector"

  # Direct VPC egress takes addresses from this subnet: /26 is the smallest it accepts.
  _require_cidr SUBNET_RANGE 8 26
  if [[ $EGRESS == connector ]]; then
    [[ -n $CONNECTOR_RANGE ]] || _bad "CONNECTOR_RANGE is required when EGRESS=connector (an unused /28, e.g. 10.8.0.0/28)"
    _require_cidr CONNECTOR_RANGE 28 28
    _require_apart CONNECTOR_RANGE SUBNET_RANGE
  else
    # The frontend's own subnet: the only one Cloud NAT serves.
    [[ -n $FRONTEND_SUBNET_RANGE ]] ||
      _bad "FRONTEND_SUBNET_RANGE is required when EGRESS=direct-vpc (an unused /26 or larger, e.g. 10.11.0.0/24)"
    _require_cidr FRONTEND_SUBNET_RANGE 8 26
    _require_apart FRONTEND_SUBNET_RANGE SUBNET_RANGE
  fi
  _require_int PSA_PREFIX_LENGTH 8 24
  [[ $DB_VERSION =~ ^POSTGRES_[0-9]+$ ]] || _bad "DB_VERSION=$DB_VERSION: expected e.g. POSTGRES_16"
  [[ $DB_TIER =~ ^db-[a-z0-9-]+$ ]] || _bad "DB_TIER=$DB_TIER: expected a Cloud SQL tier, e.g. db-custom-1-3840"
  _require_int DB_MAX_CONNECTIONS 25 262143
  [[ $DB_AVAILABILITY == regional || $DB_AVAILABILITY == zonal ]] ||
    _bad "DB_AVAILABILITY=$DB_AVAILABILITY: expected regional (a standby in a second zone) or zonal"
  _require_int DB_RETAINED_BACKUPS 1 365
  # Enterprise edition keeps at most 7 days of transaction logs for point-in-time recovery.
  _require_int DB_LOG_RETENTION_DAYS 1 7
  [[ $DB_BACKUP_START =~ ^([01][0-9]|2[0-3]):[0-5][0-9]$ ]] ||
    _bad "DB_BACKUP_START=$DB_BACKUP_START: expected a UTC time HH:MM, e.g. 03:00"
  [[ $DB_MAINTENANCE_DAY =~ ^(MON|TUE|WED|THU|FRI|SAT|SUN)$ ]] ||
    _bad "DB_MAINTENANCE_DAY=$DB_MAINTENANCE_DAY: expected MON, TUE, WED, THU, FRI, SAT or SUN"
  _require_int DB_MAINTENANCE_HOUR 0 23
  _require_int DB_FINAL_BACKUP_DAYS 1 365

  local service
  for service in BACKEND FRONTEND; do
    _require_int "${service}_CONCURRENCY" 1 1000
    _require_int "${service}_MIN_INSTANCES" 0 100
    _require_int "${service}_MAX_INSTANCES" 1 1000
    _require_memory "${service}_MEMORY"
    local cpu_name="${service}_CPU" min_name="${service}_MIN_INSTANCES" max_name="${service}_MAX_INSTANCES"
    [[ ${!cpu_name} =~ ^(1|2|4|6|8)$ ]] || _bad "$cpu_name=${!cpu_name}: expected 1, 2, 4, 6 or 8"
    ((10#${!min_name} <= 10#${!max_name})) || _bad "$min_name must not exceed $max_name"
  done
  _require_int BACKEND_DB_POOL_SIZE 1 500

  validate_entry_settings
  local name kind
  for name in "${SPACE_ENTRIES[@]}"; do
    [[ ${ENTRY[$name:KIND]} == service ]] || continue
    for kind in availability latency; do
      _require_slo "$(entry_prefix "$name")_SLO_${kind^^}" "$kind"
    done
  done
  [[ $UPTIME_CHECK_PERIOD =~ ^(1|5|10|15|off)$ ]] ||
    _bad "UPTIME_CHECK_PERIOD=$UPTIME_CHECK_PERIOD: expected the minutes between checks, 1, 5, 10 or 15, or off"
  [[ $DASHBOARD == true || $DASHBOARD == false ]] || _bad "DASHBOARD=$DASHBOARD: expected true or false"
  # One address: Cloud Monitoring's e-mail channel takes one.
  if [[ -n $MONITORING_EMAIL && ! $MONITORING_EMAIL =~ ^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$ ]]; then
    _bad "MONITORING_EMAIL=$MONITORING_EMAIL: expected one e-mail address, e.g. ops@example.com (or empty: no notifications)"
  fi

  # Old and new revisions both run during a rollout or a canary, each up to its max instances: the
  # database must take twice the pools of the backend and of every added service with DATABASE=true, an
  # added job's pool once per task, the migration job's and its own reserve.
  local needed=$((2 * 10#$BACKEND_MAX_INSTANCES * 10#$BACKEND_DB_POOL_SIZE + MIGRATE_DB_POOL_SIZE + DB_RESERVED_CONNECTIONS))
  local sum="2 revisions x BACKEND_MAX_INSTANCES=$BACKEND_MAX_INSTANCES x BACKEND_DB_POOL_SIZE=$BACKEND_DB_POOL_SIZE"
  local name prefix max pool
  for name in "${ADDED_ENTRIES[@]}"; do
    [[ ${ENTRY[$name:DATABASE]} == true ]] || continue
    prefix=$(entry_prefix "$name")
    pool="${prefix}_DB_POOL_SIZE"
    if [[ ${ENTRY[$name:KIND]} == service ]]; then
      max="${prefix}_MAX_INSTANCES"
      needed=$((needed + 2 * 10#${!max} * 10#${!pool}))
      sum+=" + 2 x $max=${!max} x $pool=${!pool}"
    else
      needed=$((needed + JOB_TASKS * 10#${!pool}))
      sum+=" + $pool=${!pool} (job)"
    fi
  done
  ((needed <= 10#$DB_MAX_CONNECTIONS)) ||
    _bad "the space could open more database connections than DB_MAX_CONNECTIONS=$DB_MAX_CONNECTIONS allows: $sum + $MIGRATE_DB_POOL_SIZE (migrations) + $DB_RESERVED_CONNECTIONS (reserved) = $needed. Lower the pools or max instances, or raise DB_MAX_CONNECTIONS (and DB_TIER)."

  if [[ -n $GITHUB_REPOSITORY ]]; then
    [[ $GITHUB_REPOSITORY =~ ^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$ ]] ||
      _bad "GITHUB_REPOSITORY=$GITHUB_REPOSITORY: expected OWNER/NAME"
  fi
  GITHUB_BRANCH=${GITHUB_BRANCH:-main}
  validate_edge_settings
  STATIC_EGRESS_IP=${STATIC_EGRESS_IP:-false}
  [[ $STATIC_EGRESS_IP == true || $STATIC_EGRESS_IP == false ]] ||
    _bad "STATIC_EGRESS_IP=$STATIC_EGRESS_IP: expected true or false"
  BINARY_AUTHORIZATION=${BINARY_AUTHORIZATION:-false}
  [[ $BINARY_AUTHORIZATION == true || $BINARY_AUTHORIZATION == false ]] ||
    _bad "BINARY_AUTHORIZATION=$BINARY_AUTHORIZATION: expected true or false"
  # Cloud Build attests only the images cloudbuild.yaml lists under images:, names known before the build;
  # the added entries' images are pushed by the build-added step and would be refused.
  if [[ $BINARY_AUTHORIZATION == true ]] && ((${#ADDED_ENTRIES[@]} > 0)); then
    _bad "BINARY_AUTHORIZATION=true admits only images Cloud Build attested, and the images of the entries added in space/ (${ADDED_ENTRIES[*]}) have no attestation: cloudbuild.yaml's build-added step pushes them itself, and only images listed under images: are attested. Leave BINARY_AUTHORIZATION=false in a space with added entries (see the README, Operations)"
  fi
  derive_names
}
