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
}

# Bindings are retried: a service account just created takes a moment to be visible to IAM.
grant_project_role() {
  gc_retry projects add-iam-policy-binding "$PROJECT_ID" "--member=serviceAccount:$1" "--role=$2" \
    --condition=None --format=none
}

# The project-level roles this space grants; down.sh removes exactly these.
project_role_grants() {
  printf '%s %s\n' "$DEPLOYER_SA" roles/run.developer "$DEPLOYER_SA" roles/logging.logWriter
  if [[ $DB_AUTH == iam ]]; then
    # IAM database login: the access token of an account with cloudsql.instances.login is the password.
    printf '%s %s\n' "$BACKEND_SA" roles/cloudsql.instanceUser "$MIGRATOR_SA" roles/cloudsql.instanceUser
  fi
}

grant_roles() {
  local member role runtime
  while read -r member role; do
    grant_project_role "$member" "$role"
  done < <(project_role_grants)

  # The deployer may deploy as the runtime accounts, and push images to this repository only.
  for runtime in "$FRONTEND_SA" "$BACKEND_SA" "$MIGRATOR_SA"; do
    gc_retry iam service-accounts add-iam-policy-binding "$runtime" \
      "--member=serviceAccount:$DEPLOYER_SA" --role=roles/iam.serviceAccountUser --format=none
  done
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

# Only the frontend's account may invoke the backend; nothing else is granted on it.
grant_backend_invoker() {
  gc_retry run services add-iam-policy-binding "$BACKEND_SERVICE" "--region=$REGION" \
    "--member=serviceAccount:$FRONTEND_SA" --role=roles/run.invoker --format=none
}
