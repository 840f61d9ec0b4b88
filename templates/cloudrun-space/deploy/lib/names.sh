# shellcheck shell=bash disable=SC2034 # the names are read by the scripts that source this file.
# Resource names, derived from APP and the environment so that two environments (or two spaces) can
# share a project. Every name respects its service's limits; a long one is cut and given a short hash
# of the full name, so it stays unique and the same on every run.

# fit NAME MAX: NAME if it is at most MAX characters, else a prefix of it, '-', and 4 hex digits of its hash.
fit() {
  local name=$1 max=$2 hash head
  if ((${#name} <= max)); then
    printf '%s' "$name"
    return
  fi
  hash=$(printf '%s' "$name" | sha256sum)
  head=${name:0:max-5}
  while [[ $head == *- ]]; do head=${head%-}; done
  printf '%s-%s' "$head" "${hash:0:4}"
}

derive_names() {
  local base="$APP-$ENVIRONMENT"
  # Names must start with a letter.
  [[ $base =~ ^[a-z] ]] || base="app-$base"

  # Service account ids: 6-30 characters; the longest suffix is '-deploy'.
  local sa=
  sa=$(fit "$base" 23)
  FRONTEND_SA="$sa-fe@$PROJECT_ID.iam.gserviceaccount.com"
  BACKEND_SA="$sa-be@$PROJECT_ID.iam.gserviceaccount.com"
  MIGRATOR_SA="$sa-mig@$PROJECT_ID.iam.gserviceaccount.com"
  DEPLOYER_SA="$sa-deploy@$PROJECT_ID.iam.gserviceaccount.com"

  # Cloud Run service and job names: at most 49 characters; the longest suffix is '-frontend'.
  local run=
  run=$(fit "$base" 40)
  FRONTEND_SERVICE="$run-frontend"
  BACKEND_SERVICE="$run-backend"
  MIGRATE_JOB="$run-migrate"

  # Serverless VPC Access connector names: at most 25 characters.
  CONNECTOR="$(fit "$base" 21)-vpc"

  # Everything else allows 63 characters.
  local long=
  long=$(fit "$base" 54)
  NETWORK="$long-net"
  SUBNET="$long-run"
  # The frontend's subnet (direct-vpc) or the connector's (connector): the ones Cloud NAT serves.
  FRONTEND_SUBNET="$long-frontend"
  CONNECTOR_SUBNET="$long-vpc"
  ROUTER="$long-router"
  NAT="$long-nat"
  # STATIC_EGRESS_IP=true: the reserved regional address Cloud NAT sends the frontend's egress from.
  NAT_ADDRESS="$long-egress-ip"
  # EDGE=load-balancer: the global external Application Load Balancer in front of the frontend and its
  # Cloud Armor policy (lib/edge.sh).
  EDGE_ADDRESS="$long-edge-ip"
  EDGE_NEG="$long-edge-neg"
  EDGE_BACKEND="$long-edge-backend"
  EDGE_POLICY="$long-edge-armor"
  EDGE_URL_MAP="$long-edge"
  EDGE_REDIRECT_MAP="$long-edge-redirect"
  EDGE_CERT="$long-edge-cert"
  EDGE_HTTPS_PROXY="$long-edge-https"
  EDGE_HTTP_PROXY="$long-edge-http"
  EDGE_HTTPS_RULE="$long-edge-https"
  EDGE_HTTP_RULE="$long-edge-http"
  PSA_RANGE="$long-psa"
  SQL_INSTANCE="$long-db"
  REPOSITORY="$long-images"
  TRIGGER="$long-deploy"
  GITHUB_REPO_LINK="$long-source"
  # The frontend's Data Protection certificate (Secret Manager ids allow 255 characters).
  DP_CERT_SECRET="$long-dp-cert"
  # The Cloud SQL instance's server CA certificate, mounted into the backend and the migration job.
  DB_CA_SECRET="$long-db-ca"

  # Bucket names are global across all projects: the project id makes this one unique. 3-63
  # characters (lowercase letters, digits, hyphens; begins with the project id's letter); '-dp-keys' is 8.
  DP_KEYS_BUCKET="$(fit "$PROJECT_ID-$base" 55)-dp-keys"
  # The staging bucket of the sources Cloud Build builds (deploy/lib/build.sh); '-build-sources' is 14.
  BUILD_SOURCE_BUCKET="$(fit "$PROJECT_ID-$base" 49)-build-sources"
  # Cloud Storage refuses bucket names that begin with "goog" or contain "google".
  local bucket
  for bucket in "$DP_KEYS_BUCKET" "$BUILD_SOURCE_BUCKET"; do
    [[ $bucket != goog* && $bucket != *google* ]] ||
      die "the bucket name $bucket would begin with 'goog' or contain 'google', which Cloud Storage refuses: choose another APP (or project)"
  done
  DB_NAME=$(fit "${APP//-/_}" 63)
  DB_NAME=${DB_NAME//-/_}

  # Each secret is read by one account only: the backend's connection string also by the migration job in
  # password mode (it sets the backend user's password from it).
  DB_SECRET_BACKEND="$long-db-backend"
  DB_SECRET_MIGRATOR="$long-db-migrator"
  if [[ $DB_AUTH == password ]]; then
    # The migrator is a built-in user (a member of cloudsqlsuperuser: it owns the schema). The backend signs
    # in as one of two plain login roles the migration makes; a rotation moves it to the other one.
    DB_MIGRATOR_USER=migrator
    DB_USER=app_a
    DB_USER_ALT=app_b
  else
    # A PostgreSQL IAM user is the service account's e-mail without '.gserviceaccount.com'.
    DB_USER=${BACKEND_SA%.gserviceaccount.com}
    DB_USER_ALT=
    DB_MIGRATOR_USER=${MIGRATOR_SA%.gserviceaccount.com}
  fi

  IMAGE_BASE="$REGION-docker.pkg.dev/$PROJECT_ID/$REPOSITORY"
  NAME_BASE=$base
  LONG_BASE=$long
  # The label every added service and job carries (space=SPACE_LABEL, with space-entry=NAME), so that up.sh
  # finds those whose entry is gone. Label values: at most 63 characters.
  SPACE_LABEL=$(fit "$base" 63)
  local name
  for name in "${ADDED_ENTRIES[@]}"; do
    entry_names "$name"
  done
  BACKEND_IMAGE_NAME="$IMAGE_BASE/backend"
  FRONTEND_IMAGE_NAME="$IMAGE_BASE/frontend"
}

# entry_names NAME: the names of added entry NAME's resources (NAME need not be in the manifest: up.sh
# removes what entries no longer listed made), in these variables:
#   E_RUN          its Cloud Run service or job: APP-ENV-NAME, at most 49 characters
#   E_SA           its service account's e-mail; the id APP-ENV-NAME, 6 to 30 characters
#   E_SCHEDULER    a job's Cloud Scheduler job: E_RUN-schedule
#   E_SCHEDULER_SA the e-mail of the account the scheduler runs the job as; the id APP-ENV-NAME-sch cut
#                  to 30 (a hash where longer): -sch ends no entry's own account (manifest.sh refuses it)
#   E_IMAGE        its image, without tag
#   E_DB_USER      its IAM database user (DB_AUTH=iam): E_SA without .gserviceaccount.com
#   E_DB_SECRET    its connection-string secret (DB_AUTH=iam): APP-ENV-db-NAME
# Dies when the account id would be shorter than the 6 characters IAM takes.
entry_names() {
  local name=$1 id
  E_RUN="$(fit "$NAME_BASE" $((48 - ${#name})))-$name"
  id="$(fit "$NAME_BASE" $((29 - ${#name})))-$name"
  ((${#id} >= 6)) || die "the service account id $id of entry $name is shorter than 6 characters: choose a longer entry name"
  E_SA="$id@$PROJECT_ID.iam.gserviceaccount.com"
  E_SCHEDULER="$E_RUN-schedule"
  E_SCHEDULER_SA="$(fit "$NAME_BASE-$name" 25)-sch@$PROJECT_ID.iam.gserviceaccount.com"
  E_IMAGE="$IMAGE_BASE/$name"
  E_DB_USER=${E_SA%.gserviceaccount.com}
  E_DB_SECRET="$LONG_BASE-db-$name"
}

# entry_account NAME: the e-mail of entry NAME's service account (the frontend's and the backend's too).
entry_account() {
  case $1 in
    frontend) printf '%s' "$FRONTEND_SA" ;;
    backend) printf '%s' "$BACKEND_SA" ;;
    *)
      entry_names "$1"
      printf '%s' "$E_SA"
      ;;
  esac
}

# entry_service_name NAME: the Cloud Run name of entry NAME (the frontend's and the backend's too).
entry_service_name() {
  case $1 in
    frontend) printf '%s' "$FRONTEND_SERVICE" ;;
    backend) printf '%s' "$BACKEND_SERVICE" ;;
    *)
      entry_names "$1"
      printf '%s' "$E_RUN"
      ;;
  esac
}
