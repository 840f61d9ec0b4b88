#!/usr/bin/env bash
# Usage: deploy/deploy.sh [--env NAME] [--dry-run] [--help]
#
# Ships the current code: runs cloudbuild.yaml with Cloud Build, as the deployer account, exactly as
# the git-push trigger does (build both images, migrate, deploy backend then frontend). Nothing else
# is changed. Run deploy/up.sh once first.
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
build_images "$(source_tag)" true
