#!/usr/bin/env bash
# Usage: deploy/pipeline.sh [--env NAME] [--dry-run] [--help]
#
# Sets up continuous delivery: a Cloud Build trigger (2nd gen GitHub connection) that runs
# cloudbuild.yaml as the deployer account on every push to GITHUB_BRANCH (default main) of
# GITHUB_REPOSITORY (OWNER/NAME), both set in deploy/env/NAME.env. Run deploy/up.sh first.
#
# The first run creates the GitHub connection and stops: open the link gcloud prints, authorise the
# Cloud Build GitHub app for the repository, then run this script again.
#
# Grants the Cloud Build service agent roles/secretmanager.admin on the project (it keeps the
# connection's GitHub token in Secret Manager); deploy/down.sh removes it again.
#
#   --env NAME   the environment (deploy/env/NAME.env, default prod)
#   --dry-run    print the gcloud calls (lines starting 'DRY-RUN: gcloud') without making them
#   --help       show this text
set -euo pipefail
# shellcheck source=lib/load.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/load.sh"
# shellcheck source=lib/iam.sh
source "$DEPLOY_DIR/lib/iam.sh"

parse_common_options "$0" "$@"
((${#REST_ARGS[@]} == 0)) || die "unexpected argument '${REST_ARGS[0]}' (see --help)"
load_env "$DEPLOY_DIR"
[[ -n $GITHUB_REPOSITORY ]] || die "set GITHUB_REPOSITORY=OWNER/NAME in $ENV_FILE first"
require_gcloud
connection=${GITHUB_CONNECTION:-$APP-github}

gc services enable cloudbuild.googleapis.com secretmanager.googleapis.com
# On every run: the connection reads its token with it, and down.sh of another environment of the
# project may have removed it.
resolve_project_number
while read -r member role condition; do
  grant_project_role "$member" "$role" "$condition"
done < <(pipeline_role_grants)
if ! exists builds connections describe "$connection" "--region=$REGION"; then
  gc builds connections create github "$connection" "--region=$REGION"
  log "open the link above, install the Cloud Build GitHub app for $GITHUB_REPOSITORY, then run $0 again"
  [[ $DRY_RUN == true ]] || exit 0
fi

if exists builds repositories describe "$GITHUB_REPO_LINK" "--connection=$connection" "--region=$REGION"; then
  log "repository link $GITHUB_REPO_LINK exists"
else
  gc builds repositories create "$GITHUB_REPO_LINK" "--connection=$connection" "--region=$REGION" \
    "--remote-uri=https://github.com/$GITHUB_REPOSITORY.git"
fi

# What cloudbuild.yaml needs from the trigger; an existing trigger gets them again (a trigger made by an
# earlier version of this script may lack one).
substitutions="_ENV=$ENVIRONMENT,_REGION=$REGION,_DEPLOYER_SA=$DEPLOYER_SA,_REPOSITORY=$REPOSITORY,_ROLLOUT=true"
if exists builds triggers describe "$TRIGGER" "--region=$REGION"; then
  log "trigger $TRIGGER exists; setting its substitutions"
  gc builds triggers update github "$TRIGGER" "--region=$REGION" "--update-substitutions=$substitutions"
else
  gc builds triggers create github "--name=$TRIGGER" "--region=$REGION" \
    "--repository=projects/$PROJECT_ID/locations/$REGION/connections/$connection/repositories/$GITHUB_REPO_LINK" \
    "--branch-pattern=^$GITHUB_BRANCH\$" --build-config=cloudbuild.yaml \
    "--service-account=projects/$PROJECT_ID/serviceAccounts/$DEPLOYER_SA" \
    "--substitutions=$substitutions" \
    "--description=Deploy $APP ($ENVIRONMENT) on push to $GITHUB_BRANCH"
fi
log "every push to $GITHUB_BRANCH of $GITHUB_REPOSITORY now deploys '$ENVIRONMENT'"
