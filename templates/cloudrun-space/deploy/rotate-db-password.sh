#!/usr/bin/env bash
# Usage: deploy/rotate-db-password.sh [--env NAME] [--dry-run] [--help]
#
# Gives the backend a new database password without failing a request (DB_AUTH=password only). The
# backend signs in as one of two database users made by the migration (app_a and app_b): the one it
# does not use gets the new password, then the backend moves over to it.
#   1. a new version of the backend's connection-string secret: the idle user, a new password
#   2. the migration job runs once with that version pinned: it sets the idle user's password
#   3. the backend is updated onto the new version (gcloud waits until the new revision serves) and
#      gets all traffic; instances of the old revision keep working with the old user until they stop
#   4. the services and jobs added in space/ with DATABASE=true (they sign in with the backend's login)
#      move onto the new version too
#   5. the old version is disabled
# The old user's password stays valid until the next rotation replaces it. A revision deployed before
# the rotation cannot start instances once its version is disabled: deploy forward instead of rolling
# back to it. If step 2 or 3 fails, the backend keeps serving as before and the secret's newest version
# is the old login again (the new one is disabled), so running this script again is safe.
# The password is never printed and never on a command line.
#
#   --env NAME   the environment (deploy/env/NAME.env, default prod)
#   --dry-run    print the gcloud calls (lines starting 'DRY-RUN: gcloud') without making them
#   --help       show this text
set -euo pipefail
# shellcheck source=lib/load.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/load.sh"
# shellcheck source=lib/database.sh
source "$DEPLOY_DIR/lib/database.sh"

parse_common_options "$0" "$@"
((${#REST_ARGS[@]} == 0)) || die "unexpected argument '${REST_ARGS[0]}' (see --help)"
load_env "$DEPLOY_DIR"
[[ $DB_AUTH == password ]] ||
  die "DB_AUTH=$DB_AUTH signs in with short-lived IAM tokens: there is no database password to rotate"
require_gcloud

# user_of CONNECTION_STRING: prints its Username.
user_of() {
  local part
  local -a parts
  IFS=';' read -ra parts <<<"$1"
  for part in "${parts[@]}"; do
    if [[ $part =~ ^Username=(.+)$ ]]; then
      printf '%s' "${BASH_REMATCH[1]}"
      return 0
    fi
  done
  return 1
}

# Puts the old login back as the newest version and disables the new one, so that the newest version
# is again what the backend runs (the next deploy pins it, and a new rotation starts from it).
restore_old_login() {
  warn "restoring the old login as the newest version of secret $DB_SECRET_BACKEND"
  printf '%s' "$current" | add_secret_version "$DB_SECRET_BACKEND"
  gc secrets versions disable "$new_version" "--secret=$DB_SECRET_BACKEND" --format=none ||
    warn "could not disable version $new_version of secret $DB_SECRET_BACKEND"
}

if [[ $DRY_RUN == true ]]; then
  latest_secret_version "$DB_SECRET_BACKEND" || true
  gc_query secrets versions access OLD_VERSION "--secret=$DB_SECRET_BACKEND" >/dev/null || true
  old_version=OLD_VERSION current='' old_user=CURRENT_USER idle_user=IDLE_USER
  log "dry run: the idle one of $DB_USER and $DB_USER_ALT gets a new password"
else
  old_version=$(latest_secret_version "$DB_SECRET_BACKEND") ||
    die "secret $DB_SECRET_BACKEND has no version (or could not be read): run deploy/up.sh first"
  current=$(gc_query secrets versions access "$old_version" "--secret=$DB_SECRET_BACKEND") ||
    die "could not read version $old_version of secret $DB_SECRET_BACKEND"
  old_user=$(user_of "$current") || die "version $old_version of secret $DB_SECRET_BACKEND names no Username"
  case $old_user in
    "$DB_USER") idle_user=$DB_USER_ALT ;;
    "$DB_USER_ALT") idle_user=$DB_USER ;;
    *) die "version $old_version of secret $DB_SECRET_BACKEND signs in as '$old_user', not $DB_USER or $DB_USER_ALT" ;;
  esac
fi
log "the backend signs in as $old_user (version $old_version); $idle_user gets a new password"

DB_HOST=$(db_private_ip)
password=$(new_password)
connection_string "$idle_user" "$BACKEND_DB_POOL_SIZE" "$password" | add_secret_version "$DB_SECRET_BACKEND"
unset password
if [[ $DRY_RUN == true ]]; then
  new_version=NEW_VERSION
else
  new_version=$(latest_secret_version "$DB_SECRET_BACKEND") ||
    die "could not read the new version of secret $DB_SECRET_BACKEND"
  [[ $new_version != "$old_version" ]] || die "secret $DB_SECRET_BACKEND got no new version"
fi

log "setting the password of $idle_user: migration job $MIGRATE_JOB with version $new_version"
if ! gc run jobs update "$MIGRATE_JOB" "--region=$REGION" \
  "--update-secrets=Database__BackendConnectionString=$DB_SECRET_BACKEND:$new_version" --execute-now --wait; then
  restore_old_login
  die "the migration job could not set the new password; $BACKEND_SERVICE still signs in as $old_user"
fi

log "moving $BACKEND_SERVICE onto version $new_version ($idle_user)"
if ! gc run services update "$BACKEND_SERVICE" "--region=$REGION" \
  "--update-secrets=ConnectionStrings__Database=$DB_SECRET_BACKEND:$new_version" ||
  ! gc run services update-traffic "$BACKEND_SERVICE" "--region=$REGION" --to-latest; then
  restore_old_login
  die "$BACKEND_SERVICE could not move onto the new password; it still signs in as $old_user (the new password is set but unused)"
fi
unset current

# The services and jobs added in space/ with DATABASE=true sign in with the backend's login: they move onto
# the new version too before the old one is disabled (a job is updated, not run).
while read -r name; do
  [[ -n $name ]] || continue
  entry_names "$name"
  kind="$(entry_kind "$name")s"
  exists_even_in_dry_run run "$kind" describe "$E_RUN" "--region=$REGION" || continue
  log "moving $E_RUN onto version $new_version ($idle_user)"
  if ! gc run "$kind" update "$E_RUN" "--region=$REGION" \
    "--update-secrets=ConnectionStrings__Database=$DB_SECRET_BACKEND:$new_version" ||
    { [[ $kind == services ]] && ! gc run services update-traffic "$E_RUN" "--region=$REGION" --to-latest; }; then
    die "$E_RUN could not move onto version $new_version; version $old_version stays enabled, so it keeps signing in as $old_user: run this script again"
  fi
done < <(added_database_entries)

gc secrets versions disable "$old_version" "--secret=$DB_SECRET_BACKEND" --format=none
if [[ $DRY_RUN == true ]]; then
  log "dry run: nothing was changed"
else
  log "the backend signs in as $idle_user with a new password; version $old_version is disabled"
fi
