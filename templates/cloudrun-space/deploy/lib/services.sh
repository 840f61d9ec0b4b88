# shellcheck shell=bash
# The one definition of how the migration job, the backend and the frontend are deployed. up.sh and
# the Cloud Build steps (through release.sh) both call these functions, so the two cannot drift apart.

# Health endpoints of both services (ServiceDefaults): readiness checks the database, liveness the process.
readonly STARTUP_PROBE='httpGet.path=/healthz/ready,initialDelaySeconds=0,periodSeconds=5,timeoutSeconds=3,failureThreshold=24'
readonly LIVENESS_PROBE='httpGet.path=/healthz/live,periodSeconds=15,timeoutSeconds=3,failureThreshold=3'

# VPC egress flags. $1: private-ranges-only (reach the database) or all-traffic (everything through the
# VPC, so calls to the internal backend count as internal; Cloud NAT carries the internet part).
vpc_egress_flags() {
  if [[ $EGRESS == connector ]]; then
    printf '%s\n' "--vpc-connector=$CONNECTOR"
  else
    printf '%s\n' "--network=$NETWORK" "--subnet=$SUBNET"
  fi
  printf '%s\n' "--vpc-egress=$1"
}

# The backend's deterministic URL (https://SERVICE-PROJECT_NUMBER.REGION.run.app): known before the
# first deploy, so the backend's own audience can be set in the same deploy that creates it.
backend_url() {
  printf 'https://%s-%s.%s.run.app' "$BACKEND_SERVICE" "$(project_number)" "$REGION"
}

project_number() { printf '%s' "$PROJECT_NUMBER"; }

# Cloud Build passes $PROJECT_NUMBER; elsewhere it is looked up once. Call before the flag functions
# (they run in subshells and cannot keep what they look up).
resolve_project_number() {
  [[ -n ${PROJECT_NUMBER:-} ]] && return 0
  if [[ $DRY_RUN == true ]]; then
    gc projects describe "$PROJECT_ID" --format='value(projectNumber)'
    PROJECT_NUMBER=PROJECT_NUMBER
    return 0
  fi
  PROJECT_NUMBER=$(gc projects describe "$PROJECT_ID" --format='value(projectNumber)')
  [[ $PROJECT_NUMBER =~ ^[0-9]+$ ]] || die "could not read the project number of $PROJECT_ID"
}

# Environment variables for --set-env-vars, joined with '##' (gcloud's alternate delimiter syntax)
# because values such as the caller allow-list may contain commas.
_env_vars() {
  local joined=
  joined=$(printf '##%s' "$@")
  printf '%s' "--set-env-vars=^##^${joined#\#\#}"
}

# migrate_job_flags IMAGE: the migration job, run as the migrator before every backend rollout.
migrate_job_flags() {
  local image=$1
  local env_vars=("GOOGLE_CLOUD_PROJECT=$PROJECT_ID")
  # In IAM mode the migrator's own database user owns the tables; the backend's user gets DML rights.
  [[ $DB_AUTH == iam ]] && env_vars+=("Database__GrantTo=$DB_USER")
  printf '%s\n' \
    "--image=$image" \
    "--region=$REGION" \
    "--service-account=$MIGRATOR_SA" \
    "--args=migrate" \
    "--tasks=1" \
    "--max-retries=0" \
    "--task-timeout=600s" \
    "--cpu=1" \
    "--memory=512Mi" \
    "--set-secrets=ConnectionStrings__Database=$DB_SECRET_MIGRATOR:latest" \
    "$(_env_vars "${env_vars[@]}")"
  vpc_egress_flags private-ranges-only
}

# backend_deploy_flags IMAGE: private API, reachable only from the VPC and only by the frontend's account.
backend_deploy_flags() {
  local image=$1
  printf '%s\n' \
    "--image=$image" \
    "--region=$REGION" \
    "--service-account=$BACKEND_SA" \
    "--ingress=internal" \
    "--no-allow-unauthenticated" \
    "--execution-environment=gen2" \
    "--port=8080" \
    "--concurrency=$BACKEND_CONCURRENCY" \
    "--cpu=$BACKEND_CPU" \
    "--memory=$BACKEND_MEMORY" \
    "--min-instances=$BACKEND_MIN_INSTANCES" \
    "--max-instances=$BACKEND_MAX_INSTANCES" \
    "--cpu-boost" \
    "--startup-probe=$STARTUP_PROBE" \
    "--liveness-probe=$LIVENESS_PROBE" \
    "--set-secrets=ConnectionStrings__Database=$DB_SECRET_BACKEND:latest" \
    "$(_env_vars "GOOGLE_CLOUD_PROJECT=$PROJECT_ID" "Auth__Audience=$(backend_url)" "Auth__AllowedCallers=$FRONTEND_SA")"
  vpc_egress_flags private-ranges-only
}

# frontend_deploy_flags IMAGE: public UI; all its egress goes through the VPC so that the backend
# (ingress internal) accepts its calls.
frontend_deploy_flags() {
  local image=$1 url
  url=$(backend_url)
  printf '%s\n' \
    "--image=$image" \
    "--region=$REGION" \
    "--service-account=$FRONTEND_SA" \
    "--ingress=all" \
    "--allow-unauthenticated" \
    "--execution-environment=gen2" \
    "--port=8080" \
    "--concurrency=$FRONTEND_CONCURRENCY" \
    "--cpu=$FRONTEND_CPU" \
    "--memory=$FRONTEND_MEMORY" \
    "--min-instances=$FRONTEND_MIN_INSTANCES" \
    "--max-instances=$FRONTEND_MAX_INSTANCES" \
    "--cpu-boost" \
    "--startup-probe=$STARTUP_PROBE" \
    "--liveness-probe=$LIVENESS_PROBE" \
    "$(_env_vars "GOOGLE_CLOUD_PROJECT=$PROJECT_ID" "Backend__BaseUrl=$url" "Backend__Audience=$url")"
  vpc_egress_flags all-traffic
}

# Deploys (create or update) the migration job and runs it to completion: a failed migration fails the
# caller before any service gets new code.
release_migrate() {
  local flags
  flags=$(migrate_job_flags "$1")
  local -a args
  mapfile -t args <<<"$flags"
  log "migrating the database with job $MIGRATE_JOB"
  gc run jobs deploy "$MIGRATE_JOB" "${args[@]}" --execute-now --wait
}

# release_service ROLE SERVICE FLAGS_FUNCTION IMAGE: deploys IMAGE with the flags FLAGS_FUNCTION computes.
# A traffic split or pin (traffic.sh) would keep the new revision at 0 %: a release sends all traffic
# to the revision it just deployed.
release_service() {
  local role="$1" service="$2" flags_function="$3" image="$4" flags
  resolve_project_number
  flags=$("$flags_function" "$image")
  local -a args
  mapfile -t args <<<"$flags"
  log "deploying $role $service"
  gc run deploy "$service" "${args[@]}"
  gc run services update-traffic "$service" "--region=$REGION" --to-latest
}

release_backend() { release_service backend "$BACKEND_SERVICE" backend_deploy_flags "$1"; }

release_frontend() { release_service frontend "$FRONTEND_SERVICE" frontend_deploy_flags "$1"; }
