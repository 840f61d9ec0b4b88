# shellcheck shell=bash
# Building images with Cloud Build from the solution's source, shared by up.sh and deploy.sh.

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
  local substitutions="_ENV=$ENVIRONMENT,_REGION=$REGION,_DEPLOYER_SA=$DEPLOYER_SA,_ROLLOUT=$rollout,SHORT_SHA=$tag"
  [[ -n $commit ]] && substitutions+=",COMMIT_SHA=$commit"
  log "building images with Cloud Build (tag $tag)"
  gc builds submit "$SPACE_DIR" "--config=$SPACE_DIR/cloudbuild.yaml" \
    "--service-account=projects/$PROJECT_ID/serviceAccounts/$DEPLOYER_SA" \
    "--substitutions=$substitutions"
}
