# shellcheck shell=bash
# One service account per role, each with only what it needs. The default compute service account
# is never used: every service, job and build names its own account.

ensure_service_account() {
  local email=$1 description=$2
  if exists iam service-accounts describe "$email"; then
    log "service account $email exists"
  else
    gc iam service-accounts create "${email%%@*}" "--display-name=$description"
  fi
}

ensure_service_accounts() {
  ensure_service_account "$FRONTEND_SA" "$APP $ENVIRONMENT frontend (Cloud Run)"
  ensure_service_account "$BACKEND_SA" "$APP $ENVIRONMENT backend (Cloud Run)"
  ensure_service_account "$MIGRATOR_SA" "$APP $ENVIRONMENT database migrations (Cloud Run job)"
  ensure_service_account "$DEPLOYER_SA" "$APP $ENVIRONMENT deployer (Cloud Build)"
  ensure_added_accounts
}

# grant_project_role MEMBER ROLE CONDITION: a project binding; CONDITION is gcloud's --condition value
# (None, or expression=…,title=…). Retried: a service account just created takes a moment to be
# visible to IAM.
grant_project_role() {
  gc_retry projects add-iam-policy-binding "$PROJECT_ID" "--member=$1" "--role=$2" \
    "--condition=$3" --format=none
}

# The IAM condition that narrows a project binding to the space's Cloud SQL instance (Cloud SQL
# instances take no IAM policy of their own). https://cloud.google.com/sql/docs/postgres/iam-conditions
sql_instance_condition() {
  printf "expression=resource.name == 'projects/%s/instances/%s' && resource.type == 'sqladmin.googleapis.com/Instance',title=%s" \
    "$PROJECT_ID" "$SQL_INSTANCE" "$SQL_INSTANCE only"
}

# The project-level roles this space grants, as 'MEMBER ROLE CONDITION' lines; down.sh removes exactly
# these. Only what cannot be bound lower: the deployer's Cloud Run role is bound on the space's own
# services and job (grant_deployer_run_roles).
project_role_grants() {
  # Build logs: Cloud Logging takes no narrower binding.
  printf '%s %s %s\n' "serviceAccount:$DEPLOYER_SA" roles/logging.logWriter None
  if [[ $DB_AUTH == iam ]]; then
    # IAM database login: the access token of an account with cloudsql.instances.login is the
    # password; the condition limits the login to this space's instance.
    local condition
    condition=$(sql_instance_condition)
    printf '%s %s %s\n' "serviceAccount:$BACKEND_SA" roles/cloudsql.instanceUser "$condition" \
      "serviceAccount:$MIGRATOR_SA" roles/cloudsql.instanceUser "$condition"
    # And each added entry with DATABASE=true (space/NAME.conf).
    local name
    while read -r name; do
      [[ -n $name ]] || continue
      entry_names "$name"
      printf '%s %s %s\n' "serviceAccount:$E_SA" roles/cloudsql.instanceUser "$condition"
    done < <(added_database_entries)
  fi
}

# What deploy/pipeline.sh grants on the project (the same form); down.sh removes it too. The Cloud
# Build service agent stores the GitHub connection's token in Secret Manager: it creates the secret,
# so the role cannot be bound on the secret. Call resolve_project_number first.
pipeline_role_grants() {
  printf '%s %s %s\n' "serviceAccount:service-$PROJECT_NUMBER@gcp-sa-cloudbuild.iam.gserviceaccount.com" \
    roles/secretmanager.admin None
}

grant_roles() {
  local member role condition runtime
  while read -r member role condition; do
    grant_project_role "$member" "$role" "$condition"
  done < <(project_role_grants)

  # The deployer may deploy as the runtime accounts, and push images to this repository only.
  for runtime in "$FRONTEND_SA" "$BACKEND_SA" "$MIGRATOR_SA"; do
    gc_retry iam service-accounts add-iam-policy-binding "$runtime" \
      "--member=serviceAccount:$DEPLOYER_SA" --role=roles/iam.serviceAccountUser --format=none
  done
  grant_added_deployer_act_as
  gc_retry artifacts repositories add-iam-policy-binding "$REPOSITORY" "--location=$REGION" \
    "--member=serviceAccount:$DEPLOYER_SA" --role=roles/artifactregistry.writer --format=none
}

# Secret access is bound on each secret, to the accounts that read it. In password mode the migration
# job also reads the backend's secret (it sets the backend user's password from it). The deployer pins
# each version at deploy time: it sees version numbers only (secretmanager.viewer), never the data.
grant_secret_access() {
  local secret
  gc_retry secrets add-iam-policy-binding "$DB_SECRET_BACKEND" "--member=serviceAccount:$BACKEND_SA" \
    --role=roles/secretmanager.secretAccessor --format=none
  gc_retry secrets add-iam-policy-binding "$DB_SECRET_MIGRATOR" "--member=serviceAccount:$MIGRATOR_SA" \
    --role=roles/secretmanager.secretAccessor --format=none
  if [[ $DB_AUTH == password ]]; then
    gc_retry secrets add-iam-policy-binding "$DB_SECRET_BACKEND" "--member=serviceAccount:$MIGRATOR_SA" \
      --role=roles/secretmanager.secretAccessor --format=none
  fi
  for secret in "$DB_SECRET_BACKEND" "$DB_SECRET_MIGRATOR"; do
    gc_retry secrets add-iam-policy-binding "$secret" "--member=serviceAccount:$DEPLOYER_SA" \
      --role=roles/secretmanager.viewer --format=none
  done
}

# The deployer (Cloud Build's deploys) may change the space's own two services and its job, and
# nothing else of Cloud Run: roles/run.developer on each, not on the project. It holds no
# run.services.setIamPolicy, so a deploy cannot change who may call them. Call once they exist.
# Cloud Build's steps need, on these: run.services.get/update (run deploy, services update-traffic),
# run.jobs.get/update/run and run.executions.get (run jobs deploy --execute-now --wait).
grant_deployer_run_roles() {
  local service
  for service in "$BACKEND_SERVICE" "$FRONTEND_SERVICE"; do
    gc_retry run services add-iam-policy-binding "$service" "--region=$REGION" \
      "--member=serviceAccount:$DEPLOYER_SA" --role=roles/run.developer --format=none
  done
  gc_retry run jobs add-iam-policy-binding "$MIGRATE_JOB" "--region=$REGION" \
    "--member=serviceAccount:$DEPLOYER_SA" --role=roles/run.developer --format=none
}

# Only the accounts of the backend's INVOKERS (space/backend.conf: the frontend's) may invoke the backend;
# nothing else is granted on it.
grant_backend_invoker() {
  local invoker
  while read -r invoker; do
    gc_retry run services add-iam-policy-binding "$BACKEND_SERVICE" "--region=$REGION" \
      "--member=serviceAccount:$(entry_account "$invoker")" --role=roles/run.invoker --format=none
  done < <(entry_invokers backend)
}
