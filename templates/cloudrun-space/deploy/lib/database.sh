# shellcheck shell=bash
# Cloud SQL for PostgreSQL on private IP only, its database, its users, and the Secret Manager
# secrets that hand the backend and the migration job their connection strings.
# A generated password only ever travels through pipes: never echoed, never on a command line.

# What up.sh keeps in line with the env file on an instance that exists, read in one describe: tier,
# availability type (REGIONAL or ZONAL) and the database flags as NAME=VALUE,NAME=VALUE, separated by '|'.
readonly SQL_SETTINGS_FORMAT='value[separator="|"](settings.tier,settings.availabilityType,settings.databaseFlags.map().format("{0}={1}",name,value).list())'

# The database flags the env file decides, one NAME=VALUE a line.
managed_db_flags() {
  printf '%s\n' "max_connections=$DB_MAX_CONNECTIONS"
  if [[ $DB_AUTH == iam ]]; then
    printf '%s\n' "cloudsql.iam_authentication=on"
  fi
}

# Creates the instance with its safety net: deletion protection (down.sh deletes it only when told to),
# daily backups kept DB_RETAINED_BACKUPS days, point-in-time recovery over DB_LOG_RETENTION_DAYS days
# of transaction logs, a weekly maintenance hour, and DB_AVAILABILITY. An instance that exists gets
# what changed in the env file since (reconcile_sql_instance).
ensure_sql_instance() {
  local current
  # Read even on --dry-run, so that a dry run shows what would change.
  if current=$(gc_read sql instances describe "$SQL_INSTANCE" "--format=$SQL_SETTINGS_FORMAT") &&
    [[ -n $current ]]; then
    log "Cloud SQL instance $SQL_INSTANCE exists"
    reconcile_sql_instance "$current"
    return 0
  fi
  local flags
  flags=$(managed_db_flags | paste -sd, -)
  log "creating Cloud SQL instance $SQL_INSTANCE ($DB_AVAILABILITY; this takes several minutes)"
  # ENTERPRISE: some projects default to Enterprise Plus, which refuses the small tiers.
  gc sql instances create "$SQL_INSTANCE" "--database-version=$DB_VERSION" "--tier=$DB_TIER" \
    --edition=ENTERPRISE "--region=$REGION" "--network=projects/$PROJECT_ID/global/networks/$NETWORK" \
    --no-assign-ip --ssl-mode=ENCRYPTED_ONLY "--database-flags=$flags" \
    "--availability-type=$DB_AVAILABILITY" --storage-auto-increase --deletion-protection \
    "--backup-start-time=$DB_BACKUP_START" "--retained-backups-count=$DB_RETAINED_BACKUPS" \
    --enable-point-in-time-recovery "--retained-transaction-log-days=$DB_LOG_RETENTION_DAYS" \
    "--maintenance-window-day=$DB_MAINTENANCE_DAY" "--maintenance-window-hour=$DB_MAINTENANCE_HOUR"
}

# The env setting behind a database flag, for messages.
_flag_setting() {
  case $1 in
    max_connections) printf 'DB_MAX_CONNECTIONS' ;;
    cloudsql.iam_authentication) printf 'DB_AUTH=iam (cloudsql.iam_authentication)' ;;
    *) printf '%s' "$1" ;;
  esac
}

# reconcile_sql_instance CURRENT: CURRENT is the instance as SQL_SETTINGS_FORMAT prints it. Prints each
# difference from the env file and makes one 'sql instances patch' with exactly what changed; nothing
# when nothing did. --database-flags replaces the whole set: when a flag changed, every flag is passed,
# those set outside the env file with their current values.
reconcile_sql_instance() {
  local tier availability flags
  IFS='|' read -r tier availability flags <<<"$1"
  local -a patch=()
  if [[ $tier != "$DB_TIER" ]]; then
    log "DB_TIER: $tier -> $DB_TIER"
    patch+=("--tier=$DB_TIER")
  fi
  availability=${availability,,}
  if [[ $availability != "$DB_AVAILABILITY" ]]; then
    log "DB_AVAILABILITY: ${availability:-unknown} -> $DB_AVAILABILITY"
    patch+=("--availability-type=$DB_AVAILABILITY")
  fi

  local -A current_flags=()
  local -a current_names=() items=() wanted=()
  local item name value flags_changed=false
  IFS=, read -ra items <<<"$flags"
  for item in "${items[@]}"; do
    [[ -n $item ]] || continue
    current_flags[${item%%=*}]=${item#*=}
    current_names+=("${item%%=*}")
  done
  while IFS='=' read -r name value; do
    if [[ -z ${current_flags[$name]+set} || ${current_flags[$name]} != "$value" ]]; then
      log "$(_flag_setting "$name"): ${current_flags[$name]-not set} -> $value"
      flags_changed=true
    fi
    wanted+=("$name=$value")
    unset "current_flags[$name]"
  done < <(managed_db_flags)
  for name in "${current_names[@]}"; do
    [[ -n ${current_flags[$name]+set} ]] && wanted+=("$name=${current_flags[$name]}")
  done
  if [[ $flags_changed == true ]]; then
    patch+=("--database-flags=$(IFS=,; printf '%s' "${wanted[*]}")")
  fi

  if ((${#patch[@]} == 0)); then
    log "Cloud SQL instance $SQL_INSTANCE has the tier, availability and flags of $ENV_FILE"
    return 0
  fi
  warn "changing the tier, the availability or max_connections restarts Cloud SQL instance $SQL_INSTANCE: the database is unavailable for a few minutes"
  gc sql instances patch "$SQL_INSTANCE" "${patch[@]}"
}

ensure_database() {
  if exists sql databases describe "$DB_NAME" "--instance=$SQL_INSTANCE"; then
    log "database $DB_NAME exists"
  else
    gc sql databases create "$DB_NAME" "--instance=$SQL_INSTANCE"
  fi
}

ensure_secret() {
  if exists secrets describe "$1"; then
    log "secret $1 exists"
  else
    gc secrets create "$1" --replication-policy=automatic
  fi
}

secret_has_version() {
  gc_query secrets versions describe latest "--secret=$1" --format='value(name)' >/dev/null
}

# Reads the new secret value from stdin (a dry run reads and drops it, so the writer never sees a broken pipe).
add_secret_version() {
  gc secrets versions add "$1" --data-file=- --format=none
  [[ $DRY_RUN == false ]] || cat >/dev/null
}

db_private_ip() {
  local ip=
  ip=$(gc_query sql instances describe "$SQL_INSTANCE" --format='value(ipAddresses[0].ipAddress)') || true
  if [[ -z $ip ]]; then
    [[ $DRY_RUN == true ]] || die "Cloud SQL instance $SQL_INSTANCE has no private IP address yet"
    ip=PRIVATE_IP
  fi
  printf '%s' "$ip"
}

# connection_string USER POOL [PASSWORD]: an Npgsql connection string for the private IP, over TLS with
# the server's certificate checked against the instance's CA (the file the backend and the migration job
# mount from secret DB_CA_SECRET). VerifyCA, not VerifyFull: the server certificate of Cloud SQL's
# per-instance CA names the instance (PROJECT:INSTANCE), not the private IP the connection goes to.
# 'Maximum Pool Size': Npgsql 10 refuses the older spelling 'Max Pool Size'.
connection_string() {
  local text="Host=$DB_HOST;Port=5432;Database=$DB_NAME;Username=$1"
  (($# > 2)) && text+=";Password=$3"
  printf '%s;SSL Mode=VerifyCA;Root Certificate=%s;Maximum Pool Size=%s' "$text" "$DB_CA_PATH" "$2"
}

# Keeps the instance's server CA certificate in secret DB_CA_SECRET: public data, but a secret is how
# Cloud Run puts a file into a service. A new version is added only when the instance's CA differs from
# the newest one (after a CA rotation); deploys pin the version they find (resolve_db_ca_version). The
# backend and the migrator read it; the deployer sees its version numbers.
ensure_db_server_ca() {
  ensure_secret "$DB_CA_SECRET"
  local ca stored
  if [[ $DRY_RUN == true ]]; then
    gc_query sql instances describe "$SQL_INSTANCE" --format='value(serverCaCert.cert)' || true
    gc_query secrets versions access latest "--secret=$DB_CA_SECRET" || true
    printf '%s\n' SERVER_CA_CERTIFICATE_PEM | add_secret_version "$DB_CA_SECRET"
  else
    ca=$(gc_query sql instances describe "$SQL_INSTANCE" --format='value(serverCaCert.cert)') || ca=
    [[ $ca == *"-----BEGIN CERTIFICATE-----"* ]] ||
      die "could not read the server CA certificate of Cloud SQL instance $SQL_INSTANCE (serverCaCert.cert)"
    stored=$(gc_query secrets versions access latest "--secret=$DB_CA_SECRET") || stored=
    if [[ $stored == "$ca" ]]; then
      log "secret $DB_CA_SECRET holds the server CA certificate of $SQL_INSTANCE"
    else
      log "storing the server CA certificate of $SQL_INSTANCE in secret $DB_CA_SECRET"
      printf '%s\n' "$ca" | add_secret_version "$DB_CA_SECRET"
    fi
  fi
  local reader
  for reader in "$BACKEND_SA" "$MIGRATOR_SA"; do
    gc_retry secrets add-iam-policy-binding "$DB_CA_SECRET" "--member=serviceAccount:$reader" \
      --role=roles/secretmanager.secretAccessor --format=none
  done
  gc_retry secrets add-iam-policy-binding "$DB_CA_SECRET" "--member=serviceAccount:$DEPLOYER_SA" \
    --role=roles/secretmanager.viewer --format=none
}

# gcloud reads --prompt-for-password with getpass, which prefers the terminal; without a controlling
# terminal it reads stdin, so the password can come from a pipe instead of the command line.
_without_terminal() {
  if command -v setsid >/dev/null 2>&1; then
    setsid -w "$@"
  else
    python3 -c 'import os, sys; os.setsid(); os.execvp(sys.argv[1], sys.argv[1:])' "$@"
  fi
}

# set_db_password USER: sets a built-in user's password, read from stdin.
set_db_password() {
  if [[ $DRY_RUN == true ]]; then
    gc sql users set-password "$1" "--instance=$SQL_INSTANCE" --prompt-for-password
    cat >/dev/null
    return 0
  fi
  CLOUDSDK_CORE_DISABLE_PROMPTS=0 _without_terminal gcloud sql users set-password "$1" \
    "--instance=$SQL_INSTANCE" --prompt-for-password "--project=$PROJECT_ID" >/dev/null
}

new_password() {
  od -An -tx1 -N24 /dev/urandom | tr -d ' \n'
}

# password mode: the migrator is a built-in user (gcloud makes it a member of cloudsqlsuperuser, so it
# can own the schema and make roles); its password exists only in Cloud SQL and in its own secret. The
# backend's users are not built-in users: the migration job makes them as plain login roles and sets
# the password it reads from the backend's secret, generated here once. Passwords never leave pipes.
ensure_password_user() {
  ensure_secret "$DB_SECRET_MIGRATOR"
  ensure_secret "$DB_SECRET_BACKEND"
  local user_exists=false password
  exists sql users describe "$DB_MIGRATOR_USER" "--instance=$SQL_INSTANCE" && user_exists=true
  if [[ $user_exists == true ]] && secret_has_version "$DB_SECRET_MIGRATOR"; then
    log "database user $DB_MIGRATOR_USER and its secret exist"
  else
    [[ $user_exists == true ]] || gc sql users create "$DB_MIGRATOR_USER" "--instance=$SQL_INSTANCE"
    log "setting a new generated password for $DB_MIGRATOR_USER and storing it in secret $DB_SECRET_MIGRATOR"
    DB_HOST=$(db_private_ip)
    password=$(new_password)
    printf '%s\n' "$password" | set_db_password "$DB_MIGRATOR_USER"
    connection_string "$DB_MIGRATOR_USER" "$MIGRATE_DB_POOL_SIZE" "$password" | add_secret_version "$DB_SECRET_MIGRATOR"
  fi
  if secret_has_version "$DB_SECRET_BACKEND"; then
    log "the backend's database login is in secret $DB_SECRET_BACKEND"
  else
    log "generating the password of the backend's user $DB_USER into secret $DB_SECRET_BACKEND (the migration job sets it)"
    DB_HOST=$(db_private_ip)
    password=$(new_password)
    connection_string "$DB_USER" "$BACKEND_DB_POOL_SIZE" "$password" | add_secret_version "$DB_SECRET_BACKEND"
  fi
  unset password
}

# iam mode: IAM database users for the backend and the migrator. The migrator owns the schema (it
# gets cloudsqlsuperuser to create tables); the backend's IAM user gets no database role: only the
# rights the migration grants it (rows of the application's tables, also of tables made later).
ensure_iam_users() {
  if exists sql users describe "$DB_USER" "--instance=$SQL_INSTANCE"; then
    log "IAM database user $DB_USER exists"
  else
    # Fails for a while after the instance is created: retried.
    gc_retry sql users create "$DB_USER" "--instance=$SQL_INSTANCE" --type=cloud_iam_service_account
  fi
  if exists sql users describe "$DB_MIGRATOR_USER" "--instance=$SQL_INSTANCE"; then
    log "IAM database user $DB_MIGRATOR_USER exists"
  else
    gc_retry sql users create "$DB_MIGRATOR_USER" "--instance=$SQL_INSTANCE" --type=cloud_iam_service_account
    gc_retry sql users assign-roles "$DB_MIGRATOR_USER" "--instance=$SQL_INSTANCE" \
      --type=cloud_iam_service_account --database-roles=cloudsqlsuperuser
  fi

  # No password in these connection strings: they live in Secret Manager so that the deployer never
  # needs to read the instance's address.
  local secret user pool
  for secret in "$DB_SECRET_BACKEND" "$DB_SECRET_MIGRATOR"; do
    ensure_secret "$secret"
    secret_has_version "$secret" && continue
    if [[ $secret == "$DB_SECRET_BACKEND" ]]; then
      user=$DB_USER pool=$BACKEND_DB_POOL_SIZE
    else
      user=$DB_MIGRATOR_USER pool=$MIGRATE_DB_POOL_SIZE
    fi
    DB_HOST=$(db_private_ip)
    connection_string "$user" "$pool" | add_secret_version "$secret"
  done
}

ensure_database_users() {
  if [[ $DB_AUTH == password ]]; then
    ensure_password_user
  else
    ensure_iam_users
  fi
}

# pool_size_of CONNECTION_STRING: prints its Maximum Pool Size (or the older 'Max Pool Size'); fails without one.
pool_size_of() {
  local part
  local -a parts
  IFS=';' read -ra parts <<<"$1"
  for part in "${parts[@]}"; do
    if [[ $part =~ ^Max(imum)?\ Pool\ Size=([0-9]+)$ ]]; then
      printf '%s' "${BASH_REMATCH[2]}"
      return 0
    fi
  done
  return 1
}

# with_pool_size CONNECTION_STRING POOL: the same connection string with Maximum Pool Size=POOL.
with_pool_size() {
  local part text=
  local -a parts
  IFS=';' read -ra parts <<<"$1"
  for part in "${parts[@]}"; do
    [[ -z $part || $part =~ ^Max(imum)?\ Pool\ Size= ]] || text+="$part;"
  done
  printf '%sMaximum Pool Size=%s' "$text" "$2"
}

# A changed BACKEND_DB_POOL_SIZE reaches the backend: when the pool size in the newest version of the
# backend's connection-string secret differs from the env file, a new version with the new size (same
# user and password) is added and the backend, if deployed, is updated onto it. The secret's text is
# held in a variable only, never printed. It is read even on --dry-run (gc_read), so that a dry run
# shows the difference and the calls it would make.
reconcile_backend_pool_size() {
  local current pool new_version=NEW_VERSION
  if ! current=$(gc_read secrets versions access latest "--secret=$DB_SECRET_BACKEND"); then
    [[ $DRY_RUN == true ]] || die "could not read the newest version of secret $DB_SECRET_BACKEND"
    log "dry run: secret $DB_SECRET_BACKEND could not be read, so its pool size is not compared with BACKEND_DB_POOL_SIZE=$BACKEND_DB_POOL_SIZE"
    return 0
  fi
  pool=$(pool_size_of "$current") || pool=none
  if [[ $pool == "$BACKEND_DB_POOL_SIZE" && $current == *"Maximum Pool Size="* ]]; then
    log "the backend's connection string has Maximum Pool Size=$pool (BACKEND_DB_POOL_SIZE)"
    unset current
    return 0
  fi
  log "BACKEND_DB_POOL_SIZE: $pool -> $BACKEND_DB_POOL_SIZE (a new version of secret $DB_SECRET_BACKEND)"
  with_pool_size "$current" "$BACKEND_DB_POOL_SIZE" | add_secret_version "$DB_SECRET_BACKEND"
  unset current
  if exists_even_in_dry_run run services describe "$BACKEND_SERVICE" "--region=$REGION"; then
    if [[ $DRY_RUN == false ]]; then
      new_version=$(latest_secret_version "$DB_SECRET_BACKEND") || die "could not read the newest version of secret $DB_SECRET_BACKEND"
    fi
    log "updating $BACKEND_SERVICE onto version $new_version of secret $DB_SECRET_BACKEND"
    gc run services update "$BACKEND_SERVICE" "--region=$REGION" \
      "--update-secrets=ConnectionStrings__Database=$DB_SECRET_BACKEND:$new_version"
  fi
}
