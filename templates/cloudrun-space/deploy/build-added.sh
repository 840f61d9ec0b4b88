#!/usr/bin/env bash
# Usage: deploy/build-added.sh [--plan FILE] [--dry-run] [--help]
#
# The build-added step of cloudbuild.yaml, run by Cloud Build in the docker builder image (bash and docker,
# no gcloud): builds and pushes the image of every service and job added in space/ (space/NAME.conf), all
# at once (one background build per image), and fails when any of them fails. The images and Dockerfiles
# come from the plan the plan step wrote (deploy/cloudbuild-step.sh plan: its ADDED_IMAGE_NAME lines);
# a space with no added entry builds nothing. Builds with the space root as context, as the frontend's
# and the backend's steps do.
#
#   --plan FILE   the plan (default /workspace/release.env)
#   --dry-run     print the docker calls (lines starting 'DRY-RUN: docker') without making them
#   --help        show this text
set -euo pipefail

plan=/workspace/release.env
dry_run=false
while (($#)); do
  case $1 in
    -h | --help)
      sed -n '2,/^[^#]/{/^#/!q;s/^# \{0,1\}//;p}' "$0"
      exit 0
      ;;
    --dry-run) dry_run=true ;;
    --plan)
      (($# >= 2)) || {
        printf 'error: --plan needs a value\n' >&2
        exit 1
      }
      plan=$2
      shift
      ;;
    *)
      printf "error: unexpected argument '%s' (see --help)\n" "$1" >&2
      exit 1
      ;;
  esac
  shift
done

log() { printf '==> %s\n' "$*" >&2; }
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

# docker_run ARGS...: runs docker, or prints the call on --dry-run.
docker_run() {
  if [[ $dry_run == true ]]; then
    printf 'DRY-RUN: docker'
    printf ' %q' "$@"
    printf '\n'
    return 0
  fi
  docker "$@"
}

# build_and_push NAME DOCKERFILE IMAGE: one entry's image, its output prefixed with its name.
build_and_push() {
  local name=$1 dockerfile=$2 image=$3
  {
    docker_run build --file "$dockerfile" --tag "$image" . &&
      docker_run push "$image"
  } 2>&1 | sed "s/^/[$name] /"
  return "${PIPESTATUS[0]}"
}

[[ -f $plan ]] || die "no plan at $plan: the plan step writes it first"
names=() dockerfiles=() images=()
while IFS= read -r line || [[ -n $line ]]; do
  # ADDED_IMAGE_NAME='DOCKERFILE|IMAGE', written by the plan step; read here, never sourced.
  [[ $line =~ ^ADDED_IMAGE_([A-Z0-9_]+)=\'([^\'|]+)\|([^\']+)\'$ ]] || continue
  names+=("${BASH_REMATCH[1]}")
  dockerfiles+=("${BASH_REMATCH[2]}")
  images+=("${BASH_REMATCH[3]}")
done <"$plan"
if ((${#names[@]} == 0)); then
  log "no added service or job in space/: nothing to build"
  exit 0
fi

pids=()
for i in "${!names[@]}"; do
  log "building ${images[i]} from ${dockerfiles[i]}"
  build_and_push "${names[i]}" "${dockerfiles[i]}" "${images[i]}" &
  pids+=("$!")
done
failed=()
for i in "${!pids[@]}"; do
  wait "${pids[i]}" || failed+=("${names[i]}")
done
((${#failed[@]} == 0)) || die "the image of ${failed[*]} could not be built or pushed (see above)"
log "built and pushed: ${images[*]}"
