#!/usr/bin/env bash
# Usage: deploy/traffic.sh canary SERVICE --image-tag TAG [--percent N] [--env NAME] [--dry-run]
#        deploy/traffic.sh promote SERVICE [--env NAME] [--dry-run]
#        deploy/traffic.sh rollback SERVICE [--env NAME] [--dry-run]
#        deploy/traffic.sh --help
#
# Blue-green and canary releases of one service (SERVICE: frontend or backend):
#   canary     deploy image TAG as a new revision tagged 'canary' with no traffic (it gets its own
#              URL), then send it N percent (default 10) of the requests
#   promote    send all traffic to the latest revision (the canary) and drop the tag
#   rollback   send all traffic to the revision before the latest ready one and drop the tag
# The image must exist in the space's repository (deploy/deploy.sh pushes one per commit). The
# settings of the new revision are the ones every release uses (deploy/lib/services.sh).
#
#   --env NAME   the environment (deploy/env/NAME.env, default prod)
#   --dry-run    print the gcloud calls (lines starting 'DRY-RUN: gcloud') without making them
#   --help       show this text
set -euo pipefail
# shellcheck source=lib/load.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/load.sh"

readonly CANARY_TAG=canary

parse_common_options "$0" "$@"
set -- "${REST_ARGS[@]}"
action='' service='' image_tag='' percent=10
while (($#)); do
  case $1 in
    --image-tag | --percent)
      (($# >= 2)) || die "$1 needs a value"
      if [[ $1 == --image-tag ]]; then image_tag=$2; else percent=$2; fi
      shift
      ;;
    -*) die "unknown option '$1' (see --help)" ;;
    *)
      if [[ -z $action ]]; then
        action=$1
      elif [[ -z $service ]]; then
        service=$1
      else
        die "unexpected argument '$1' (see --help)"
      fi
      ;;
  esac
  shift
done
[[ $action =~ ^(canary|promote|rollback)$ ]] || die "expected canary, promote or rollback (see --help)"
[[ $service =~ ^(frontend|backend)$ ]] || die "expected the service: frontend or backend (see --help)"
load_env "$DEPLOY_DIR"
require_gcloud
resolve_project_number

if [[ $service == backend ]]; then
  name=$BACKEND_SERVICE image=$BACKEND_IMAGE_NAME
else
  name=$FRONTEND_SERVICE image=$FRONTEND_IMAGE_NAME
fi

case $action in
  canary)
    [[ $image_tag =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] || die "canary needs --image-tag TAG (an image tag in the repository)"
    if ! [[ $percent =~ ^[0-9]+$ ]] || ((10#$percent < 1 || 10#$percent > 99)); then
      die "--percent takes 1 to 99"
    fi
    if [[ $service == backend ]]; then
      resolve_db_ca_version
      resolve_db_secret_versions
    else
      resolve_dp_certificate_version
    fi
    flags=$("${service}_deploy_flags" "$image:$image_tag")
    mapfile -t args <<<"$flags"
    # --no-traffic needs an existing service: the canary is for releases after the first.
    gc run deploy "$name" "${args[@]}" --no-traffic "--tag=$CANARY_TAG"
    gc run services update-traffic "$name" "--region=$REGION" "--to-tags=$CANARY_TAG=$percent"
    log "$percent % of $name's requests go to the canary; then: $0 promote $service (or rollback)"
    ;;
  promote)
    gc run services update-traffic "$name" "--region=$REGION" --to-latest
    gc run services update-traffic "$name" "--region=$REGION" "--remove-tags=$CANARY_TAG"
    ;;
  rollback)
    revisions=$(gc_query run revisions list "--service=$name" "--region=$REGION" \
      --filter='status.conditions.type=Ready AND status.conditions.status=True' \
      --sort-by=~metadata.creationTimestamp --format='value(metadata.name)' --limit=2) || true
    previous=$(sed -n 2p <<<"$revisions")
    if [[ -z $previous ]]; then
      [[ $DRY_RUN == true ]] || die "$name has no earlier ready revision to roll back to"
      previous=PREVIOUS_REVISION
    fi
    gc run services update-traffic "$name" "--region=$REGION" "--to-revisions=$previous=100"
    gc run services update-traffic "$name" "--region=$REGION" "--remove-tags=$CANARY_TAG"
    log "all of $name's traffic goes to $previous; the next release (deploy.sh) sends it to the new revision"
    ;;
esac
