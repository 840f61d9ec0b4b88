#!/usr/bin/env bash
# Usage: deploy/cloudbuild-step.sh STEP --env NAME --tag TAG [--region REGION] [--rollout true|false]
#                                  [--plan FILE] [--repository NAME] [--deployer EMAIL]
#                                  [--project-id ID] [--dry-run] [--help]
#
# One step of cloudbuild.yaml, run by Cloud Build in the Google Cloud CLI image as the deployer account.
# The deploy settings come from deploy/env/NAME.env and deploy/lib/services.sh, the same ones up.sh uses.
#
#   plan          write the image names (the added entries' too: their Dockerfiles and images, which the
#                 build-added step builds with deploy/build-added.sh) and the release's order key to FILE
#                 (--plan) for the next steps
#   migrate       deploy and run the migration job (waits; a failed migration fails the build)
#   backend       deploy the backend and send it all traffic
#   deploy-added  deploy every service and job added in space/ (a service gets all traffic; a job is not run)
#   frontend      deploy the frontend and send it all traffic
#
# Before migrate, backend, deploy-added and frontend the step reads the release labels of the job and the
# services (the added ones too): when a newer release (planned later) has already reached one of them,
# it deploys nothing, says so and succeeds, so an older build never replaces what a newer one deployed
# (deploy/lib/release.sh).
#
#   --env NAME          the environment (deploy/env/NAME.env)
#   --tag TAG           the image tag ($SHORT_SHA)
#   --plan FILE         the plan the first step writes and the others read (default /workspace/release.env)
#   --region REGION     must equal the environment's REGION (guards a trigger set up for another region)
#   --repository NAME   plan: must equal the Artifact Registry repository the environment's names derive
#   --deployer EMAIL    plan: must equal the environment's deployer account
#   --project-id ID     plan: must equal the environment's PROJECT_ID
#   --rollout false     do nothing in migrate/backend/frontend (up.sh builds images only, then rolls out itself)
#   --dry-run           print the gcloud calls (lines starting 'DRY-RUN: gcloud') without making them
#   --help              show this text
set -euo pipefail
# shellcheck source=lib/load.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/load.sh"

parse_common_options "$0" "$@"
set -- "${REST_ARGS[@]}"
step='' tag='' build_region='' rollout=true plan=/workspace/release.env
build_repository='' build_deployer='' build_project=''
while (($#)); do
  case $1 in
    --tag | --region | --rollout | --plan | --repository | --deployer | --project-id)
      (($# >= 2)) || die "$1 needs a value"
      case $1 in
        --tag) tag=$2 ;;
        --region) build_region=$2 ;;
        --rollout) rollout=$2 ;;
        --plan) plan=$2 ;;
        --repository) build_repository=$2 ;;
        --deployer) build_deployer=$2 ;;
        --project-id) build_project=$2 ;;
      esac
      shift
      ;;
    -*) die "unknown option '$1' (see --help)" ;;
    *)
      [[ -z $step ]] || die "unexpected argument '$1' (see --help)"
      step=$1
      ;;
  esac
  shift
done
[[ -n $step ]] || die "which step? plan, migrate, backend, deploy-added or frontend (see --help)"
load_env "$DEPLOY_DIR"
[[ -z $build_region || $build_region == "${REGION:?}" ]] ||
  die "the build was started for region '$build_region' but $ENV_FILE says REGION=$REGION"
[[ $tag =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] ||
  die "--tag '$tag' is not a valid image tag (builds started by hand must pass SHORT_SHA: use deploy/deploy.sh)"
[[ $rollout == true || $rollout == false ]] || die "--rollout takes true or false"

# check_substitution NAME GIVEN DERIVED WHAT: stops the build when a substitution disagrees with the
# environment. cloudbuild.yaml's `images:` list is written with the substitutions, the pushes with the
# names derived here: they must be the same images.
check_substitution() {
  [[ -z $2 || $2 == "$3" ]] ||
    die "the build's $1 is '$2' but $ENV_FILE gives $4 '$3' (deploy/lib/names.sh): start builds with deploy/deploy.sh or the trigger deploy/pipeline.sh makes, which pass $1=$3"
}

# read_plan: sets RELEASE_ORDER from the plan the plan step wrote. On --dry-run without a plan, a
# placeholder.
read_plan() {
  if [[ ! -f $plan && $DRY_RUN == true ]]; then
    RELEASE_ORDER=RELEASE_ORDER
    return 0
  fi
  [[ -f $plan ]] || die "no plan at $plan: the plan step writes it first"
  RELEASE_ORDER=$(sed -n 's/^RELEASE_ORDER=//p' "$plan")
  valid_release_order "$RELEASE_ORDER" || die "$plan holds no valid RELEASE_ORDER"
}

case $step in
  plan)
    check_substitution _REPOSITORY "$build_repository" "$REPOSITORY" "the repository"
    check_substitution _DEPLOYER_SA "$build_deployer" "$DEPLOYER_SA" "the deployer"
    check_substitution PROJECT_ID "$build_project" "$PROJECT_ID" PROJECT_ID
    release=$(new_release_order "$tag")
    if [[ $DRY_RUN == true ]]; then
      log "dry run: would write the image names and release $release to $plan"
    else
      {
        printf 'BACKEND_IMAGE=%s\nFRONTEND_IMAGE=%s\nRELEASE_ORDER=%s\n' \
          "$BACKEND_IMAGE_NAME:$tag" "$FRONTEND_IMAGE_NAME:$tag" "$release"
        # One line per added entry: ADDED_IMAGE_NAME='DOCKERFILE|IMAGE' (NAME as entry_prefix writes it; quoted:
        # the docker steps source the plan).
        for name in "${ADDED_ENTRIES[@]}"; do
          entry_names "$name"
          printf "ADDED_IMAGE_%s='%s|%s'\n" "$(entry_prefix "$name")" "${ENTRY[$name:DOCKERFILE]}" "$E_IMAGE:$tag"
        done
      } >"$plan"
      log "release $release: $BACKEND_IMAGE_NAME:$tag and $FRONTEND_IMAGE_NAME:$tag${ADDED_ENTRIES[*]:+, and the images of ${ADDED_ENTRIES[*]}}"
    fi
    ;;
  migrate | backend | deploy-added | frontend)
    if [[ $rollout == false ]]; then
      log "rollout disabled: skipping $step"
      exit 0
    fi
    require_gcloud
    read_plan
    if release_superseded; then
      log "release $RELEASE_ORDER is older than release $SUPERSEDED_BY, which has already reached $APP ($ENVIRONMENT): skipping $step and the rest of this rollout"
      exit 0
    fi
    case $step in
      migrate) release_migrate "$BACKEND_IMAGE_NAME:$tag" ;;
      backend) release_backend "$BACKEND_IMAGE_NAME:$tag" ;;
      deploy-added) release_added "$tag" ;;
      frontend) release_frontend "$FRONTEND_IMAGE_NAME:$tag" ;;
    esac
    ;;
  *) die "unknown step '$step': expected plan, migrate, backend, deploy-added or frontend" ;;
esac
