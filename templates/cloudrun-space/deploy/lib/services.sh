# shellcheck shell=bash
# The one definition of how the migration job, the backend and the frontend are deployed. up.sh and
# the Cloud Build steps (through cloudbuild-step.sh) both call these functions, so the two cannot drift apart.

# Health endpoints of both services (ServiceDefaults): readiness checks the database, liveness the process.
readonly STARTUP_PROBE='httpGet.path=/healthz/ready,initialDelaySeconds=0,periodSeconds=5,timeoutSeconds=3,failureThreshold=24'
readonly LIVENESS_PROBE='httpGet.path=/healthz/live,periodSeconds=15,timeoutSeconds=3,failureThreshold=3'

# The frontend's ASP.NET Core Data Protection key ring, one for all its instances: the key files in the
# space's bucket (a Cloud Storage volume), encrypted with the certificate in Secret Manager (a secret
# file). Cloud Run mounts a secret file's folder as a volume of its own: the two folders must not overlap.
readonly DP_KEYS_VOLUME=dataprotection-keys
readonly DP_KEYS_PATH=/mnt/dataprotection-keys
readonly DP_CERT_PATH=/secrets/dataprotection/certificate.pem
# Set by resolve_dp_certificate_version, resolve_db_ca_version and resolve_db_secret_versions, never taken
# from the environment.
DP_CERT_VERSION=
# The Cloud SQL server CA certificate the backend and the migration job check the database's certificate
# against (the connection strings' Root Certificate), a file from secret DB_CA_SECRET.
readonly DB_CA_PATH=/secrets/db-ca/server-ca.pem
DB_CA_VERSION=
DB_SECRET_BACKEND_VERSION=
DB_SECRET_MIGRATOR_VERSION=

# VPC egress flags. $1: private-ranges-only (reach the database) or all-traffic (everything through the
# VPC, so calls to the internal backend count as internal; Cloud NAT carries the internet part).
# $2: the subnet for Direct VPC egress (default: the backend's and the job's, which NAT does not serve).
vpc_egress_flags() {
  if [[ $EGRESS == connector ]]; then
    printf '%s\n' "--vpc-connector=$CONNECTOR"
  else
    printf '%s\n' "--network=$NETWORK" "--subnet=${2:-$SUBNET}"
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

# latest_secret_version SECRET: prints the number of SECRET's newest version; fails when there is none
# (or the query fails).
latest_secret_version() {
  local name
  name=$(gc_query secrets versions describe latest "--secret=$1" --format='value(name)') || return 1
  name=${name##*/}
  [[ $name =~ ^[0-9]+$ ]] || return 1
  printf '%s' "$name"
}

# resolve_secret_version VARIABLE SECRET: sets VARIABLE to the number of SECRET's newest version, the one
# this deploy pins (on --dry-run: the query is printed and VARIABLE is set to its own name). The deployer
# needs roles/secretmanager.viewer on SECRET (version numbers only, never the data).
resolve_secret_version() {
  local version
  if [[ $DRY_RUN == true ]]; then
    latest_secret_version "$2" || true
    printf -v "$1" '%s' "$1"
    return 0
  fi
  version=$(latest_secret_version "$2") ||
    die "secret $2 has no version to pin (or could not be read): deploy/up.sh makes it"
  printf -v "$1" '%s' "$version"
}

# Pins the frontend's certificate to the secret's current version, looked up at every deploy. Not
# 'latest': a mounted 'latest' is re-read, so a new version would change the certificate under running
# instances; pinned, a new version reaches the frontend only with a deploy, every instance of a revision
# reads the same one, and a rollback brings its own back. Call before frontend_deploy_flags (it runs in a
# subshell and cannot keep what it looks up).
resolve_dp_certificate_version() {
  resolve_secret_version DP_CERT_VERSION "$DP_CERT_SECRET"
}

# Pins the database secrets the same way: an environment variable is read when an instance starts, so
# with 'latest' a new instance (or a rollback) could sign in with another password than its revision was
# deployed with. Call before migrate_job_flags and backend_deploy_flags.
resolve_db_secret_versions() {
  resolve_secret_version DB_SECRET_BACKEND_VERSION "$DB_SECRET_BACKEND"
  resolve_secret_version DB_SECRET_MIGRATOR_VERSION "$DB_SECRET_MIGRATOR"
}

# Pins the database's server CA certificate to the secret's current version, looked up at every deploy,
# for the reasons given at resolve_dp_certificate_version. Call before migrate_job_flags and
# backend_deploy_flags.
resolve_db_ca_version() {
  resolve_secret_version DB_CA_VERSION "$DB_CA_SECRET"
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
  : "${DB_CA_VERSION:?resolve_db_ca_version must run before migrate_job_flags}"
  : "${DB_SECRET_MIGRATOR_VERSION:?resolve_db_secret_versions must run before migrate_job_flags}"
  local env_vars=("GOOGLE_CLOUD_PROJECT=$PROJECT_ID")
  local secrets="ConnectionStrings__Database=$DB_SECRET_MIGRATOR:$DB_SECRET_MIGRATOR_VERSION"
  # The migrator's own database user owns the tables; the backend's user(s) get read/write on the rows.
  # In password mode the migration makes both backend users and sets the password of the one in the
  # backend's connection string.
  if [[ $DB_AUTH == iam ]]; then
    local added_users
    added_users=$(added_db_users)
    env_vars+=("Database__GrantTo=$DB_USER${added_users:+,$added_users}")
  else
    env_vars+=("Database__GrantTo=$DB_USER,$DB_USER_ALT" "Database__CreateGrantees=true")
    secrets+=",Database__BackendConnectionString=$DB_SECRET_BACKEND:$DB_SECRET_BACKEND_VERSION"
  fi
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
    "--set-secrets=$secrets,$DB_CA_PATH=$DB_CA_SECRET:$DB_CA_VERSION" \
    "$(_env_vars "${env_vars[@]}")"
  vpc_egress_flags private-ranges-only
  binauthz_flags
}

# backend_deploy_flags IMAGE: private API, reachable only from the VPC and only by the frontend's account.
backend_deploy_flags() {
  local image=$1
  local -a calls
  mapfile -t calls < <(private_services_env backend)
  : "${DB_CA_VERSION:?resolve_db_ca_version must run before backend_deploy_flags}"
  : "${DB_SECRET_BACKEND_VERSION:?resolve_db_secret_versions must run before backend_deploy_flags}"
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
    "--set-secrets=ConnectionStrings__Database=$DB_SECRET_BACKEND:$DB_SECRET_BACKEND_VERSION,$DB_CA_PATH=$DB_CA_SECRET:$DB_CA_VERSION" \
    "$(_env_vars "GOOGLE_CLOUD_PROJECT=$PROJECT_ID" "Auth__Audience=$(backend_url)" "Auth__AllowedCallers=$(entry_callers backend)" "${calls[@]}")"
  vpc_egress_flags private-ranges-only
  binauthz_flags
}

# frontend_deploy_flags IMAGE: public UI (with the address of each added service it may call:
# private_services_env), reached directly or, with EDGE=load-balancer, through the load balancer only
# (its ingress and the proxy hops in front of it: lib/edge.sh); all its egress goes through the VPC so that the backend
# (ingress internal) accepts its calls. Its Data Protection key ring is the bucket's, so that a form
# rendered by one instance (or before a deploy) is accepted by any other. Public access is no flag of
# a deploy: up.sh turns the invoker IAM check off (see release_frontend), and a deploy keeps it so.
frontend_deploy_flags() {
  local image=$1 url
  local -a calls
  mapfile -t calls < <(private_services_env frontend)
  : "${DP_CERT_VERSION:?resolve_dp_certificate_version must run before frontend_deploy_flags}"
  url=$(backend_url)
  # gen2: Cloud Storage volumes need the second generation execution environment.
  printf '%s\n' \
    "--image=$image" \
    "--region=$REGION" \
    "--service-account=$FRONTEND_SA" \
    "--ingress=$(frontend_ingress)" \
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
    "--add-volume=name=$DP_KEYS_VOLUME,type=cloud-storage,bucket=$DP_KEYS_BUCKET" \
    "--add-volume-mount=volume=$DP_KEYS_VOLUME,mount-path=$DP_KEYS_PATH" \
    "--set-secrets=$DP_CERT_PATH=$DP_CERT_SECRET:$DP_CERT_VERSION" \
    "$(_env_vars "GOOGLE_CLOUD_PROJECT=$PROJECT_ID" "Backend__BaseUrl=$url" "Backend__Audience=$url" \
      "DataProtection__KeysPath=$DP_KEYS_PATH" "DataProtection__CertificatePath=$DP_CERT_PATH" \
      "FrontEnd__ProxyHops=$(edge_proxy_hops)" "${calls[@]}")"
  vpc_egress_flags all-traffic "$FRONTEND_SUBNET"
  binauthz_flags
}

# Deploys (create or update) the migration job and runs it to completion: a failed migration fails the
# caller before any service gets new code.
release_migrate() {
  local flags label
  resolve_db_ca_version
  resolve_db_secret_versions
  flags=$(migrate_job_flags "$1")
  local -a args
  mapfile -t args <<<"$flags"
  label=$(release_label_flag labels)
  log "migrating the database with job $MIGRATE_JOB"
  gc run jobs deploy "$MIGRATE_JOB" "${args[@]}" "$label" --execute-now --wait
}

# release_service ROLE SERVICE FLAGS_FUNCTION IMAGE [public]: deploys IMAGE with the flags
# FLAGS_FUNCTION computes; 'public' also turns the invoker IAM check off (see gc_public).
# A traffic split or pin (traffic.sh) would keep the new revision at 0 %: a release sends all traffic
# to the revision it just deployed.
release_service() {
  local role="$1" service="$2" flags_function="$3" image="$4" public="${5:-}" flags label
  resolve_project_number
  flags=$("$flags_function" "$image")
  local -a args
  mapfile -t args <<<"$flags"
  log "deploying $role $service"
  label=$(release_label_flag update-labels)
  if [[ $public == public ]]; then
    gc_public run deploy "$service" "${args[@]}" "$label" --no-invoker-iam-check
  else
    gc run deploy "$service" "${args[@]}" "$label"
  fi
  gc run services update-traffic "$service" "--region=$REGION" --to-latest
}

release_backend() {
  resolve_db_ca_version
  resolve_db_secret_versions
  release_service backend "$BACKEND_SERVICE" backend_deploy_flags "$1"
}

# release_frontend IMAGE [public]: 'public' only from up.sh, run by someone who may set IAM policies
# (run.services.setIamPolicy): the deployer account may not, so Cloud Build's deploys leave the
# setting as it is.
release_frontend() {
  resolve_dp_certificate_version
  release_service frontend "$FRONTEND_SERVICE" frontend_deploy_flags "$1" "${2:-}"
}

# The organisation policy constraint that can forbid turning a service's invoker IAM check off.
readonly INVOKER_IAM_CONSTRAINT=run.managed.requireInvokerIam
# Set to true by gc_public when that constraint refused.
PUBLIC_ACCESS_REFUSED=false

# gc_public GCLOUD_ARGS...: runs a gcloud call that turns the frontend's invoker IAM check off
# (--no-invoker-iam-check), which makes it public without an allUsers binding (so Domain Restricted
# Sharing does not stand in the way). Its output is shown; another failure stops the script as any
# failed call does. When the organisation enforces constraints/run.managed.requireInvokerIam, a refused
# deploy is made again without the flag (the frontend then exists, private), and PUBLIC_ACCESS_REFUSED
# is set: the caller finishes the rest, then stops with public_access_refused_message.
# https://cloud.google.com/run/docs/authenticating/public
gc_public() {
  local output status=0
  { output=$(gc "$@" 2>&1 1>&4); } 4>&1 || status=$?
  [[ -z $output ]] || printf '%s\n' "$output" >&2
  ((status == 0)) && return 0
  [[ $output == *"$INVOKER_IAM_CONSTRAINT"* ]] || exit "$status"
  if [[ $1 == run && $2 == deploy ]]; then
    local arg without=()
    for arg in "$@"; do
      [[ $arg == --no-invoker-iam-check ]] || without+=("$arg")
    done
    log "deploying the frontend without public access"
    gc "${without[@]}"
  fi
  # shellcheck disable=SC2034 # read by up.sh.
  PUBLIC_ACCESS_REFUSED=true
}

# What was refused, that the rest is up, and what to ask for.
public_access_refused_message() {
  cat <<EOF
the organisation policy constraint constraints/$INVOKER_IAM_CONSTRAINT refused to make the frontend public
(to turn its invoker IAM check off). Everything else of the space is up: the database, the backend and
the frontend service $FRONTEND_SERVICE, which answers authenticated callers only until the check is off.
Ask your organisation policy administrator for an exception of constraints/$INVOKER_IAM_CONSTRAINT for
project $PROJECT_ID, a project policy that does not enforce it:
  gcloud org-policies set-policy POLICY_FILE
where POLICY_FILE holds
  name: projects/$PROJECT_ID/policies/$INVOKER_IAM_CONSTRAINT
  spec:
    rules:
    - enforce: false
(or in the console: IAM & Admin > Organization policies, that constraint, for this project). The policy
in force shows with: gcloud org-policies describe $INVOKER_IAM_CONSTRAINT --project=$PROJECT_ID --effective
Then run deploy/up.sh again: it turns the check off and changes nothing else.
EOF
}

# A service's settings as one describe reads them, '|'-separated in this order: concurrency, CPU,
# memory, min and max instances (Cloud Run v1: the revision template's autoscaling annotations), and
# whether the invoker IAM check is off (the service's run.googleapis.com/invoker-iam-disabled).
readonly SERVICE_SETTINGS_FORMAT='value[separator="|"](spec.template.spec.containerConcurrency,spec.template.spec.containers[0].resources.limits.cpu,spec.template.spec.containers[0].resources.limits.memory,spec.template.metadata.annotations."autoscaling.knative.dev/minScale",spec.template.metadata.annotations."autoscaling.knative.dev/maxScale",metadata.annotations."run.googleapis.com/invoker-iam-disabled")'
# The env file's settings of a service (after its BACKEND_/FRONTEND_ prefix), in the order above, and
# the flag of `gcloud run services update` that sets each.
# shellcheck disable=SC2034 # both read by name in update_changed_settings.
readonly SERVICE_SETTINGS=(CONCURRENCY CPU MEMORY MIN_INSTANCES MAX_INSTANCES)
# shellcheck disable=SC2034
readonly SERVICE_SETTING_FLAGS=(--concurrency --cpu --memory --min-instances --max-instances)
# Set by reconcile_service: whether the service it read has its invoker IAM check off ('true' if so).
SERVICE_INVOKER_IAM_DISABLED=

# _comparable SETTING VALUE: VALUE in the form the env file writes it: CPU '1000m' is 1, memory
# '1024Mi' is 1Gi (the smallest whole unit), no minScale annotation is 0 instances.
_comparable() {
  local setting=$1 value=$2
  case $setting in
    CPU) [[ $value =~ ^([0-9]+)000m$ ]] && value=${BASH_REMATCH[1]} ;;
    MEMORY)
      if [[ $value =~ ^([0-9]+)Mi$ ]] && ((10#${BASH_REMATCH[1]} % 1024 == 0)); then
        value="$((10#${BASH_REMATCH[1]} / 1024))Gi"
      fi
      ;;
    MIN_INSTANCES) value=${value:-0} ;;
    # A job's task timeout: Cloud Run keeps it in seconds.
    TASK_TIMEOUT) [[ $value =~ ^[0-9]+$ ]] && value="${value}s" ;;
  esac
  printf '%s' "$value"
}

# reconcile_service PREFIX SERVICE: brings the env file's PREFIX_* settings (BACKEND or FRONTEND) to the
# deployed SERVICE: one describe; when any differ, one `gcloud run services update` with exactly the
# changed flags (a new revision with the same image and everything else). Prints each difference, e.g.
# 'BACKEND_MEMORY: 512Mi -> 1Gi'. Sets SERVICE_INVOKER_IAM_DISABLED.
reconcile_service() {
  local prefix=$1 service=$2 line
  SERVICE_INVOKER_IAM_DISABLED=
  # Read even on --dry-run (gc_read), so that a dry run shows the differences.
  if ! line=$(gc_read run services describe "$service" "--region=$REGION" "--format=$SERVICE_SETTINGS_FORMAT"); then
    [[ $DRY_RUN == true ]] && return 0
    die "could not read the settings of $service"
  fi
  local -a current
  IFS='|' read -r -a current <<<"$line|"
  # shellcheck disable=SC2034 # read by up.sh.
  SERVICE_INVOKER_IAM_DISABLED=${current[5]:-}
  update_changed_settings services "$service" "$prefix" SERVICE_SETTINGS SERVICE_SETTING_FLAGS "${current[@]}"
}

# update_changed_settings KIND NAME PREFIX SETTINGS FLAGS DEPLOYED...: compares the env file's settings
# PREFIX_<each name in the array SETTINGS> with the DEPLOYED values (in the same order), prints each difference
# and makes one `gcloud run KIND update NAME` (KIND services or jobs) with the flags (array FLAGS, same order)
# of exactly the settings that differ; says so when none does.
update_changed_settings() {
  local kind=$1 name=$2 prefix=$3
  local -n setting_names=$4 setting_flags=$5
  shift 5
  local -a deployed_values=("$@")
  local i setting wanted deployed flags=()
  for i in "${!setting_names[@]}"; do
    setting="${prefix}_${setting_names[i]}"
    wanted=$(_comparable "${setting_names[i]}" "${!setting}")
    deployed=$(_comparable "${setting_names[i]}" "${deployed_values[i]:-}")
    if [[ $wanted != "$deployed" ]]; then
      log "$setting: ${deployed:-(not set)} -> ${!setting}"
      flags+=("${setting_flags[i]}=${!setting}")
    fi
  done
  if ((${#flags[@]} == 0)); then
    log "$name has the settings of $ENV_FILE"
    return 0
  fi
  gc run "$kind" update "$name" "--region=$REGION" "${flags[@]}"
}
