# shellcheck shell=bash
# BINARY_AUTHORIZATION=true: the services and the migration job deploy with --binary-authorization=default,
# and the project's Binary Authorization policy admits only images with an attestation of the
# built-by-cloud-build attestor: images this project's Cloud Build built and listed under cloudbuild.yaml's
# `images:` (their provenance). Turned off, the policy admits every image again (ALWAYS_ALLOW, the
# project's default). The policy is the project's: every environment of the project shares it.
# https://cloud.google.com/binary-authorization/docs/run/enabling-binauthz-cloud-run
# https://cloud.google.com/binary-authorization/docs/deploy-cloud-build
# Break-glass (README, Operations): gcloud run services update SERVICE --breakglass=JUSTIFICATION
# https://cloud.google.com/binary-authorization/docs/run/using-breakglass-cloud-run

# The flag of every deploy of a service or job (nothing when off; a deploy without it keeps what the
# service has).
binauthz_flags() {
  if [[ $BINARY_AUTHORIZATION == true ]]; then
    printf '%s\n' --binary-authorization=default
  fi
}

# The attestor Cloud Build makes in the project with its first build that pushes images.
binauthz_attestor() {
  printf 'projects/%s/attestors/built-by-cloud-build' "$PROJECT_ID"
}

# The policy document for BINARY_AUTHORIZATION (YAML, as `gcloud container binauthz policy import` takes it).
binauthz_policy() {
  printf 'name: projects/%s/policy\n' "$PROJECT_ID"
  # Google-maintained system images (e.g. Cloud Run's own sidecars) stay admitted.
  printf 'globalPolicyEvaluationMode: ENABLE\n'
  printf 'defaultAdmissionRule:\n'
  printf '  enforcementMode: ENFORCED_BLOCK_AND_AUDIT_LOG\n'
  if [[ $BINARY_AUTHORIZATION == true ]]; then
    printf '  evaluationMode: REQUIRE_ATTESTATION\n'
    printf '  requireAttestationsBy:\n  - %s\n' "$(binauthz_attestor)"
  else
    printf '  evaluationMode: ALWAYS_ALLOW\n'
  fi
}

# The project's policy follows BINARY_AUTHORIZATION: imported when it differs. Off, a policy that does not
# require this space's attestor (someone else's, or the default) is left alone.
ensure_binauthz_policy() {
  local current="" wanted
  current=$(gc_query container binauthz policy export \
    '--format=value[separator="|"](defaultAdmissionRule.evaluationMode,defaultAdmissionRule.requireAttestationsBy)') || current=
  if [[ $BINARY_AUTHORIZATION == true ]]; then
    wanted="REQUIRE_ATTESTATION|$(binauthz_attestor)"
  else
    [[ $current == "REQUIRE_ATTESTATION|$(binauthz_attestor)" ]] || return 0
    wanted="ALWAYS_ALLOW|"
  fi
  if [[ $current == "$wanted" ]]; then
    log "the Binary Authorization policy admits only images Cloud Build built"
    return 0
  fi
  log "the Binary Authorization policy: ${current:-(none)} -> $wanted"
  local file
  file=$(mktemp)
  binauthz_policy >"$file"
  gc container binauthz policy import "$file" || {
    rm -f "$file"
    die "could not import the Binary Authorization policy"
  }
  rm -f "$file"
}

# Services that exist get the check (the migration job with its next deploy, every release makes one).
reconcile_binauthz_services() {
  [[ $BINARY_AUTHORIZATION == true ]] || return 0
  local service current
  for service in "$BACKEND_SERVICE" "$FRONTEND_SERVICE"; do
    current=$(gc_read run services describe "$service" "--region=$REGION" \
      '--format=value(metadata.annotations."run.googleapis.com/binary-authorization")') || continue
    [[ $current != default ]] || continue
    log "$service: Binary Authorization ${current:-(off)} -> default"
    gc run services update "$service" "--region=$REGION" --binary-authorization=default
  done
}
