#!/usr/bin/env bash
# Usage: deploy/cloudbuild-step.sh STEP --env NAME --tag TAG [--region REGION] [--rollout true|false]
#                                  [--out FILE] [--dry-run] [--help]
#
# One step of cloudbuild.yaml, run by Cloud Build in the cloud-sdk image as the deployer account.
# The deploy settings come from deploy/env/NAME.env and deploy/lib/services.sh, the same ones up.sh uses.
#
#   plan       write the image names for the docker steps to FILE (--out, default /workspace/images.env)
#   migrate    deploy and run the migration job (waits; a failed migration fails the build)
#   backend    deploy the backend and send it all traffic
#   frontend   deploy the frontend and send it all traffic
#
#   --env NAME        the environment (deploy/env/NAME.env)
#   --tag TAG         the image tag ($SHORT_SHA)
#   --region REGION   must equal the environment's REGION (guards a trigger set up for another region)
#   --rollout false   do nothing in migrate/backend/frontend (up.sh builds images only, then rolls out itself)
#   --dry-run         print the gcloud calls (lines starting 'DRY-RUN: gcloud') without making them
#   --help            show this text
set -euo pipefail
# shellcheck source=lib/load.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/load.sh"

parse_common_options "$0" "$@"
set -- "${REST_ARGS[@]}"
step='' tag='' build_region='' rollout=true out=/workspace/images.env
while (($#)); do
  case $1 in
    --tag | --region | --rollout | --out)
      (($# >= 2)) || die "$1 needs a value"
      case $1 in
        --tag) tag=$2 ;;
        --region) build_region=$2 ;;
        --rollout) rollout=$2 ;;
        --out) out=$2 ;;
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
[[ -n $step ]] || die "which step? plan, migrate, backend or frontend (see --help)"
load_env "$DEPLOY_DIR"
[[ -z $build_region || $build_region == "${REGION:?}" ]] ||
  die "the build was started for region '$build_region' but $ENV_FILE says REGION=$REGION"
[[ $tag =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] ||
  die "--tag '$tag' is not a valid image tag (builds started by hand must pass SHORT_SHA: use deploy/deploy.sh)"
[[ $rollout == true || $rollout == false ]] || die "--rollout takes true or false"

case $step in
  plan)
    if [[ $DRY_RUN == true ]]; then
      log "dry run: would write the image names to $out"
    else
      printf 'BACKEND_IMAGE=%s\nFRONTEND_IMAGE=%s\n' "$BACKEND_IMAGE_NAME:$tag" "$FRONTEND_IMAGE_NAME:$tag" >"$out"
    fi
    ;;
  migrate | backend | frontend)
    if [[ $rollout == false ]]; then
      log "rollout disabled: skipping $step"
      exit 0
    fi
    require_gcloud
    case $step in
      migrate) release_migrate "$BACKEND_IMAGE_NAME:$tag" ;;
      backend) release_backend "$BACKEND_IMAGE_NAME:$tag" ;;
      frontend) release_frontend "$FRONTEND_IMAGE_NAME:$tag" ;;
    esac
    ;;
  *) die "unknown step '$step': expected plan, migrate, backend or frontend" ;;
esac
