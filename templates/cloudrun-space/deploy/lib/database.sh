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
connection_string() {
  local text="Host=$DB_HOST;Port=5432;Database=$DB_NAME;Username=$1"
  (($# > 2)) && text+=";Password=$3"
  printf '%s;SSL Mode=Require;Max Pool Size=%s' "$text" "$2"
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

# Reads the password from stdin.
set_db_password() {
  if [[ $DRY_RUN == true ]]; then
    gc sql users set-password "$DB_USER" "--instance=$SQL_INSTANCE" --prompt-for-password
    cat >/dev/null
    return 0
  fi
  CLOUDSDK_CORE_DISABLE_PROMPTS=0 _without_terminal gcloud sql users set-password "$DB_USER" \
    "--instance=$SQL_INSTANCE" --prompt-for-password "--project=$PROJECT_ID" >/dev/null
}

new_password() {
  od -An -tx1 -N24 /dev/urandom | tr -d ' \n'
}

# password mode: one database user; its password exists only in Secret Manager (inside the
# connection string) and in Cloud SQL.
ensure_password_user() {
  ensure_secret "$DB_SECRET_BACKEND"
  local user_exists=false
  exists sql users describe "$DB_USER" "--instance=$SQL_INSTANCE" && user_exists=true
  if [[ $user_exists == true ]] && secret_has_version "$DB_SECRET_BACKEND"; then
    log "database user $DB_USER and its secret exist"
    return 0
  fi
  [[ $user_exists == true ]] || gc sql users create "$DB_USER" "--instance=$SQL_INSTANCE"
  log "setting a new generated password for $DB_USER and storing it in secret $DB_SECRET_BACKEND"
  DB_HOST=$(db_private_ip)
  local password
  password=$(new_password)
  printf '%s\n' "$password" | set_db_password
  connection_string "$DB_USER" "$BACKEND_DB_POOL_SIZE" "$password" | add_secret_version "$DB_SECRET_BACKEND"
  unset password
}

# iam mode: IAM database users for the backend and the migrator. The migrator owns the schema (it
# gets cloudsqlsuperuser to create tables); the backend gets only the rights the migration grants it.
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
