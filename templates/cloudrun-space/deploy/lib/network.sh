# shellcheck shell=bash
# The private network: VPC and subnet (Private Google Access), Cloud Router + NAT for the frontend's
# internet egress, the optional Serverless VPC Access connector, and private services access for
# Cloud SQL's private IP.

ensure_network() {
  if exists compute networks describe "$NETWORK"; then
    log "network $NETWORK exists"
  else
    gc compute networks create "$NETWORK" --subnet-mode=custom
  fi

  # Private Google Access: calls to Google APIs (and to the internal backend) from the VPC stay internal.
  if exists compute networks subnets describe "$SUBNET" "--region=$REGION"; then
    log "subnet $SUBNET exists"
  else
    gc compute networks subnets create "$SUBNET" "--network=$NETWORK" "--region=$REGION" \
      "--range=$SUBNET_RANGE" --enable-private-ip-google-access
  fi

  if exists compute routers describe "$ROUTER" "--region=$REGION"; then
    log "router $ROUTER exists"
  else
    gc compute routers create "$ROUTER" "--network=$NETWORK" "--region=$REGION"
  fi

  # The frontend sends all egress into the VPC: NAT gives it the way out to the internet.
  if exists compute routers nats describe "$NAT" "--router=$ROUTER" "--region=$REGION"; then
    log "NAT $NAT exists"
  else
    gc compute routers nats create "$NAT" "--router=$ROUTER" "--region=$REGION" \
      --auto-allocate-nat-external-ips --nat-all-subnet-ip-ranges
  fi

  if [[ $EGRESS == connector ]]; then
    if exists compute networks vpc-access connectors describe "$CONNECTOR" "--region=$REGION"; then
      log "connector $CONNECTOR exists"
    else
      gc compute networks vpc-access connectors create "$CONNECTOR" "--region=$REGION" \
        "--network=$NETWORK" "--range=$CONNECTOR_RANGE" --min-instances=2 --max-instances=3 --machine-type=e2-micro
    fi
  fi

  ensure_private_services_access
}

# Cloud SQL's private IP lives in a range peered to Google's service network.
ensure_private_services_access() {
  if exists compute addresses describe "$PSA_RANGE" --global; then
    log "private services range $PSA_RANGE exists"
  else
    gc compute addresses create "$PSA_RANGE" --global --purpose=VPC_PEERING \
      "--prefix-length=$PSA_PREFIX_LENGTH" "--network=$NETWORK"
  fi

  local peerings=
  peerings=$(gc_query services vpc-peerings list "--network=$NETWORK" \
    --service=servicenetworking.googleapis.com --format='value(peering)') || true
  if [[ -n $peerings ]]; then
    log "service networking peering of $NETWORK exists"
  else
    gc services vpc-peerings connect --service=servicenetworking.googleapis.com \
      "--ranges=$PSA_RANGE" "--network=$NETWORK"
  fi
}
