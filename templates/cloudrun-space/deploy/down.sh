#!/usr/bin/env bash
# Usage: deploy/down.sh [--env NAME] [--yes] [--dry-run] [--help]
#
# Tears down everything deploy/up.sh and deploy/pipeline.sh made for the environment, in reverse
# order: trigger, services and job, Cloud SQL (with its data!), secrets, the Data Protection key bucket
# (with its keys), images, connector, NAT, router, service-networking peering, address, subnets,
# network, project roles (the Cloud Build service agent's Secret Manager role from pipeline.sh
# included: run pipeline.sh again for another environment of the project that still needs it) and
# service accounts. Bindings on a deleted service, job, secret or bucket go with it.
# What is already gone is skipped. The enabled APIs stay enabled.
#
# Asks you to type the project id first, unless --yes is given.
#
#   --env NAME   the environment (deploy/env/NAME.env, default prod)
#   --yes        do not ask (automation)
#   --dry-run    print the gcloud calls (lines starting 'DRY-RUN: gcloud') without making them
#   --help       show this text
set -euo pipefail
# shellcheck source=lib/load.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/load.sh"
# shellcheck source=lib/iam.sh
source "$DEPLOY_DIR/lib/iam.sh"

parse_common_options "$0" "$@"
assume_yes=false
for arg in "${REST_ARGS[@]}"; do
  [[ $arg == --yes || $arg == -y ]] || die "unexpected argument '$arg' (see --help)"
  assume_yes=true
done
load_env "$DEPLOY_DIR"
require_gcloud

if [[ $assume_yes == false && $DRY_RUN == false ]]; then
  printf 'This deletes the %s space of %s in project %s, including its database.\n' "$ENVIRONMENT" "$APP" "$PROJECT_ID" >&2
  printf 'Type the project id to confirm: ' >&2
  read -r answer || answer=
  [[ $answer == "$PROJECT_ID" ]] || die "not confirmed; nothing was deleted"
fi

failures=0
# remove DESCRIBE_ARGS -- DELETE_ARGS: deletes, and counts a failure only if the resource is still there.
remove() {
  local describe=() delete=()
  while [[ $1 != -- ]]; do
    describe+=("$1")
    shift
  done
  shift
  delete=("$@")
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

for service in "$FRONTEND_SERVICE" "$BACKEND_SERVICE"; do
  remove run services describe "$service" "--region=$REGION" -- run services delete "$service" "--region=$REGION"
done
remove run jobs describe "$MIGRATE_JOB" "--region=$REGION" -- run jobs delete "$MIGRATE_JOB" "--region=$REGION"

log "deleting Cloud SQL instance $SQL_INSTANCE and its data (its name cannot be reused for about a week)"
remove sql instances describe "$SQL_INSTANCE" -- sql instances delete "$SQL_INSTANCE"
for secret in $(printf '%s\n' "$DB_SECRET_BACKEND" "$DB_SECRET_MIGRATOR" "$DP_CERT_SECRET" | sort -u); do
  remove secrets describe "$secret" -- secrets delete "$secret"
done
# Recursive: every object (all versions) first, then the bucket.
remove storage buckets describe "gs://$DP_KEYS_BUCKET" -- storage rm "gs://$DP_KEYS_BUCKET/" --recursive
remove artifacts repositories describe "$REPOSITORY" "--location=$REGION" -- \
  artifacts repositories delete "$REPOSITORY" "--location=$REGION"

if [[ $EGRESS == connector ]]; then
  remove compute networks vpc-access connectors describe "$CONNECTOR" "--region=$REGION" -- \
    compute networks vpc-access connectors delete "$CONNECTOR" "--region=$REGION"
fi
remove compute routers nats describe "$NAT" "--router=$ROUTER" "--region=$REGION" -- \
  compute routers nats delete "$NAT" "--router=$ROUTER" "--region=$REGION"
remove compute routers describe "$ROUTER" "--region=$REGION" -- compute routers delete "$ROUTER" "--region=$REGION"

# Service networking keeps the peering in use for a while after the instance is gone: retry.
peering_gone=false
for attempt in 1 2 3 4 5 6; do
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

remove compute addresses describe "$PSA_RANGE" --global -- compute addresses delete "$PSA_RANGE" --global
if [[ $EGRESS == connector ]]; then
  subnets=("$CONNECTOR_SUBNET" "$SUBNET")
else
  subnets=("$FRONTEND_SUBNET" "$SUBNET")
fi
for name in "${subnets[@]}"; do
  remove compute networks subnets describe "$name" "--region=$REGION" -- \
    compute networks subnets delete "$name" "--region=$REGION"
done
remove compute networks describe "$NETWORK" -- compute networks delete "$NETWORK"

# Project bindings first: a deleted account would leave them behind as 'deleted:serviceAccount:…'.
resolve_project_number
while read -r member role condition; do
  gc projects remove-iam-policy-binding "$PROJECT_ID" "--member=$member" "--role=$role" \
    "--condition=$condition" --format=none 2>/dev/null || log "binding already gone: $member $role"
done < <(project_role_grants && pipeline_role_grants)
for account in "$FRONTEND_SA" "$BACKEND_SA" "$MIGRATOR_SA" "$DEPLOYER_SA"; do
  remove iam service-accounts describe "$account" -- iam service-accounts delete "$account"
done

if ((failures > 0)); then
  die "$failures resources could not be deleted (see the warnings above)"
fi
log "the '$ENVIRONMENT' space is gone"
