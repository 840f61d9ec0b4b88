#!/usr/bin/env bash
# Usage: deploy/up.sh [--env NAME] [--dry-run] [--help]
#
# Provisions the whole private space in the project of deploy/env/NAME.env (default: prod) and
# deploys it: APIs, VPC with NAT and private services access, Cloud SQL on private IP, secrets,
# service accounts and their roles, Artifact Registry, the frontend's Data Protection key bucket and
# certificate (made with openssl on the first run only), the staging bucket of build sources, images
# (Cloud Build), the migration job, the backend (internal) and the frontend (public). Prints the
# frontend's URL.
#
# The services and jobs added to space/ (space/NAME.conf, see space/README.md) get their account, their
# database access (DATABASE=true), their deploy (a service: internal, callable by its INVOKERS' accounts
# only; a job: in the VPC), the deployer's roles on them and, for a job with a SCHEDULE, a Cloud Scheduler
# job run as an account that may only run that job. An entry no longer in space/ is removed with all it
# made (its service or job carries the labels space and space-entry, by which it is found).
#
# Edge (EDGE in the env file): direct (the default) serves the frontend at its run.app URL; load-balancer
# puts a global external Application Load Balancer in front of it (serverless NEG, a Google-managed
# certificate for DOMAIN, HTTP redirected to HTTPS, a Cloud Armor policy with Google's preconfigured WAF
# rules at WAF_SENSITIVITY, a rate limit of RATE_LIMIT_PER_MINUTE per client IP and, if set, only
# TRUSTED_IP_RANGES admitted) and turns the frontend's ingress to internal-and-cloud-load-balancing; it
# prints the address DOMAIN's DNS A record must point at. Set back to direct, the next run restores
# ingress all and deletes the load balancer and the policy. STATIC_EGRESS_IP=true gives Cloud NAT a
# reserved address (printed, for partners' allow-lists); false releases it. BINARY_AUTHORIZATION=true
# deploys the services and the migration job with --binary-authorization=default and imports a project
# policy that admits only images with the built-by-cloud-build attestation; false admits every image again.
#
# Idempotent: what exists is left as it is, so a second run creates nothing. Settings edited in the env
# file since reach what exists on the next run, which prints each difference (e.g. 'BACKEND_MEMORY:
# 512Mi -> 1Gi') and changes only that: the Cloud SQL instance's tier, availability and flags (one patch;
# a tier change restarts the instance), the backend's pool size (a new connection-string version) and the
# services' concurrency, CPU, memory, min and max instances. Once the services exist, ship new code with
# deploy/deploy.sh (or a git push, after deploy/pipeline.sh).
# The frontend is made public by turning its invoker IAM check off (no allUsers binding); where an
# organisation policy forbids that, the script says what to ask the organisation's administrator for.
#
# Cloud Monitoring (NAME_SLO_AVAILABILITY, NAME_SLO_LATENCY, MONITORING_EMAIL, UPTIME_CHECK_PERIOD and
# DASHBOARD in the env file): each service's SLOs, made through the Cloud Monitoring API (curl with gcloud's
# access token), a burn-rate alert policy for each, an e-mail notification channel, an uptime check of the
# frontend and the space's dashboard. A run creates what is missing, updates the one object whose setting
# changed, and deletes what a setting turned off (or a removed entry had).
#
#   --env NAME   the environment whose settings to use (deploy/env/NAME.env)
#   --dry-run    print the gcloud calls (lines starting 'DRY-RUN: gcloud') and the Cloud Monitoring API
#                calls (lines starting 'DRY-RUN: curl') without making them. The
#                Cloud SQL instance, the backend's connection-string secret, the job and the services
#                are read (read-only) to show what would change; everything else is assumed not to
#                exist yet
#   --help       show this text
set -euo pipefail
# shellcheck source=lib/load.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/load.sh"
# shellcheck source=lib/network.sh
source "$DEPLOY_DIR/lib/network.sh"
# shellcheck source=lib/iam.sh
source "$DEPLOY_DIR/lib/iam.sh"
# shellcheck source=lib/database.sh
source "$DEPLOY_DIR/lib/database.sh"
# shellcheck source=lib/build.sh
source "$DEPLOY_DIR/lib/build.sh"
# shellcheck source=lib/dataprotection.sh
source "$DEPLOY_DIR/lib/dataprotection.sh"
# shellcheck source=lib/monitoring.sh
source "$DEPLOY_DIR/lib/monitoring.sh"

parse_common_options "$0" "$@"
((${#REST_ARGS[@]} == 0)) || die "unexpected argument '${REST_ARGS[0]}' (see --help)"
load_env "$DEPLOY_DIR"
require_gcloud
log "provisioning '$ENVIRONMENT' in project $PROJECT_ID ($REGION; database auth: $DB_AUTH; egress: $EGRESS; edge: $EDGE)"

enable_apis() {
  local apis=(run.googleapis.com sqladmin.googleapis.com compute.googleapis.com
    servicenetworking.googleapis.com artifactregistry.googleapis.com cloudbuild.googleapis.com
    secretmanager.googleapis.com iam.googleapis.com storage.googleapis.com)
  [[ $EGRESS == connector ]] && apis+=(vpcaccess.googleapis.com)
  if any_scheduled_job; then apis+=(cloudscheduler.googleapis.com); fi
  [[ $BINARY_AUTHORIZATION == false ]] || apis+=(binaryauthorization.googleapis.com)
  if monitoring_enabled; then apis+=(monitoring.googleapis.com); fi
  gc services enable "${apis[@]}"
}

ensure_repository() {
  if exists artifacts repositories describe "$REPOSITORY" "--location=$REGION"; then
    log "Artifact Registry repository $REPOSITORY exists"
  else
    gc artifacts repositories create "$REPOSITORY" --repository-format=docker "--location=$REGION" \
      "--description=Images of $APP ($ENVIRONMENT)"
  fi
}

# The first release is made here, not by Cloud Build: the invoker binding must sit between the
# backend's and the frontend's deploys, and the deployer may not set IAM policies (the frontend's
# public access included). Sets RELEASED=true when it deployed.
RELEASED=false
first_release() {
  # Asked even on --dry-run: a dry run of a space that is up shows what the later steps would change.
  if exists_even_in_dry_run run jobs describe "$MIGRATE_JOB" "--region=$REGION" &&
    exists_even_in_dry_run run services describe "$BACKEND_SERVICE" "--region=$REGION" &&
    exists_even_in_dry_run run services describe "$FRONTEND_SERVICE" "--region=$REGION"; then
    log "the services are deployed; ship code with deploy/deploy.sh"
    return 0
  fi
  local tag
  tag=$(source_tag)
  # shellcheck disable=SC2034 # the release's order key, written as a label by every deploy (lib/release.sh)
  RELEASE_ORDER=$(new_release_order "$tag")
  build_images "$tag" false
  release_migrate "$BACKEND_IMAGE_NAME:$tag"
  release_backend "$BACKEND_IMAGE_NAME:$tag"
  grant_backend_invoker
  release_added "$tag"
  release_frontend "$FRONTEND_IMAGE_NAME:$tag" public
  RELEASED=true
}

# Services that existed already: the env file's settings reach them, and the frontend is public.
reconcile_services() {
  [[ $RELEASED == false ]] || return 0
  reconcile_service BACKEND "$BACKEND_SERVICE"
  reconcile_service FRONTEND "$FRONTEND_SERVICE"
  reconcile_frontend_edge
  reconcile_binauthz_services
  if [[ $DRY_RUN == false && $SERVICE_INVOKER_IAM_DISABLED != true ]]; then
    log "making the frontend public (turning its invoker IAM check off)"
    gc_public run services update "$FRONTEND_SERVICE" "--region=$REGION" --no-invoker-iam-check
  fi
}

enable_apis
ensure_network
ensure_service_accounts
ensure_repository
grant_roles
ensure_sql_instance
ensure_db_server_ca
ensure_database
ensure_database_users
grant_secret_access
ensure_added_database_access
reconcile_backend_pool_size
ensure_data_protection
ensure_build_source_bucket
first_release
# After the first build: Cloud Build makes the built-by-cloud-build attestor the policy names with it.
ensure_binauthz_policy
# The load balancer before the frontend's ingress turns to it; with EDGE=direct the ingress is all again
# before what an earlier EDGE=load-balancer made is deleted.
ensure_edge
reconcile_services
# The edge's address is made first and deleted last: without it, nothing of a load balancer is left.
if [[ $EDGE == direct ]] && exists_even_in_dry_run compute addresses describe "$EDGE_ADDRESS" --global; then
  remove_edge delete_if_exists
fi
[[ $RELEASED == true ]] || ensure_added_entries
grant_deployer_run_roles
grant_added_run_roles
prune_removed_entries
# Again on every run: repairs the binding if the first run stopped between deploys.
grant_backend_invoker
reconcile_monitoring

if [[ $PUBLIC_ACCESS_REFUSED == true ]]; then
  die "$(public_access_refused_message)"
elif [[ $DRY_RUN == true ]]; then
  log "dry run: nothing was changed"
else
  url=$(gc run services describe "$FRONTEND_SERVICE" "--region=$REGION" --format='value(status.url)')
  log "the space is up"
  printf 'Frontend: %s\n' "$url"
  if [[ $EDGE == load-balancer ]]; then
    address=$(gc compute addresses describe "$EDGE_ADDRESS" --global --format='value(address)')
    printf 'Edge: https://%s (point its DNS A record at %s; the certificate is issued once it does)\n' "$DOMAIN" "$address"
  fi
  print_static_egress_ips
fi
