# shellcheck shell=bash
# EDGE=load-balancer: a global external Application Load Balancer in front of the frontend, with a
# serverless NEG for it, a Google-managed certificate for DOMAIN, port 80 redirected to HTTPS, and a
# Cloud Armor policy on its backend service: Google's preconfigured WAF rules (SQL injection, XSS, LFI,
# RFI at WAF_SENSITIVITY), a rate limit per client IP (RATE_LIMIT_PER_MINUTE) and, when
# TRUSTED_IP_RANGES is set, nothing else admitted. The frontend's ingress is then
# internal-and-cloud-load-balancing, so its run.app URL no longer answers the internet.
# EDGE=direct (the default): none of it; up.sh deletes what an earlier EDGE=load-balancer made.
# https://cloud.google.com/load-balancing/docs/https/setting-up-https-serverless
# https://cloud.google.com/armor/docs/configure-waf
# https://cloud.google.com/armor/docs/rate-limiting-overview

# The redirect URL map's configuration (gcloud compute url-maps import).
readonly EDGE_REDIRECT_CONFIG=lib/edge-redirect.yaml
# Cloud Armor rule priorities: the WAF rules first, then the rate limit, then the policy's default rule.
readonly EDGE_WAF_RULES=(sqli-v33-stable xss-v33-stable lfi-v33-stable rfi-v33-stable)
readonly EDGE_WAF_FIRST_PRIORITY=1000
readonly EDGE_RATE_PRIORITY=2000
readonly EDGE_DEFAULT_PRIORITY=2147483647

# The frontend's ingress for the edge in use.
frontend_ingress() {
  if [[ $EDGE == load-balancer ]]; then
    printf 'internal-and-cloud-load-balancing'
  else
    printf 'all'
  fi
}

# The proxies that add to X-Forwarded-For in front of the frontend: Cloud Run's front end appends the
# client's address; behind the load balancer the client's address and the load balancer's own are
# appended (X-Forwarded-For: <supplied>,<client>,<load balancer>), so the client is one entry further
# left. Read by the frontend as FrontEnd__ProxyHops (ServiceDefaults' CloudRunFrontEnd).
# https://cloud.google.com/load-balancing/docs/https#x-forwarded-for_header
edge_proxy_hops() {
  if [[ $EDGE == load-balancer ]]; then
    printf '2'
  else
    printf '1'
  fi
}

# The Armor policy's description records the settings it was made with, so that a run finds what changed.
edge_policy_description() {
  printf 'waf=%s rate=%s/min trusted=%s' "$WAF_SENSITIVITY" "$RATE_LIMIT_PER_MINUTE" "${TRUSTED_IP_RANGES:-any}"
}

# The certificate's name carries a hash of DOMAIN: a Google-managed certificate cannot change its
# domains, so a new DOMAIN is a new certificate.
edge_cert_name() {
  local hash
  hash=$(printf '%s' "$DOMAIN" | sha256sum)
  printf '%s-%s' "$EDGE_CERT" "${hash:0:8}"
}

# _edge_waf_expression RULE: the match expression of one preconfigured WAF rule at WAF_SENSITIVITY.
_edge_waf_expression() {
  printf "evaluatePreconfiguredWaf('%s', {'sensitivity': %s})" "$1" "$WAF_SENSITIVITY"
}

# _edge_rules VERB: creates (VERB create) or updates (VERB update) the policy's rules to the settings.
_edge_rules() {
  local verb=$1 i priority
  for i in "${!EDGE_WAF_RULES[@]}"; do
    priority=$((EDGE_WAF_FIRST_PRIORITY + i))
    gc compute security-policies rules "$verb" "$priority" "--security-policy=$EDGE_POLICY" \
      "--expression=$(_edge_waf_expression "${EDGE_WAF_RULES[i]}")" --action=deny-403
  done
  # Throttled per client IP; with trusted ranges only they are admitted at all (the default rule denies).
  gc compute security-policies rules "$verb" "$EDGE_RATE_PRIORITY" "--security-policy=$EDGE_POLICY" \
    "--src-ip-ranges=${TRUSTED_IP_RANGES:-*}" --action=throttle --conform-action=allow --exceed-action=deny-429 \
    --enforce-on-key=IP "--rate-limit-threshold-count=$RATE_LIMIT_PER_MINUTE" --rate-limit-threshold-interval-sec=60
  local default_action=allow
  [[ -z $TRUSTED_IP_RANGES ]] || default_action=deny-403
  gc compute security-policies rules update "$EDGE_DEFAULT_PRIORITY" "--security-policy=$EDGE_POLICY" \
    "--action=$default_action"
}

# The Cloud Armor policy and its rules; rules whose settings changed since are updated in place.
ensure_edge_policy() {
  local description
  description=$(edge_policy_description)
  local current=
  if current=$(gc_query compute security-policies describe "$EDGE_POLICY" --format='value(description)'); then
    if [[ $current == "$description" ]]; then
      log "Cloud Armor policy $EDGE_POLICY exists ($description)"
      return 0
    fi
    log "Cloud Armor policy $EDGE_POLICY: $current -> $description"
    _edge_rules update
    gc compute security-policies update "$EDGE_POLICY" "--description=$description"
    return 0
  fi
  gc compute security-policies create "$EDGE_POLICY" "--description=$description"
  _edge_rules create
}

# The certificate for DOMAIN, attached to the HTTPS proxy; one for another domain is replaced and deleted.
ensure_edge_certificate() {
  local cert current=
  cert=$(edge_cert_name)
  if exists compute ssl-certificates describe "$cert" --global; then
    log "certificate $cert ($DOMAIN) exists"
  else
    gc compute ssl-certificates create "$cert" "--domains=$DOMAIN" --global
  fi
  if current=$(gc_query compute target-https-proxies describe "$EDGE_HTTPS_PROXY" --global --format='value(sslCertificates)'); then
    current=${current##*/}
    if [[ $current != "$cert" ]]; then
      log "the HTTPS proxy's certificate: $current -> $cert ($DOMAIN)"
      gc compute target-https-proxies update "$EDGE_HTTPS_PROXY" --global "--ssl-certificates=$cert"
      gc compute ssl-certificates delete "$current" --global --quiet
    fi
  else
    gc compute target-https-proxies create "$EDGE_HTTPS_PROXY" --global "--url-map=$EDGE_URL_MAP" "--ssl-certificates=$cert"
  fi
}

# _ensure_global WHAT DESCRIBE_ARGS -- CREATE_ARGS: creates a resource unless it exists (WHAT names it in the log).
_ensure_global() {
  local what=$1
  shift
  split_args "$@"
  local describe=("${ARGS_BEFORE[@]}") create=("${ARGS_AFTER[@]}")
  if exists "${describe[@]}"; then
    log "$what exists"
  else
    gc "${create[@]}"
  fi
}

# The load balancer, in the order its pieces refer to each other.
ensure_edge() {
  [[ $EDGE == load-balancer ]] || return 0
  _ensure_global "address $EDGE_ADDRESS" compute addresses describe "$EDGE_ADDRESS" --global -- \
    compute addresses create "$EDGE_ADDRESS" --global --ip-version=IPV4
  _ensure_global "serverless NEG $EDGE_NEG" compute network-endpoint-groups describe "$EDGE_NEG" "--region=$REGION" -- \
    compute network-endpoint-groups create "$EDGE_NEG" "--region=$REGION" --network-endpoint-type=serverless \
    "--cloud-run-service=$FRONTEND_SERVICE"
  ensure_edge_policy
  if exists compute backend-services describe "$EDGE_BACKEND" --global; then
    log "backend service $EDGE_BACKEND exists"
  else
    gc compute backend-services create "$EDGE_BACKEND" --global --load-balancing-scheme=EXTERNAL_MANAGED
    gc compute backend-services add-backend "$EDGE_BACKEND" --global "--network-endpoint-group=$EDGE_NEG" \
      "--network-endpoint-group-region=$REGION"
    gc compute backend-services update "$EDGE_BACKEND" --global "--security-policy=$EDGE_POLICY"
  fi
  _ensure_global "URL map $EDGE_URL_MAP" compute url-maps describe "$EDGE_URL_MAP" --global -- \
    compute url-maps create "$EDGE_URL_MAP" "--default-service=$EDGE_BACKEND" --global
  ensure_edge_certificate
  _ensure_global "forwarding rule $EDGE_HTTPS_RULE" compute forwarding-rules describe "$EDGE_HTTPS_RULE" --global -- \
    compute forwarding-rules create "$EDGE_HTTPS_RULE" --global --load-balancing-scheme=EXTERNAL_MANAGED \
    "--address=$EDGE_ADDRESS" "--target-https-proxy=$EDGE_HTTPS_PROXY" --ports=443
  _ensure_global "URL map $EDGE_REDIRECT_MAP" compute url-maps describe "$EDGE_REDIRECT_MAP" --global -- \
    compute url-maps import "$EDGE_REDIRECT_MAP" "--source=$DEPLOY_DIR/$EDGE_REDIRECT_CONFIG" --global
  _ensure_global "HTTP proxy $EDGE_HTTP_PROXY" compute target-http-proxies describe "$EDGE_HTTP_PROXY" --global -- \
    compute target-http-proxies create "$EDGE_HTTP_PROXY" "--url-map=$EDGE_REDIRECT_MAP" --global
  _ensure_global "forwarding rule $EDGE_HTTP_RULE" compute forwarding-rules describe "$EDGE_HTTP_RULE" --global -- \
    compute forwarding-rules create "$EDGE_HTTP_RULE" --global --load-balancing-scheme=EXTERNAL_MANAGED \
    "--address=$EDGE_ADDRESS" "--target-http-proxy=$EDGE_HTTP_PROXY" --ports=80
}

# The frontend's ingress and proxy hops follow EDGE on a frontend that exists (a deploy sets both).
reconcile_frontend_edge() {
  local ingress wanted
  wanted=$(frontend_ingress)
  ingress=$(gc_read run services describe "$FRONTEND_SERVICE" "--region=$REGION" \
    '--format=value(metadata.annotations."run.googleapis.com/ingress")') || return 0
  [[ $ingress != "$wanted" ]] || return 0
  log "the frontend's ingress: $ingress -> $wanted (EDGE=$EDGE)"
  gc run services update "$FRONTEND_SERVICE" "--region=$REGION" "--ingress=$wanted" \
    "--update-env-vars=FrontEnd__ProxyHops=$(edge_proxy_hops)"
}

# remove_edge REMOVER: deletes the load balancer and its policy, each piece before what it uses, with
# REMOVER (DESCRIBE_ARGS -- DELETE_ARGS): delete_if_exists (lib/entries.sh) from up.sh, down.sh's remove.
remove_edge() {
  local remover=$1 kind name scope cert
  # The certificate in use, whatever DOMAIN says now (it may have been cleared with EDGE=direct).
  cert=$(gc_query compute target-https-proxies describe "$EDGE_HTTPS_PROXY" --global --format='value(sslCertificates)') ||
    cert=$(edge_cert_name)
  cert=${cert##*/}
  local -a pieces=(
    "forwarding-rules $EDGE_HTTP_RULE --global" "forwarding-rules $EDGE_HTTPS_RULE --global"
    "target-http-proxies $EDGE_HTTP_PROXY --global" "target-https-proxies $EDGE_HTTPS_PROXY --global"
    "url-maps $EDGE_REDIRECT_MAP --global" "url-maps $EDGE_URL_MAP --global"
    "ssl-certificates $cert --global" "backend-services $EDGE_BACKEND --global"
    "network-endpoint-groups $EDGE_NEG --region=$REGION" "security-policies $EDGE_POLICY"
    "addresses $EDGE_ADDRESS --global")
  local piece
  for piece in "${pieces[@]}"; do
    read -r kind name scope <<<"$piece"
    if [[ -n $scope ]]; then
      "$remover" compute "$kind" describe "$name" "$scope" -- compute "$kind" delete "$name" "$scope"
    else
      "$remover" compute "$kind" describe "$name" -- compute "$kind" delete "$name"
    fi
  done
}
