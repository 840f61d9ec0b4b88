# shellcheck shell=bash
# The order of releases. Every release carries a key, written as a label on the migration job, on both
# services and on the added services and jobs (space/NAME.conf) when it deploys them. A release never deploys over a newer one: before each of its steps it
# reads the labels, and when a newer release has already reached the job or a service it stops there.
# So two pushes in quick succession end with the newer commit serving, whichever build finishes last,
# and the job (with its migration scripts) is never replaced by an older one. Reading the labels and
# deploying are two calls: two releases that reach the same step within a few seconds of each other are
# not ordered there; deploy again (deploy/deploy.sh) if the older one won.
#
# The key is the UTC time the release was planned (the plan step of cloudbuild.yaml; up.sh's first
# release), to the nanosecond where `date` has them, then the image tag:
# 20261201t214654123456789z-abc1234. Fixed-width digits first, so comparing keys as strings compares times.

readonly RELEASE_LABEL=release-order
# Set by the caller (cloudbuild-step.sh reads it from the plan; up.sh makes one) before release_migrate,
# release_backend and release_frontend.
RELEASE_ORDER=

# new_release_order TAG: prints the key of a release planned now, for image tag TAG.
new_release_order() {
  local stamp nanoseconds suffix
  stamp=$(date -u +%Y%m%dt%H%M%S)
  nanoseconds=$(date -u +%N)
  # BSD date (macOS) has no %N.
  [[ $nanoseconds =~ ^[0-9]{9}$ ]] || nanoseconds=000000000
  # Label values: at most 63 lowercase letters, digits, '-' and '_'.
  suffix=$(printf '%s' "$1" | LC_ALL=C tr 'A-Z.' 'a-z_' | LC_ALL=C tr -cd 'a-z0-9_-')
  printf '%s' "${stamp}${nanoseconds}z-${suffix}" | cut -c1-63
}

# valid_release_order KEY: true when KEY is a key new_release_order makes.
valid_release_order() {
  [[ ${#1} -le 63 && $1 =~ ^[0-9]{8}t[0-9]{15}z-[a-z0-9_-]*$ ]]
}

# release_is_newer A B: true when release A is newer than release B.
release_is_newer() {
  local LC_ALL=C
  [[ $1 > "$2" ]]
}

# release_label_flag: the label flag of this release's deploys ('run jobs deploy' has --labels only,
# which adds to the labels there; 'run deploy' --update-labels, which keeps the other labels too).
release_label_flag() {
  : "${RELEASE_ORDER:?the release order must be set before a release deploys}"
  printf '%s' "--$1=$RELEASE_LABEL=$RELEASE_ORDER"
}

# release_label_of KIND NAME: prints the release key on the Cloud Run job or service (KIND jobs or
# services) NAME; nothing when it has none or does not exist.
release_label_of() {
  local key
  key=$(gc_query run "$1" describe "$2" "--region=$REGION" "--format=value(metadata.labels.$RELEASE_LABEL)") || return 0
  if valid_release_order "$key"; then printf '%s' "$key"; fi
}

# newest_release: prints the newest release key on the migration job, the two services and the added
# services and jobs (empty when
# none carries one, or none exists yet).
newest_release() {
  local newest='' key name
  local -a keys=("$(release_label_of jobs "$MIGRATE_JOB")" "$(release_label_of services "$BACKEND_SERVICE")"
    "$(release_label_of services "$FRONTEND_SERVICE")")
  # And the added services and jobs (space/NAME.conf).
  for name in "${ADDED_ENTRIES[@]}"; do
    keys+=("$(release_label_of "$(entry_kind "$name")s" "$(entry_service_name "$name")")")
  done
  for key in "${keys[@]}"; do
    if [[ -n $key ]] && { [[ -z $newest ]] || release_is_newer "$key" "$newest"; }; then
      newest=$key
    fi
  done
  printf '%s' "$newest"
}

# release_superseded: true when a newer release than RELEASE_ORDER has reached the job or a service;
# sets SUPERSEDED_BY to its key.
release_superseded() {
  SUPERSEDED_BY=$(newest_release)
  [[ -n $SUPERSEDED_BY ]] && release_is_newer "$SUPERSEDED_BY" "${RELEASE_ORDER:?}"
}
