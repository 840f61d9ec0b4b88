#!/usr/bin/env bash
# Usage: deploy/deploy.sh [--env NAME] [--dry-run] [--help]
#
# Ships the current code: runs cloudbuild.yaml with Cloud Build, as the deployer account, exactly as
# the git-push trigger does (build the images, migrate, deploy the backend, the services and jobs added
# in space/, then the frontend). Nothing else is changed. Run deploy/up.sh once first, and again after
# adding or removing an entry of space/ (it makes or removes the entry's service or job, account and
# roles, which the deployer may not).
#
#   --env NAME   the environment (deploy/env/NAME.env, default prod)
#   --dry-run    print the gcloud calls (lines starting 'DRY-RUN: gcloud') without making them
#   --help       show this text
set -euo pipefail
# shellcheck source=lib/load.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/load.sh"
# shellcheck source=lib/build.sh
source "$DEPLOY_DIR/lib/build.sh"

parse_common_options "$0" "$@"
((${#REST_ARGS[@]} == 0)) || die "unexpected argument '${REST_ARGS[0]}' (see --help)"
load_env "$DEPLOY_DIR"
require_gcloud
# Without it gcloud would make a bucket of that name with default settings, which the deployer cannot read.
if [[ $DRY_RUN == false ]] && ! exists storage buckets describe "gs://$BUILD_SOURCE_BUCKET"; then
  die "the build source bucket $BUILD_SOURCE_BUCKET does not exist (or you may not see it): run deploy/up.sh first"
fi
build_images "$(source_tag)" true
