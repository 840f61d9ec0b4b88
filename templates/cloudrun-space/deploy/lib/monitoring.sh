# shellcheck shell=bash
# Cloud Monitoring for the space (deploy/env/ENV.env): for each service of the manifest an availability SLO
# and a latency SLO (NAME_SLO_AVAILABILITY, NAME_SLO_LATENCY; 'off' turns one off), a burn-rate alert
# policy for each SLO, an e-mail notification channel for the alerts (MONITORING_EMAIL), an uptime check of
# the frontend (UPTIME_CHECK_PERIOD) and the space's dashboard (DASHBOARD). The documents are the JSON files
# of deploy/monitoring, their ${PLACEHOLDERS} filled here.
#
# gcloud has no SLO command: SLOs and the Monitoring services they belong to (one per Cloud Run service,
# of type cloudRun, whose basic SLIs measure the service's requests) are made through the Cloud Monitoring
# REST API, always by monitoring_api. Everything made carries the label space=SPACE_LABEL and, where it can
# change, config=CHECKSUM of its document: a run creates what is missing, updates what the settings changed
# (and only that), and deletes what a setting turned off or an entry no longer in space/ left behind.

readonly MONITORING_API=https://monitoring.googleapis.com/v3
readonly SLO_KINDS=(availability latency)
readonly MONITORING_DOCUMENTS_DIR="$DEPLOY_DIR/monitoring"
MONITORING_TOKEN=

# monitoring_service_id NAME: the Monitoring service id of entry NAME ('SPACE_LABEL--NAME').
monitoring_service_id() { printf '%s--%s' "$SPACE_LABEL" "$1"; }

# monitoring_api METHOD PATH [BODY]: the one call of the Cloud Monitoring REST API (curl), PATH relative
# to v3/, e.g. projects/P/services. Prints the response. A GET's errors are hidden (a failure means "not
# there"); other methods show theirs. The access token (gcloud auth print-access-token, fetched once by
# monitoring_sign_in) goes to curl on stdin, never on its command line. On --dry-run the call is printed
# ('DRY-RUN: curl ...'): a GET then finds nothing, anything else succeeds.
monitoring_api() {
  local method=$1 path=$2 body=${3:-}
  local url="$MONITORING_API/$path"
  local -a args=(--silent --show-error --fail -X "$method" -H 'Content-Type: application/json'
    -H "x-goog-user-project: $PROJECT_ID")
  [[ -z $body ]] || args+=(--data-binary "$body")
  if [[ $DRY_RUN == true ]]; then
    {
      printf 'DRY-RUN: curl'
      printf ' %q' -X "$method" "$url"
      [[ -z $body ]] || printf ' --data-binary %q' "$(tr -s '\n ' ' ' <<<"$body")"
      printf '\n'
    } >&3
    [[ $method != GET ]]
    return
  fi
  [[ -n $MONITORING_TOKEN ]] || die "monitoring_api: monitoring_sign_in must run first"
  if [[ $method == GET ]]; then
    curl "${args[@]}" -H @- "$url" <<<"Authorization: Bearer $MONITORING_TOKEN" 2>/dev/null
  else
    curl "${args[@]}" -H @- "$url" <<<"Authorization: Bearer $MONITORING_TOKEN"
  fi
}

# monitoring_sign_in: fetches the access token monitoring_api sends (not on --dry-run).
monitoring_sign_in() {
  [[ $DRY_RUN == false && -z $MONITORING_TOKEN ]] || return 0
  MONITORING_TOKEN=$(gc auth print-access-token) || die "could not get an access token for the Cloud Monitoring API"
}

# render_document FILE NAME=TEXT|NAME:=JSON ...: prints deploy/monitoring/FILE with ${NAME} replaced by TEXT
# (inside a JSON string) or the string "${NAME}" replaced by the JSON value (a number, an array). Stops
# when a placeholder is left.
render_document() {
  local document pair name
  document=$(<"$MONITORING_DOCUMENTS_DIR/$1")
  shift
  for pair in "$@"; do
    if [[ $pair == *:=* && ${pair%%:=*} != *=* ]]; then
      name=${pair%%:=*}
      document=${document//\"\$\{$name\}\"/${pair#*:=}}
    else
      name=${pair%%=*}
      document=${document//\$\{$name\}/${pair#*=}}
    fi
  done
  [[ $document != *"\${"* ]] || die "deploy/monitoring/$1: a placeholder was not filled"
  printf '%s\n' "$document"
}

# checksum TEXT: a short checksum of TEXT, kept in a label to tell whether a document changed.
checksum() { cksum <<<"$1" | cut -d' ' -f1; }

# slo_setting NAME KIND: the setting of entry NAME's SLO KIND (e.g. FRONTEND_SLO_LATENCY).
slo_setting() { printf '%s_SLO_%s' "$(entry_prefix "$1")" "${2^^}"; }

# monitored_services: the services of the manifest (frontend and backend included), one a line.
monitored_services() {
  local name
  for name in "${SPACE_ENTRIES[@]}"; do
    [[ ${ENTRY[$name:KIND]} != service ]] || printf '%s\n' "$name"
  done
}

# slo_value NAME KIND: the value of entry NAME's SLO KIND setting ('off' when it is off).
slo_value() {
  local setting
  setting=$(slo_setting "$1" "$2")
  printf '%s' "${!setting}"
}

# True when entry NAME has an SLO that is on.
service_has_slo() {
  local kind
  for kind in "${SLO_KINDS[@]}"; do
    [[ $(slo_value "$1" "$kind") == off ]] || return 0
  done
  return 1
}

# True when some SLO is on or an e-mail is set: the space uses Cloud Monitoring.
monitoring_enabled() {
  local name
  [[ -z $MONITORING_EMAIL && $UPTIME_CHECK_PERIOD == off && $DASHBOARD == false ]] || return 0
  while read -r name; do
    if service_has_slo "$name"; then return 0; fi
  done < <(monitored_services)
  return 1
}

# slo_document NAME KIND: the SLO document of entry NAME's SLO KIND (its config label filled in).
slo_document() {
  local name=$1 kind=$2 setting value document
  setting=$(slo_setting "$name" "$kind")
  value=${!setting}
  parse_slo "$value"
  local -a fields=("DISPLAY_NAME=$name: $kind $value" "SPACE=$SPACE_LABEL" "GOAL:=$SLO_GOAL"
    "PERIOD_FIELD=$SLO_PERIOD_FIELD" "PERIOD=$SLO_PERIOD" "THRESHOLD=$SLO_THRESHOLD")
  document=$(render_document "slo-$kind.json" "${fields[@]}" "CONFIG=")
  render_document "slo-$kind.json" "${fields[@]}" "CONFIG=$(checksum "$document")"
}

# label_value DOCUMENT KEY: the value of the label KEY in a JSON document (empty when it has none).
label_value() {
  local pattern="\"$2\": *\"([^\"]*)\""
  [[ $1 =~ $pattern ]] && printf '%s' "${BASH_REMATCH[1]}"
  return 0
}

# ensure_monitoring_service NAME: the Monitoring service of entry NAME's Cloud Run service.
ensure_monitoring_service() {
  local name=$1 id run
  id=$(monitoring_service_id "$name")
  monitoring_api GET "projects/$PROJECT_ID/services/$id" >/dev/null && return 0
  run=$(entry_service_name "$name")
  log "creating the Monitoring service of $run"
  monitoring_api POST "projects/$PROJECT_ID/services?serviceId=$id" "$(render_document service.json \
    "DISPLAY_NAME=$run" "RUN_SERVICE=$run" "REGION=$REGION" "SPACE=$SPACE_LABEL")" >/dev/null
}

# reconcile_slo NAME KIND: creates entry NAME's SLO KIND, or updates it when its setting changed.
reconcile_slo() {
  local name=$1 kind=$2 setting path existing document
  setting=$(slo_setting "$name" "$kind")
  path="projects/$PROJECT_ID/services/$(monitoring_service_id "$name")/serviceLevelObjectives"
  document=$(slo_document "$name" "$kind")
  existing=$(monitoring_api GET "$path/$kind") || existing=
  if [[ -z $existing ]]; then
    log "creating SLO $name $kind: ${!setting}"
    monitoring_api POST "$path?serviceLevelObjectiveId=$kind" "$document" >/dev/null
  elif [[ $(label_value "$existing" config) != "$(label_value "$document" config)" ]]; then
    log "$setting: updating the SLO to ${!setting}"
    monitoring_api PATCH "$path/$kind?updateMask=displayName,serviceLevelIndicator,goal,rollingPeriod,calendarPeriod,userLabels" \
      "$document" >/dev/null
  fi
}

# delete_slo NAME KIND: deletes entry NAME's SLO KIND if it exists.
delete_slo() {
  local path
  path="projects/$PROJECT_ID/services/$(monitoring_service_id "$1")/serviceLevelObjectives/$2"
  monitoring_api GET "$path" >/dev/null || return 0
  log "deleting SLO $1 $2"
  monitoring_api DELETE "$path" >/dev/null
}

# existing_monitoring_services: the entries that have a Monitoring service of this space, one a line.
existing_monitoring_services() {
  local listed id prefix
  prefix="$(monitoring_service_id '')"
  listed=$(monitoring_api GET "projects/$PROJECT_ID/services") || return 0
  while read -r id; do
    [[ $id == "$prefix"* ]] && printf '%s\n' "${id#"$prefix"}"
  done < <(grep -oE '"name": *"projects/[^"/]+/services/[^"/]+"' <<<"$listed" | sed -E 's#.*/services/([^"]+)"#\1#')
  return 0
}

# delete_monitoring_service NAME: deletes entry NAME's SLOs and Monitoring service.
delete_monitoring_service() {
  local path kind
  path="projects/$PROJECT_ID/services/$(monitoring_service_id "$1")"
  for kind in "${SLO_KINDS[@]}"; do
    delete_slo "$1" "$kind"
  done
  log "deleting the Monitoring service of $1"
  monitoring_api DELETE "$path" >/dev/null
}

# reconcile_notification_channel: creates, updates or (MONITORING_EMAIL empty) deletes the e-mail channel; prints
# its name (nothing without one).
reconcile_notification_channel() {
  local listed name email
  listed=$(gc_query beta monitoring channels list "--filter=userLabels.space=$SPACE_LABEL" \
    '--format=value(name,labels.email_address)') || listed=
  read -r name email <<<"$listed"
  if [[ -z $MONITORING_EMAIL ]]; then
    if [[ -n $name ]]; then
      log "MONITORING_EMAIL is empty: deleting the notification channel"
      gc beta monitoring channels delete "$name" --force >&2
    fi
    return 0
  fi
  if [[ -z $name ]]; then
    log "creating the notification channel for $MONITORING_EMAIL"
    name=$(gc beta monitoring channels create "--display-name=$APP $ENVIRONMENT alerts" --type=email \
      "--channel-labels=email_address=$MONITORING_EMAIL" "--user-labels=space=$SPACE_LABEL" '--format=value(name)')
    [[ $DRY_RUN == false ]] || name="projects/$PROJECT_ID/notificationChannels/NEW"
  elif [[ $email != "$MONITORING_EMAIL" ]]; then
    log "MONITORING_EMAIL: $email -> $MONITORING_EMAIL"
    gc beta monitoring channels update "$name" "--update-channel-labels=email_address=$MONITORING_EMAIL" >&2
  fi
  printf '%s' "$name"
}

# reconcile_alert_policies CHANNEL: one burn-rate policy per SLO that is on (notifying CHANNEL, if any);
# those of SLOs turned off or gone are deleted.
reconcile_alert_policies() {
  local channel=$1 listed name kind key setting document policy config
  local -A existing=() existing_config=() wanted=()
  listed=$(gc_query monitoring policies list "--filter=userLabels.space=$SPACE_LABEL" \
    '--format=value(name,userLabels.slo,userLabels.config)') || listed=
  while read -r policy key config; do
    [[ -n $policy ]] || continue
    existing[$key]=$policy
    existing_config[$key]=$config
  done <<<"$listed"
  local channels='[]'
  [[ -z $channel ]] || channels="[\"$channel\"]"
  MONITORING_DOCUMENT_FILE=$(mktemp)
  trap 'rm -f "$MONITORING_DOCUMENT_FILE"' EXIT
  while read -r name; do
    for kind in "${SLO_KINDS[@]}"; do
      setting=$(slo_setting "$name" "$kind")
      [[ ${!setting} != off ]] || continue
      key="$name-$kind"
      wanted[$key]=1
      local -a fields=("DISPLAY_NAME=$name: $kind SLO burn rate" "SLO_DISPLAY_NAME=$name: $kind"
        "SLO_NAME=projects/$PROJECT_ID/services/$(monitoring_service_id "$name")/serviceLevelObjectives/$kind"
        "SPACE=$SPACE_LABEL" "SLO_KEY=$key" "CHANNELS:=$channels")
      document=$(render_document burn-rate-policy.json "${fields[@]}" "CONFIG=")
      config=$(checksum "$document")
      render_document burn-rate-policy.json "${fields[@]}" "CONFIG=$config" >"$MONITORING_DOCUMENT_FILE"
      if [[ -z ${existing[$key]:-} ]]; then
        log "creating the burn-rate alert policy of SLO $name $kind"
        gc monitoring policies create "--policy-from-file=$MONITORING_DOCUMENT_FILE" --format=none
      elif [[ ${existing_config[$key]} != "$config" ]]; then
        log "updating the burn-rate alert policy of SLO $name $kind"
        gc monitoring policies update "${existing[$key]}" "--policy-from-file=$MONITORING_DOCUMENT_FILE" --format=none
      fi
    done
  done < <(monitored_services)
  for key in "${!existing[@]}"; do
    [[ -n ${wanted[$key]:-} ]] && continue
    log "deleting the burn-rate alert policy of SLO $key (off or gone)"
    gc monitoring policies delete "${existing[$key]}" --quiet
  done
  rm -f "$MONITORING_DOCUMENT_FILE"
}

# reconcile_uptime_check: an uptime check of the frontend's URL (https, path /) every UPTIME_CHECK_PERIOD
# minutes; off deletes it. A changed period or URL replaces it (an uptime check's URL cannot be updated).
reconcile_uptime_check() {
  local listed name existing_config url host config
  listed=$(gc_query monitoring uptime list-configs "--filter=userLabels.space=$SPACE_LABEL" \
    '--format=value(name,userLabels.config)') || listed=
  read -r name existing_config <<<"$listed"
  if [[ $UPTIME_CHECK_PERIOD != off ]]; then
    url=$(gc_query run services describe "$FRONTEND_SERVICE" "--region=$REGION" '--format=value(status.url)') ||
      url="https://FRONTEND_HOST"
    host=${url#https://}
    config=$(checksum "$host / $UPTIME_CHECK_PERIOD")
    [[ -z $name || $existing_config != "$config" ]] || return 0
  fi
  if [[ -n $name ]]; then
    log "deleting the uptime check of the frontend (UPTIME_CHECK_PERIOD or its URL changed, or it is off)"
    gc monitoring uptime delete "$name" --quiet
  fi
  [[ $UPTIME_CHECK_PERIOD != off ]] || return 0
  log "creating an uptime check of $url every $UPTIME_CHECK_PERIOD minutes"
  gc monitoring uptime create "$APP $ENVIRONMENT frontend" --resource-type=uptime-url \
    "--resource-labels=host=$host,project_id=$PROJECT_ID" --protocol=https --path=/ "--period=$UPTIME_CHECK_PERIOD" \
    "--user-labels=space=$SPACE_LABEL,config=$config" --format=none
}

# reconcile_dashboard: the space's dashboard (DASHBOARD=true): each service's requests, errors, latency and
# instances, and the database's connections; updated when its document changes, deleted when false.
reconcile_dashboard() {
  local config existing=false service services=
  config=$(gc_query monitoring dashboards describe "$SPACE_LABEL" '--format=value(labels.config)') && existing=true
  if [[ $DASHBOARD == false ]]; then
    [[ $existing == false ]] || {
      log "DASHBOARD is false: deleting the dashboard"
      gc monitoring dashboards delete "$SPACE_LABEL" --quiet
    }
    return 0
  fi
  while read -r service; do
    services+="${services:+, }\\\"$(entry_service_name "$service")\\\""
  done < <(monitored_services)
  local -a fields=("NAME=projects/$PROJECT_ID/dashboards/$SPACE_LABEL" "DISPLAY_NAME=$APP $ENVIRONMENT"
    "SPACE=$SPACE_LABEL" "RUN_SERVICES=$services" "DATABASE_ID=$PROJECT_ID:$SQL_INSTANCE")
  local document wanted
  document=$(render_document dashboard.json "${fields[@]}" "CONFIG=")
  wanted=$(checksum "$document")
  [[ $existing == false || $config != "$wanted" ]] || return 0
  MONITORING_DOCUMENT_FILE=$(mktemp)
  trap 'rm -f "$MONITORING_DOCUMENT_FILE"' EXIT
  render_document dashboard.json "${fields[@]}" "CONFIG=$wanted" >"$MONITORING_DOCUMENT_FILE"
  if [[ $existing == false ]]; then
    log "creating the dashboard '$APP $ENVIRONMENT'"
    gc monitoring dashboards create "--config-from-file=$MONITORING_DOCUMENT_FILE" --format=none
  else
    log "updating the dashboard '$APP $ENVIRONMENT' (the services changed)"
    gc monitoring dashboards update "$SPACE_LABEL" "--config-from-file=$MONITORING_DOCUMENT_FILE" --format=none
  fi
  rm -f "$MONITORING_DOCUMENT_FILE"
}

# reconcile_monitoring: the SLOs, their alert policies, the notification channel, the uptime check and the
# dashboard, as the settings say.
reconcile_monitoring() {
  local name kind channel
  # Even with everything off: what earlier settings made is looked for, and removed.
  monitoring_sign_in
  while read -r name; do
    service_has_slo "$name" || continue
    ensure_monitoring_service "$name"
    for kind in "${SLO_KINDS[@]}"; do
      [[ $(slo_value "$name" "$kind") == off ]] || reconcile_slo "$name" "$kind"
    done
  done < <(monitored_services)
  channel=$(reconcile_notification_channel)
  reconcile_alert_policies "$channel"
  reconcile_uptime_check
  reconcile_dashboard
  # SLOs turned off go after the policies that watched them; so do Monitoring services whose SLOs are all
  # off, or whose entry is gone, with their SLOs.
  while read -r name; do
    service_has_slo "$name" || continue
    for kind in "${SLO_KINDS[@]}"; do
      [[ $(slo_value "$name" "$kind") != off ]] || delete_slo "$name" "$kind"
    done
  done < <(monitored_services)
  while read -r name; do
    [[ -n $name ]] || continue
    if [[ ${ENTRY[$name:KIND]:-} == service ]] && service_has_slo "$name"; then continue; fi
    delete_monitoring_service "$name"
  done < <(existing_monitoring_services)
}

# remove_monitoring: deletes every alert policy, SLO, Monitoring service, notification channel, uptime check and
# the dashboard of the space (down.sh). Returns non-zero when something could not be deleted.
remove_monitoring() {
  local listed name failed=0
  monitoring_sign_in
  listed=$(gc_query monitoring policies list "--filter=userLabels.space=$SPACE_LABEL" '--format=value(name)') || listed=
  while read -r name; do
    [[ -z $name ]] || gc monitoring policies delete "$name" --quiet || failed=1
  done <<<"$listed"
  while read -r name; do
    [[ -z $name ]] || delete_monitoring_service "$name" || failed=1
  done < <(existing_monitoring_services)
  listed=$(gc_query beta monitoring channels list "--filter=userLabels.space=$SPACE_LABEL" '--format=value(name)') ||
    listed=
  while read -r name; do
    [[ -z $name ]] || gc beta monitoring channels delete "$name" --force || failed=1
  done <<<"$listed"
  listed=$(gc_query monitoring uptime list-configs "--filter=userLabels.space=$SPACE_LABEL" '--format=value(name)') ||
    listed=
  while read -r name; do
    [[ -z $name ]] || gc monitoring uptime delete "$name" --quiet || failed=1
  done <<<"$listed"
  if gc_query monitoring dashboards describe "$SPACE_LABEL" --format='value(name)' >/dev/null; then
    gc monitoring dashboards delete "$SPACE_LABEL" --quiet || failed=1
  fi
  return "$failed"
}
