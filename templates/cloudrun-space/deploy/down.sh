#!/usr/bin/env bash
# Usage: deploy/down.sh [--env NAME] [--yes] [--delete-database[=INSTANCE]] [--dry-run] [--help]
#
# Tears down everything deploy/up.sh and deploy/pipeline.sh made for the environment, in reverse
# order: trigger, the Cloud Monitoring alert policies, SLOs, notification channel, uptime check and
# dashboard, the services and jobs added in space/ (with their scheduler jobs, accounts, bindings and
# IAM database users; also those of entries no longer listed), the load balancer and its Cloud Armor policy
# (EDGE=load-balancer), services and job, secrets, the Data Protection key bucket (with its keys), the build
# source bucket, images, connector, NAT, router, the NAT's reserved address (STATIC_EGRESS_IP=true), service-networking peering, address, subnets, network,
# project roles (the Cloud Build service agent's Secret Manager role from pipeline.sh included: run
# pipeline.sh again for another environment of the project that still needs it) and service accounts.
# Bindings on a deleted service, job, secret or bucket go with it. What is already gone is skipped. The
# enabled APIs stay enabled.
#
# Unless --delete-database is given, the Cloud SQL instance (deletion protection) and its data stay, and
# with them the secrets holding its connection strings and what the instance needs: the network, the
# private services range and its peering. With --delete-database, deletion protection is turned off and
# the instance is deleted with a final backup, kept DB_FINAL_BACKUP_DAYS days (deploy/env/NAME.env).
#
# Asks you to type the project id first, unless --yes is given; --delete-database asks for the instance
# name as well, even with --yes.
#
#   --env NAME                  the environment (deploy/env/NAME.env, default prod)
#   --yes                       do not ask for the project id (automation)
#   --delete-database           delete the Cloud SQL instance and its data too (asks for its name)
#   --delete-database=INSTANCE  the same, confirmed with the instance name (automation)
#   --dry-run                   print the gcloud calls (lines starting 'DRY-RUN: gcloud') and the Cloud
#                               Monitoring API calls ('DRY-RUN: curl') without making them
#   --help                      show this text
set -euo pipefail
# shellcheck source=lib/load.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/load.sh"
# shellcheck source=lib/iam.sh
source "$DEPLOY_DIR/lib/iam.sh"
# shellcheck source=lib/monitoring.sh
source "$DEPLOY_DIR/lib/monitoring.sh"

parse_common_options "$0" "$@"
assume_yes=false
delete_database=false
database_confirmation=
for arg in "${REST_ARGS[@]}"; do
  case $arg in
    --yes | -y) assume_yes=true ;;
    --delete-database) delete_database=true ;;
    --delete-database=*)
      delete_database=true
      database_confirmation=${arg#--delete-database=}
      ;;
    *) die "unexpected argument '$arg' (see --help)" ;;
  esac
done
load_env "$DEPLOY_DIR"
require_gcloud

if [[ $assume_yes == false && $DRY_RUN == false ]]; then
  if [[ $delete_database == true ]]; then
    printf 'This deletes the %s space of %s in project %s, including its database.\n' "$ENVIRONMENT" "$APP" "$PROJECT_ID" >&2
  else
    printf 'This deletes the %s space of %s in project %s; its database is kept.\n' "$ENVIRONMENT" "$APP" "$PROJECT_ID" >&2
  fi
  printf 'Type the project id to confirm: ' >&2
  read -r answer || answer=
  [[ $answer == "$PROJECT_ID" ]] || die "not confirmed; nothing was deleted"
fi
# The data needs its own confirmation: --yes alone never deletes the database.
if [[ $delete_database == true && -z $database_confirmation && $DRY_RUN == false ]]; then
  printf 'This deletes Cloud SQL instance %s and all its data; a final backup is kept %s days.\n' "$SQL_INSTANCE" "$DB_FINAL_BACKUP_DAYS" >&2
  printf 'Type the instance name to confirm: ' >&2
  read -r database_confirmation || database_confirmation=
fi
if [[ $delete_database == true && $DRY_RUN == false || -n $database_confirmation ]]; then
  [[ $database_confirmation == "$SQL_INSTANCE" ]] ||
    die "deleting the database was not confirmed with its instance name ($SQL_INSTANCE); nothing was deleted"
fi

# A database that exists stays unless --delete-database was given (a dry run assumes it exists).
keep_database=false
if [[ $delete_database == false ]]; then
  if [[ $DRY_RUN == true ]] || exists sql instances describe "$SQL_INSTANCE"; then
    keep_database=true
  fi
fi

failures=0
# remove DESCRIBE_ARGS -- DELETE_ARGS: deletes, and counts a failure only if the resource is still there.
remove() {
  split_args "$@"
  local describe=("${ARGS_BEFORE[@]}") delete=("${ARGS_AFTER[@]}")
  if gc "${delete[@]}" --quiet; then
    return 0
  fi
  if exists "${describe[@]}"; then
    warn "could not delete: gcloud ${delete[*]}"
    failures=$((failures + 1))
  else
    log "already gone: ${delete[*]}"
  fi
}

connection=${GITHUB_CONNECTION:-$APP-github}
remove builds triggers describe "$TRIGGER" "--region=$REGION" -- \
  builds triggers delete "$TRIGGER" "--region=$REGION"
remove builds repositories describe "$GITHUB_REPO_LINK" "--connection=$connection" "--region=$REGION" -- \
  builds repositories delete "$GITHUB_REPO_LINK" "--connection=$connection" "--region=$REGION"

# Cloud Monitoring: the alert policies first (they name the SLOs), then the SLOs with their Monitoring
# services, the notification channel, the uptime check and the dashboard.
if ! remove_monitoring; then
  warn "could not delete all of the space's Cloud Monitoring alert policies, SLOs, channel, uptime check and dashboard"
  failures=$((failures + 1))
fi

# The services and jobs added in space/, and those of entries an earlier space/ listed (found by their
# labels), each with its scheduler job, accounts, bindings and database user.
for name in "${ADDED_ENTRIES[@]}"; do
  remove_entry "$(entry_kind "$name")s" "$name"
done
prune_removed_entries

# The load balancer (EDGE=load-balancer, or one an earlier setting made) before the frontend it serves.
if [[ $EDGE == load-balancer ]] || exists compute addresses describe "$EDGE_ADDRESS" --global; then
  remove_edge remove
fi

for service in "$FRONTEND_SERVICE" "$BACKEND_SERVICE"; do
  remove run services describe "$service" "--region=$REGION" -- run services delete "$service" "--region=$REGION"
done
remove run jobs describe "$MIGRATE_JOB" "--region=$REGION" -- run jobs delete "$MIGRATE_JOB" "--region=$REGION"

final_backup=false
if [[ $keep_database == true ]]; then
  log "keeping Cloud SQL instance $SQL_INSTANCE and its data (deletion protection)"
elif [[ $delete_database == true ]] && { [[ $DRY_RUN == true ]] || exists sql instances describe "$SQL_INSTANCE"; }; then
  log "deleting Cloud SQL instance $SQL_INSTANCE and its data after a final backup (its name cannot be reused for about a week)"
  if gc sql instances patch "$SQL_INSTANCE" --no-deletion-protection; then
    remove sql instances describe "$SQL_INSTANCE" -- sql instances delete "$SQL_INSTANCE" --enable-final-backup \
      "--final-backup-retention-days=$DB_FINAL_BACKUP_DAYS" \
      "--final-backup-description=Final backup of $APP $ENVIRONMENT, taken by deploy/down.sh"
    # An instance still there keeps what it needs.
    if [[ $DRY_RUN == false ]] && exists sql instances describe "$SQL_INSTANCE"; then
      keep_database=true
    else
      final_backup=true
    fi
  else
    warn "could not turn off the deletion protection of $SQL_INSTANCE; it was not deleted"
    failures=$((failures + 1))
    keep_database=true
  fi
fi
secrets=("$DP_CERT_SECRET" "$DB_CA_SECRET")
# A kept database keeps its connection strings: in password mode they hold the only copy of its password.
[[ $keep_database == true ]] || secrets+=("$DB_SECRET_BACKEND" "$DB_SECRET_MIGRATOR")
for secret in $(printf '%s\n' "${secrets[@]}" | sort -u); do
  remove secrets describe "$secret" -- secrets delete "$secret"
done
# Recursive: every object (all versions) first, then the bucket.
remove storage buckets describe "gs://$DP_KEYS_BUCKET" -- storage rm "gs://$DP_KEYS_BUCKET/" --recursive
remove storage buckets describe "gs://$BUILD_SOURCE_BUCKET" -- storage rm "gs://$BUILD_SOURCE_BUCKET/" --recursive
remove artifacts repositories describe "$REPOSITORY" "--location=$REGION" -- \
  artifacts repositories delete "$REPOSITORY" "--location=$REGION"

if [[ $EGRESS == connector ]]; then
  remove compute networks vpc-access connectors describe "$CONNECTOR" "--region=$REGION" -- \
    compute networks vpc-access connectors delete "$CONNECTOR" "--region=$REGION"
fi
remove compute routers nats describe "$NAT" "--router=$ROUTER" "--region=$REGION" -- \
  compute routers nats delete "$NAT" "--router=$ROUTER" "--region=$REGION"
remove compute routers describe "$ROUTER" "--region=$REGION" -- compute routers delete "$ROUTER" "--region=$REGION"
# The NAT's reserved address (STATIC_EGRESS_IP=true, or one an earlier setting made), once the NAT is gone.
if [[ $STATIC_EGRESS_IP == true ]] || exists compute addresses describe "$NAT_ADDRESS" "--region=$REGION"; then
  remove compute addresses describe "$NAT_ADDRESS" "--region=$REGION" -- compute addresses delete "$NAT_ADDRESS" "--region=$REGION"
fi

# Service networking keeps the peering in use for a while after the instance is gone: retry. A kept
# instance keeps its private IP in the peered range: the peering, the range and the network stay.
peering_gone=$keep_database
for attempt in 1 2 3 4 5 6; do
  [[ $peering_gone == false ]] || break
  if gc compute networks peerings delete servicenetworking-googleapis-com "--network=$NETWORK" --quiet; then
    peering_gone=true
    break
  fi
  peerings=$(gc_query services vpc-peerings list "--network=$NETWORK" \
    --service=servicenetworking.googleapis.com --format='value(peering)') || true
  if [[ -z $peerings ]]; then
    peering_gone=true
    break
  fi
  ((attempt < 6)) || break
  warn "the peering is still in use; retrying in $((attempt * ${RETRY_DELAY_SECONDS:-30})) s"
  sleep "$((attempt * ${RETRY_DELAY_SECONDS:-30}))"
done
if [[ $peering_gone == false ]]; then
  warn "could not delete the service networking peering of $NETWORK; run this script again later"
  failures=$((failures + 1))
fi

if [[ $keep_database == false ]]; then
  remove compute addresses describe "$PSA_RANGE" --global -- compute addresses delete "$PSA_RANGE" --global
fi
if [[ $EGRESS == connector ]]; then
  subnets=("$CONNECTOR_SUBNET" "$SUBNET")
else
  subnets=("$FRONTEND_SUBNET" "$SUBNET")
fi
for name in "${subnets[@]}"; do
  remove compute networks subnets describe "$name" "--region=$REGION" -- \
    compute networks subnets delete "$name" "--region=$REGION"
done
if [[ $keep_database == false ]]; then
  remove compute networks describe "$NETWORK" -- compute networks delete "$NETWORK"
fi

# Project bindings first: a deleted account would leave them behind as 'deleted:serviceAccount:…'.
resolve_project_number
while read -r member role condition; do
  gc projects remove-iam-policy-binding "$PROJECT_ID" "--member=$member" "--role=$role" \
    "--condition=$condition" --format=none 2>/dev/null || log "binding already gone: $member $role"
done < <(project_role_grants && pipeline_role_grants)
for account in "$FRONTEND_SA" "$BACKEND_SA" "$MIGRATOR_SA" "$DEPLOYER_SA"; do
  remove iam service-accounts describe "$account" -- iam service-accounts delete "$account"
done

report_kept() {
  if [[ $keep_database == true ]]; then
    log "kept: Cloud SQL instance $SQL_INSTANCE with its data (deletion protection is on); the secrets with its connection strings ($(printf '%s\n' "$DB_SECRET_BACKEND" "$DB_SECRET_MIGRATOR" | sort -u | paste -sd' ' -)); and what the instance needs: network $NETWORK, private services range $PSA_RANGE and the service networking peering"
    log "deploy/up.sh uses them again; to delete them and the data: deploy/down.sh --delete-database (asks for the instance name) or --delete-database=$SQL_INSTANCE, which takes a final backup first"
  fi
  if [[ $final_backup == true ]]; then
    log "kept: the final backup of $SQL_INSTANCE, for $DB_FINAL_BACKUP_DAYS days (billed as backup storage)"
    log "list it: gcloud sql backups list --filter=instance:$SQL_INSTANCE --project=$PROJECT_ID"
    log "restore it into a new instance: gcloud sql backups restore BACKUP_NAME --restore-instance=NEW_INSTANCE --project=$PROJECT_ID (BACKUP_NAME as the list shows it)"
  fi
}

if ((failures > 0)); then
  report_kept
  die "$failures resources could not be deleted (see the warnings above)"
fi
report_kept
if [[ $keep_database == true ]]; then
  log "the '$ENVIRONMENT' space is gone, except its database and what it needs (see above)"
else
  log "the '$ENVIRONMENT' space is gone"
fi
