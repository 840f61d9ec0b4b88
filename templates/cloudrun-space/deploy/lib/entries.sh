# shellcheck shell=bash
# The services and jobs the manifest adds besides the frontend and the backend (space/NAME.conf, made by
# `dotnet new cloudrun-service|cloudrun-job`): how they are deployed (by up.sh and by Cloud Build's
# deploy-added step, through cloudbuild-step.sh), what up.sh provisions for them, and how up.sh and
# down.sh remove what an entry made. Their names are in names.sh (entry_names), their settings NAME_KEY
# in config.sh.
#
# An added service is private like the backend: ingress internal, no unauthenticated calls,
# roles/run.invoker for its INVOKERS' accounts only (which its own token check allows, Auth__AllowedCallers),
# egress to private ranges through the VPC. An added job runs as its own account in the VPC; with a SCHEDULE,
# Cloud Scheduler runs it as an account of its own that holds roles/run.invoker on that job and nothing else.

# The label keys that mark what up.sh deployed for an added entry (names.sh: SPACE_LABEL).
readonly SPACE_LABEL_KEY=space
readonly ENTRY_LABEL_KEY=space-entry
# Set by resolve_entry_db_version for entry_deploy_flags (DB_AUTH=iam: the entry's own secret).
ENTRY_DB_SECRET_VERSION=

# entry_url NAME: the deterministic URL of added service NAME (call resolve_project_number first).
entry_url() {
  entry_names "$1"
  printf 'https://%s-%s.%s.run.app' "$E_RUN" "$(project_number)" "$REGION"
}

# private_services_env CALLER: the environment variables that tell entry CALLER where the added services
# it may call are: PrivateServices__NAME__BaseUrl and PrivateServices__NAME__Audience (the URL both), one
# a line; nothing when it calls none.
private_services_env() {
  local name url
  while read -r name; do
    [[ -n $name ]] || continue
    url=$(entry_url "$name")
    printf '%s\n' "PrivateServices__${name}__BaseUrl=$url" "PrivateServices__${name}__Audience=$url"
  done < <(entries_invoked_by "$1")
}

# entry_callers NAME: the e-mails of the accounts that may call added service NAME, comma-separated.
entry_callers() {
  local invoker callers=()
  while read -r invoker; do
    callers+=("$(entry_account "$invoker")")
  done < <(entry_invokers "$1")
  (IFS=,; printf '%s' "${callers[*]}")
}

# added_database_entries: the added entries with DATABASE=true, one a line.
added_database_entries() {
  local name
  for name in "${ADDED_ENTRIES[@]}"; do
    [[ ${ENTRY[$name:DATABASE]} != true ]] || printf '%s\n' "$name"
  done
}

# resolve_entry_db_version NAME: pins the database secrets entry NAME mounts (see resolve_db_secret_versions):
# in password mode the backend's connection string (the same login), in iam mode its own.
resolve_entry_db_version() {
  [[ ${ENTRY[$1:DATABASE]} == true ]] || return 0
  resolve_db_ca_version
  if [[ $DB_AUTH == password ]]; then
    resolve_secret_version DB_SECRET_BACKEND_VERSION "$DB_SECRET_BACKEND"
  else
    entry_names "$1"
    resolve_secret_version ENTRY_DB_SECRET_VERSION "$E_DB_SECRET"
  fi
}

# _entry_secrets_flag NAME: --set-secrets for an entry with DATABASE=true (nothing otherwise).
_entry_secrets_flag() {
  [[ ${ENTRY[$1:DATABASE]} == true ]] || return 0
  local secret version
  if [[ $DB_AUTH == password ]]; then
    secret=$DB_SECRET_BACKEND version=${DB_SECRET_BACKEND_VERSION:?resolve_entry_db_version must run first}
  else
    entry_names "$1"
    secret=$E_DB_SECRET version=${ENTRY_DB_SECRET_VERSION:?resolve_entry_db_version must run first}
  fi
  printf '%s\n' "--set-secrets=ConnectionStrings__Database=$secret:$version,$DB_CA_PATH=$DB_CA_SECRET:${DB_CA_VERSION:?}"
}

# entry_deploy_flags NAME IMAGE: the flags of `run deploy` (a service) or `run jobs deploy` (a job) for
# added entry NAME, with its effective sizes (its file's, or the env file's NAME_KEY).
entry_deploy_flags() {
  local name=$1 image=$2 prefix url
  prefix=$(entry_prefix "$name")
  local cpu="${prefix}_CPU" memory="${prefix}_MEMORY"
  local -a env_vars=("GOOGLE_CLOUD_PROJECT=$PROJECT_ID") calls
  mapfile -t calls < <(private_services_env "$name")
  entry_names "$name"
  printf '%s\n' "--image=$image" "--region=$REGION" "--service-account=$E_SA"
  if [[ ${ENTRY[$name:KIND]} == service ]]; then
    local concurrency="${prefix}_CONCURRENCY" min="${prefix}_MIN_INSTANCES" max="${prefix}_MAX_INSTANCES"
    url=$(entry_url "$name")
    env_vars+=("Auth__Audience=$url" "Auth__AllowedCallers=$(entry_callers "$name")")
    printf '%s\n' \
      "--ingress=internal" \
      "--no-allow-unauthenticated" \
      "--execution-environment=gen2" \
      "--port=8080" \
      "--concurrency=${!concurrency}" \
      "--cpu=${!cpu}" \
      "--memory=${!memory}" \
      "--min-instances=${!min}" \
      "--max-instances=${!max}" \
      "--cpu-boost" \
      "--startup-probe=$STARTUP_PROBE" \
      "--liveness-probe=$LIVENESS_PROBE"
  else
    local timeout="${prefix}_TASK_TIMEOUT" retries="${prefix}_MAX_RETRIES"
    printf '%s\n' \
      "--tasks=$JOB_TASKS" \
      "--max-retries=${!retries}" \
      "--task-timeout=${!timeout}" \
      "--cpu=${!cpu}" \
      "--memory=${!memory}"
  fi
  _entry_secrets_flag "$name"
  printf '%s\n' "$(_env_vars "${env_vars[@]}" "${calls[@]}")"
  vpc_egress_flags private-ranges-only
}

# entry_labels NAME: the labels of added entry NAME's service or job (which entry of which space, and the
# release: lib/release.sh), as KEY=VALUE,...
entry_labels() {
  printf '%s' "$SPACE_LABEL_KEY=$SPACE_LABEL,$ENTRY_LABEL_KEY=$1,$RELEASE_LABEL=${RELEASE_ORDER:?the release order must be set before a release deploys}"
}

# release_added_entry NAME IMAGE: deploys added entry NAME with IMAGE (a service also gets all traffic;
# a job is deployed, not run).
release_added_entry() {
  local name=$1 image=$2 flags
  resolve_project_number
  resolve_entry_db_version "$name"
  flags=$(entry_deploy_flags "$name" "$image")
  local -a args
  mapfile -t args <<<"$flags"
  entry_names "$name"
  if [[ ${ENTRY[$name:KIND]} == service ]]; then
    log "deploying service $E_RUN (space/$name.conf)"
    gc run deploy "$E_RUN" "${args[@]}" "--update-labels=$(entry_labels "$name")"
    gc run services update-traffic "$E_RUN" "--region=$REGION" --to-latest
  else
    log "deploying job $E_RUN (space/$name.conf)"
    gc run jobs deploy "$E_RUN" "${args[@]}" "--labels=$(entry_labels "$name")"
  fi
}

# release_added TAG: deploys every added entry with its image of TAG.
release_added() {
  local name
  for name in "${ADDED_ENTRIES[@]}"; do
    entry_names "$name"
    release_added_entry "$name" "$E_IMAGE:$1"
  done
}

# entry_exists NAME: true when added entry NAME's service or job exists (asked even on --dry-run).
entry_exists() {
  entry_names "$1"
  exists_even_in_dry_run run "$(entry_kind "$1")s" describe "$E_RUN" "--region=$REGION"
}

# ---- provisioning (up.sh) ----

# Each added entry's account, and a scheduled job's scheduler account.
ensure_added_accounts() {
  local name
  for name in "${ADDED_ENTRIES[@]}"; do
    entry_names "$name"
    ensure_service_account "$E_SA" "$APP $ENVIRONMENT $name (Cloud Run $(entry_kind "$name"))"
    if [[ $(entry_kind "$name") == job && -n ${ENTRY[$name:SCHEDULE]:-} ]]; then
      ensure_service_account "$E_SCHEDULER_SA" "$APP $ENVIRONMENT $name scheduler (runs the job)"
    fi
  done
}

# The deployer may deploy as each added entry's account.
grant_added_deployer_act_as() {
  local name
  for name in "${ADDED_ENTRIES[@]}"; do
    entry_names "$name"
    gc_retry iam service-accounts add-iam-policy-binding "$E_SA" \
      "--member=serviceAccount:$DEPLOYER_SA" --role=roles/iam.serviceAccountUser --format=none
  done
}

# The database for the added entries with DATABASE=true. password: the backend's login (its connection
# string secret) and the server CA. iam: an IAM database user of its own (the migration grants it what it
# grants the backend: Database__GrantTo), a connection string of its own (no password, its DB_POOL_SIZE)
# and the server CA. Call after ensure_database_users and ensure_db_server_ca.
ensure_added_database_access() {
  local name prefix pool
  while read -r name; do
    [[ -n $name ]] || continue
    entry_names "$name"
    gc_retry secrets add-iam-policy-binding "$DB_CA_SECRET" "--member=serviceAccount:$E_SA" \
      --role=roles/secretmanager.secretAccessor --format=none
    if [[ $DB_AUTH == password ]]; then
      gc_retry secrets add-iam-policy-binding "$DB_SECRET_BACKEND" "--member=serviceAccount:$E_SA" \
        --role=roles/secretmanager.secretAccessor --format=none
      continue
    fi
    if exists sql users describe "$E_DB_USER" "--instance=$SQL_INSTANCE"; then
      log "IAM database user $E_DB_USER exists"
    else
      gc_retry sql users create "$E_DB_USER" "--instance=$SQL_INSTANCE" --type=cloud_iam_service_account
    fi
    ensure_secret "$E_DB_SECRET"
    if ! secret_has_version "$E_DB_SECRET"; then
      prefix=$(entry_prefix "$name")
      pool="${prefix}_DB_POOL_SIZE"
      # shellcheck disable=SC2034 # read by connection_string (database.sh)
      DB_HOST=$(db_private_ip)
      connection_string "$E_DB_USER" "${!pool}" | add_secret_version "$E_DB_SECRET"
    fi
    gc_retry secrets add-iam-policy-binding "$E_DB_SECRET" "--member=serviceAccount:$E_SA" \
      --role=roles/secretmanager.secretAccessor --format=none
    gc_retry secrets add-iam-policy-binding "$E_DB_SECRET" "--member=serviceAccount:$DEPLOYER_SA" \
      --role=roles/secretmanager.viewer --format=none
  done < <(added_database_entries)
}

# The IAM database users of the added entries (DB_AUTH=iam), comma-separated: the migration grants them
# what it grants the backend.
added_db_users() {
  local name users=()
  while read -r name; do
    [[ -n $name ]] || continue
    entry_names "$name"
    users+=("$E_DB_USER")
  done < <(added_database_entries)
  (IFS=,; printf '%s' "${users[*]}")
}

# reconcile_invokers SERVICE WANTED...: roles/run.invoker on Cloud Run service SERVICE for exactly the
# members WANTED (serviceAccount:...): binds the missing, removes any other.
reconcile_invokers() {
  local service=$1 member current
  shift
  for member in "$@"; do
    gc_retry run services add-iam-policy-binding "$service" "--region=$REGION" \
      "--member=$member" --role=roles/run.invoker --format=none
  done
  current=$(gc_read run services get-iam-policy "$service" "--region=$REGION" '--flatten=bindings[].members' \
    --filter=bindings.role:roles/run.invoker '--format=value(bindings.members)') || current=
  while read -r member; do
    [[ -n $member ]] || continue
    _in_list "$member" "$@" && continue
    log "removing roles/run.invoker of $member from $service (not among its INVOKERS)"
    gc run services remove-iam-policy-binding "$service" "--region=$REGION" \
      "--member=$member" --role=roles/run.invoker --format=none
  done <<<"$current"
}

# _scheduler_settings: the schedule and time zone of scheduler job E_SCHEDULER as 'SCHEDULE|TIME_ZONE';
# fails when it does not exist.
_scheduler_settings() {
  gc_read scheduler jobs describe "$E_SCHEDULER" "--location=$REGION" '--format=value[separator="|"](schedule,timeZone)'
}

# ensure_schedule NAME: added job NAME's Cloud Scheduler job, as its SCHEDULE and TIME_ZONE say: made,
# updated when either differs, removed (with its account) when SCHEDULE is empty. It calls the Cloud Run
# Admin API's jobs.run with an OAuth token of the scheduler's account, which holds roles/run.invoker on
# this job only. https://cloud.google.com/run/docs/execute/jobs-on-schedule
ensure_schedule() {
  local name=$1 schedule zone current
  entry_names "$name"
  schedule=${ENTRY[$name:SCHEDULE]:-}
  zone=${ENTRY[$name:TIME_ZONE]:-Etc/UTC}
  if [[ -z $schedule ]]; then
    remove_schedule "$name"
    return 0
  fi
  gc_retry run jobs add-iam-policy-binding "$E_RUN" "--region=$REGION" \
    "--member=serviceAccount:$E_SCHEDULER_SA" --role=roles/run.invoker --format=none
  if current=$(_scheduler_settings) && [[ -n $current ]]; then
    if [[ $current == "$schedule|$zone" ]]; then
      log "scheduler job $E_SCHEDULER runs $E_RUN at '$schedule' ($zone)"
      return 0
    fi
    log "schedule of $E_RUN: ${current%%|*} (${current#*|}) -> $schedule ($zone)"
    gc scheduler jobs update http "$E_SCHEDULER" "--location=$REGION" "--schedule=$schedule" "--time-zone=$zone"
    return 0
  fi
  gc scheduler jobs create http "$E_SCHEDULER" "--location=$REGION" "--schedule=$schedule" "--time-zone=$zone" \
    "--uri=https://run.googleapis.com/v2/projects/$PROJECT_ID/locations/$REGION/jobs/$E_RUN:run" \
    --http-method=POST "--oauth-service-account-email=$E_SCHEDULER_SA" \
    --oauth-token-scope=https://www.googleapis.com/auth/cloud-platform \
    "--description=Runs $E_RUN (space/$name.conf)"
}

# remove_schedule NAME: removes added job NAME's scheduler job and its account, where they exist.
remove_schedule() {
  local current
  entry_names "$1"
  if current=$(_scheduler_settings) && [[ -n $current ]]; then
    log "removing scheduler job $E_SCHEDULER"
    gc scheduler jobs delete "$E_SCHEDULER" "--location=$REGION" --quiet
  fi
  delete_if_exists iam service-accounts describe "$E_SCHEDULER_SA" -- iam service-accounts delete "$E_SCHEDULER_SA"
}

# Once the added services and jobs exist: the deployer's roles/run.developer on each (as on the frontend's
# and backend's: grant_deployer_run_roles), each service's invokers (exactly its INVOKERS' accounts) and
# each job's schedule.
grant_added_run_roles() {
  local name invoker
  local -a members
  for name in "${ADDED_ENTRIES[@]}"; do
    entry_names "$name"
    if [[ $DRY_RUN == false ]] && ! entry_exists "$name"; then
      warn "$E_RUN does not exist: its roles are granted on the next run of deploy/up.sh"
      continue
    fi
    gc_retry run "$(entry_kind "$name")s" add-iam-policy-binding "$E_RUN" "--region=$REGION" \
      "--member=serviceAccount:$DEPLOYER_SA" --role=roles/run.developer --format=none
    if [[ $(entry_kind "$name") == service ]]; then
      members=()
      while read -r invoker; do
        members+=("serviceAccount:$(entry_account "$invoker")")
      done < <(entry_invokers "$name")
      entry_names "$name"
      reconcile_invokers "$E_RUN" "${members[@]}"
    else
      ensure_schedule "$name"
    fi
  done
}

# A job's settings as one describe reads them (Cloud Run v1: the execution template's task), '|'-separated
# in the order of JOB_SETTINGS; and the flag of `gcloud run jobs update` that sets each.
readonly JOB_SETTINGS_FORMAT='value[separator="|"](spec.template.spec.template.spec.containers[0].resources.limits.cpu,spec.template.spec.template.spec.containers[0].resources.limits.memory,spec.template.spec.template.spec.timeoutSeconds,spec.template.spec.template.spec.maxRetries)'
# shellcheck disable=SC2034 # both read by name in update_changed_settings (lib/services.sh).
readonly JOB_SETTINGS=(CPU MEMORY TASK_TIMEOUT MAX_RETRIES)
# shellcheck disable=SC2034
readonly JOB_SETTING_FLAGS=(--cpu --memory --task-timeout --max-retries)

# reconcile_job PREFIX JOB: brings the settings PREFIX_CPU, _MEMORY, _TASK_TIMEOUT and _MAX_RETRIES to the
# deployed Cloud Run job JOB, as reconcile_service does for a service: one describe, and one
# `gcloud run jobs update` with exactly the changed flags when any differ (printing each difference).
reconcile_job() {
  local prefix=$1 job=$2 line
  if ! line=$(gc_read run jobs describe "$job" "--region=$REGION" "--format=$JOB_SETTINGS_FORMAT"); then
    [[ $DRY_RUN == true ]] && return 0
    die "could not read the settings of $job"
  fi
  local -a current
  IFS='|' read -r -a current <<<"$line|"
  update_changed_settings jobs "$job" "$prefix" JOB_SETTINGS JOB_SETTING_FLAGS "${current[@]}"
}

# ensure_added_entries: on a space that is up, deploys the added entries that do not exist yet (their
# images built first, with the others) and brings the sizes to the services and jobs that do
# (reconcile_service, reconcile_job). Once a new service some entry calls is up, the callers are redeployed from the
# images just built, so that they get its address (PrivateServices__NAME__*).
ensure_added_entries() {
  local name tag missing=() redeploy_frontend=false
  for name in "${ADDED_ENTRIES[@]}"; do
    entry_names "$name"
    if entry_exists "$name"; then
      if [[ $(entry_kind "$name") == service ]]; then
        reconcile_service "$(entry_prefix "$name")" "$E_RUN"
      else
        reconcile_job "$(entry_prefix "$name")" "$E_RUN"
      fi
    else
      missing+=("$name")
    fi
  done
  ((${#missing[@]} > 0)) || return 0
  log "new in space/: ${missing[*]}"
  tag=$(source_tag)
  # shellcheck disable=SC2034 # the release's order key, written as a label by every deploy (lib/release.sh)
  RELEASE_ORDER=$(new_release_order "$tag")
  build_images "$tag" false
  for name in "${missing[@]}"; do
    entry_names "$name"
    release_added_entry "$name" "$E_IMAGE:$tag"
    if entries_invoked_by frontend | grep -qxF -- "$name"; then redeploy_frontend=true; fi
  done
  if [[ $redeploy_frontend == true ]]; then
    log "redeploying the frontend (tag $tag) with the address of the new services it calls"
    release_frontend "$FRONTEND_IMAGE_NAME:$tag"
  fi
}

# delete_if_exists DESCRIBE_ARGS -- DELETE_ARGS: deletes what exists (asked even on --dry-run, which
# prints the delete of what exists).
delete_if_exists() {
  split_args "$@"
  local describe=("${ARGS_BEFORE[@]}") delete=("${ARGS_AFTER[@]}")
  if exists_even_in_dry_run "${describe[@]}"; then
    gc "${delete[@]}" --quiet
  fi
}

# remove_entry KIND NAME: removes what up.sh made for entry NAME (a Cloud Run service or job: KIND
# services or jobs): its scheduler job and scheduler account, the service or job (its bindings go with
# it), its bindings on the space's secrets and project, its IAM database user and secret, its account.
remove_entry() {
  local kind=$1 name=$2
  entry_names "$name"
  log "removing $name: $kind $E_RUN and what it needs"
  [[ $kind != jobs ]] || remove_schedule "$name"
  entry_names "$name"
  delete_if_exists run "$kind" describe "$E_RUN" "--region=$REGION" -- run "$kind" delete "$E_RUN" "--region=$REGION"
  # Bindings that exist only where the entry had DATABASE=true (no longer known): a missing one is no error.
  local secret
  for secret in "$DB_SECRET_BACKEND" "$DB_CA_SECRET"; do
    gc secrets remove-iam-policy-binding "$secret" "--member=serviceAccount:$E_SA" \
      --role=roles/secretmanager.secretAccessor --format=none 2>/dev/null || true
  done
  if [[ $DB_AUTH == iam ]]; then
    gc projects remove-iam-policy-binding "$PROJECT_ID" "--member=serviceAccount:$E_SA" \
      --role=roles/cloudsql.instanceUser "--condition=$(sql_instance_condition)" --format=none 2>/dev/null || true
    delete_if_exists sql users describe "$E_DB_USER" "--instance=$SQL_INSTANCE" -- \
      sql users delete "$E_DB_USER" "--instance=$SQL_INSTANCE"
    delete_if_exists secrets describe "$E_DB_SECRET" -- secrets delete "$E_DB_SECRET"
  fi
  delete_if_exists iam service-accounts describe "$E_SA" -- iam service-accounts delete "$E_SA"
}

# prune_removed_entries: removes (remove_entry) the services and jobs of this space labelled with an entry
# that space/ no longer lists, or lists as another kind. Listed even on --dry-run, so a dry run shows them.
prune_removed_entries() {
  local kind listed name
  for kind in services jobs; do
    listed=$(gc_read run "$kind" list "--region=$REGION" "--filter=metadata.labels.$SPACE_LABEL_KEY=$SPACE_LABEL" \
      "--format=value(metadata.labels.$ENTRY_LABEL_KEY)") || listed=
    while read -r name; do
      [[ -n $name ]] || continue
      if _in_list "$name" "${ADDED_ENTRIES[@]}" && [[ "$(entry_kind "$name")s" == "$kind" ]]; then
        continue
      fi
      [[ $name =~ ^[a-z]([a-z0-9-]*[a-z0-9])?$ ]] || continue
      remove_entry "$kind" "$name"
    done <<<"$listed"
  done
}
