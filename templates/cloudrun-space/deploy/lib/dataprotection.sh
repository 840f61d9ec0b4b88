# shellcheck shell=bash
# One ASP.NET Core Data Protection key ring for every frontend instance: the key files in a Cloud
# Storage bucket of their own, encrypted at rest with a certificate kept in Secret Manager. Only the
# frontend's account may use either. The deploy flags that mount both are in services.sh.

# The frontend's role on the bucket. Data Protection lists and reads the key files, and writes each new
# key to a temporary file, renames it (on Cloud Storage FUSE: a copy, then a delete) and deletes the
# temporary file: it needs storage.objects.list, get, create and delete. roles/storage.objectUser is
# the narrowest predefined role with all four: objectViewer cannot write, objectCreator can neither
# read nor delete, and objectAdmin adds control over the objects' access policies.
readonly DP_KEYS_ROLE=roles/storage.objectUser

# Creates the key bucket if it is missing (in the space's region, access by IAM only, never public)
# and lets the frontend's account read and write its objects. Bound on the bucket, not the project.
ensure_dp_keys_bucket() {
  if exists storage buckets describe "gs://$DP_KEYS_BUCKET"; then
    log "Data Protection key bucket $DP_KEYS_BUCKET exists"
  else
    gc storage buckets create "gs://$DP_KEYS_BUCKET" "--location=$REGION" \
      --uniform-bucket-level-access --public-access-prevention
  fi
  gc_retry storage buckets add-iam-policy-binding "gs://$DP_KEYS_BUCKET" \
    "--member=serviceAccount:$FRONTEND_SA" "--role=$DP_KEYS_ROLE" --format=none
}

# Makes the certificate secret once, and binds it on the secret itself: the frontend reads it, the
# deployer only sees its version numbers (Cloud Build pins the version at every deploy). A secret that
# has any version is left as it is: a new certificate could not decrypt the key ring the current one
# protects, so every key, antiforgery token and protected cookie would become unreadable.
ensure_dp_certificate() {
  local versions
  if ! exists secrets describe "$DP_CERT_SECRET"; then
    log "making the frontend's Data Protection certificate; it goes straight into secret $DP_CERT_SECRET"
    upload_dp_certificate secrets create "$DP_CERT_SECRET" --replication-policy=automatic
  else
    # A failed query stops here: taking it for "no version" would replace the certificate.
    versions=$(gc secrets versions list "$DP_CERT_SECRET" --format='value(name)' --limit=1) ||
      die "could not list the versions of secret $DP_CERT_SECRET"
    if [[ -n $versions ]]; then
      log "secret $DP_CERT_SECRET holds the Data Protection certificate; it is never replaced"
    else
      log "secret $DP_CERT_SECRET has no version: making the frontend's Data Protection certificate"
      upload_dp_certificate secrets versions add "$DP_CERT_SECRET"
    fi
  fi
  gc_retry secrets add-iam-policy-binding "$DP_CERT_SECRET" "--member=serviceAccount:$FRONTEND_SA" \
    --role=roles/secretmanager.secretAccessor --format=none
  gc_retry secrets add-iam-policy-binding "$DP_CERT_SECRET" "--member=serviceAccount:$DEPLOYER_SA" \
    --role=roles/secretmanager.viewer --format=none
}

# upload_dp_certificate GCLOUD_ARGS...: makes a self-signed RSA certificate and its unencrypted private
# key in one PEM file (as X509Certificate2.CreateFromPemFile reads it), then runs
# 'gcloud GCLOUD_ARGS --data-file=FILE'. The key exists only in a private temp folder (umask 077),
# removed when this step ends however it ends, and in Secret Manager: it is never printed and never on
# a command line. On --dry-run nothing is made and the call is printed.
upload_dp_certificate() {
  if [[ $DRY_RUN == true ]]; then
    gc "$@" --data-file=GENERATED_CERTIFICATE_PEM --format=none
    return 0
  fi
  command -v openssl >/dev/null 2>&1 ||
    die "openssl is not on PATH; deploy/up.sh needs it once, to make the frontend's Data Protection certificate (apt-get install openssl, brew install openssl)"
  (
    umask 077
    folder=$(mktemp -d)
    trap 'rm -rf "$folder"' EXIT
    trap 'exit 1' HUP INT TERM
    # RSA: Data Protection decrypts its keys with the certificate's RSA private key only. It does not
    # check the validity period; that is long because a new certificate would mean a new key ring.
    if ! openssl req -x509 -newkey rsa:3072 -sha256 -days 36500 -nodes \
      -subj "/CN=$APP $ENVIRONMENT frontend Data Protection" \
      -keyout "$folder/key.pem" -out "$folder/certificate.pem" >"$folder/openssl.log" 2>&1; then
      # openssl's messages hold no key material.
      cat "$folder/openssl.log" >&2
      die "openssl could not make the Data Protection certificate"
    fi
    cat "$folder/key.pem" >>"$folder/certificate.pem"
    gc "$@" "--data-file=$folder/certificate.pem" --format=none
  )
}

# The bucket and the certificate, both before the frontend's first deploy: Cloud Run checks at deploy
# time that the service account may read the secrets it mounts.
ensure_data_protection() {
  ensure_dp_keys_bucket
  ensure_dp_certificate
}
