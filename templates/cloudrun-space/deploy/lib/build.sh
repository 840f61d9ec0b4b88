# shellcheck shell=bash
# Building images with Cloud Build from the solution's source, shared by up.sh and deploy.sh.

# Builds run as the deployer, which has no role on the project's default source bucket
# (gs://PROJECT_cloudbuild): `gcloud builds submit` uploads the source to the space's own staging bucket
# instead, where the deployer may read it. It needs storage.objects.get and storage.objects.list;
# roles/storage.objectViewer holds exactly these object permissions (no write, no delete, no IAM).
readonly BUILD_SOURCE_ROLE=roles/storage.objectViewer
# Deletes uploaded sources after 7 days: a build reads its source when it starts, a retried build
# ("Rebuild") once more.
readonly BUILD_SOURCE_LIFECYCLE=lib/build-sources-lifecycle.json

# Creates the staging bucket of build sources if it is missing (in the space's region, access by IAM
# only, never public, old sources deleted) and lets the deployer read it. Bound on the bucket only. The
# person who runs up.sh or deploy.sh uploads the source with their own rights.
ensure_build_source_bucket() {
  if exists storage buckets describe "gs://$BUILD_SOURCE_BUCKET"; then
    log "build source bucket $BUILD_SOURCE_BUCKET exists"
  else
    gc storage buckets create "gs://$BUILD_SOURCE_BUCKET" "--location=$REGION" \
      --uniform-bucket-level-access --public-access-prevention \
      "--lifecycle-file=$DEPLOY_DIR/$BUILD_SOURCE_LIFECYCLE"
  fi
  gc_retry storage buckets add-iam-policy-binding "gs://$BUILD_SOURCE_BUCKET" \
    "--member=serviceAccount:$DEPLOYER_SA" "--role=$BUILD_SOURCE_ROLE" --format=none
}

# The image tag: the commit when the solution is a git checkout, else the time (UTC).
source_tag() {
  local sha=
  sha=$(git -C "$SPACE_DIR" rev-parse --short=7 HEAD 2>/dev/null) || true
  if [[ -n $sha ]]; then
    git -C "$SPACE_DIR" diff --quiet HEAD 2>/dev/null ||
      warn "the working tree has uncommitted changes; they are uploaded, but the tag names commit $sha"
    printf '%s' "$sha"
  else
    date -u +manual-%Y%m%d%H%M%S
  fi
}

# build_images TAG ROLLOUT: runs cloudbuild.yaml as the deployer. ROLLOUT=false builds and pushes the
# images only; true also migrates and deploys, exactly as the trigger does.
build_images() {
  local tag=$1 rollout=$2 commit=
  commit=$(git -C "$SPACE_DIR" rev-parse HEAD 2>/dev/null) || true
  local substitutions="_ENV=$ENVIRONMENT,_REGION=$REGION,_DEPLOYER_SA=$DEPLOYER_SA,_REPOSITORY=$REPOSITORY,_ROLLOUT=$rollout,SHORT_SHA=$tag"
  [[ -n $commit ]] && substitutions+=",COMMIT_SHA=$commit"
  log "building images with Cloud Build (tag $tag)"
  gc builds submit "$SPACE_DIR" "--config=$SPACE_DIR/cloudbuild.yaml" \
    "--service-account=projects/$PROJECT_ID/serviceAccounts/$DEPLOYER_SA" \
    "--gcs-source-staging-dir=gs://$BUILD_SOURCE_BUCKET/source" \
    "--substitutions=$substitutions"
}
