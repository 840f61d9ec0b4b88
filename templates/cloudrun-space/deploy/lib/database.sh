# shellcheck shell=bash
# Cloud SQL for PostgreSQL on private IP only, its database, its users, and the Secret Manager
# secrets that hand the backend and the migration job their connection strings.
# A generated password only ever travels through pipes: never echoed, never on a command line.

ensure_sql_instance() {
  if exists sql instances describe "$SQL_INSTANCE"; then
    log "Cloud SQL instance $SQL_INSTANCE exists"
    return 0
  fi
  local flags="max_connections=$DB_MAX_CONNECTIONS"
  [[ $DB_AUTH == iam ]] && flags+=",cloudsql.iam_authentication=on"
  log "creating Cloud SQL instance $SQL_INSTANCE (this takes several minutes)"
  # ENTERPRISE: some projects default to Enterprise Plus, which refuses the small tiers.
  gc sql instances create "$SQL_INSTANCE" "--database-version=$DB_VERSION" "--tier=$DB_TIER" \
    --edition=ENTERPRISE "--region=$REGION" "--network=projects/$PROJECT_ID/global/networks/$NETWORK" \
    --no-assign-ip --ssl-mode=ENCRYPTED_ONLY "--database-flags=$flags" \
    --availability-type=zonal --storage-auto-increase --backup-start-time=03:00
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

# connection_string USER POOL [PASSWORD]: an Npgsql connection string for the private IP, TLS required.
# 'Maximum Pool Size': Npgsql 10 refuses the older spelling 'Max Pool Size'.
connection_string() {
  local text="Host=$DB_HOST;Port=5432;Database=$DB_NAME;Username=$1"
  (($# > 2)) && text+=";Password=$3"
  printf '%s;SSL Mode=Require;Maximum Pool Size=%s' "$text" "$2"
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
# held in a variable only, never printed. The dry run reads nothing and says what it would compare.
reconcile_backend_pool_size() {
  local version current pool new_version
  if [[ $DRY_RUN == true ]]; then
    gc_query secrets versions access latest "--secret=$DB_SECRET_BACKEND" >/dev/null || true
    log "dry run: if the Maximum Pool Size in secret $DB_SECRET_BACKEND differs from BACKEND_DB_POOL_SIZE=$BACKEND_DB_POOL_SIZE, a new version with $BACKEND_DB_POOL_SIZE is added and $BACKEND_SERVICE is updated onto it"
    return 0
  fi
  version=$(latest_secret_version "$DB_SECRET_BACKEND") || die "could not read the newest version of secret $DB_SECRET_BACKEND"
  current=$(gc_query secrets versions access "$version" "--secret=$DB_SECRET_BACKEND") ||
    die "could not read version $version of secret $DB_SECRET_BACKEND"
  pool=$(pool_size_of "$current") || pool=none
  if [[ $pool == "$BACKEND_DB_POOL_SIZE" && $current == *"Maximum Pool Size="* ]]; then
    log "the backend's connection string has Maximum Pool Size=$pool (BACKEND_DB_POOL_SIZE)"
    unset current
    return 0
  fi
  log "the backend's pool size changes from $pool to $BACKEND_DB_POOL_SIZE: adding a version of secret $DB_SECRET_BACKEND"
  with_pool_size "$current" "$BACKEND_DB_POOL_SIZE" | add_secret_version "$DB_SECRET_BACKEND"
  unset current
  if exists run services describe "$BACKEND_SERVICE" "--region=$REGION"; then
    new_version=$(latest_secret_version "$DB_SECRET_BACKEND") || die "could not read the newest version of secret $DB_SECRET_BACKEND"
    log "updating $BACKEND_SERVICE onto version $new_version of secret $DB_SECRET_BACKEND"
    gc run services update "$BACKEND_SERVICE" "--region=$REGION" \
      "--update-secrets=ConnectionStrings__Database=$DB_SECRET_BACKEND:$new_version"
  fi
}
