# shellcheck shell=bash
# The private network: VPC and subnets (Private Google Access), Cloud Router + NAT for the frontend's
# internet egress, the optional Serverless VPC Access connector, and private services access for
# Cloud SQL's private IP.
#
# Cloud NAT serves one subnet: the one the frontend's egress leaves from. Only the frontend needs the
# internet; the backend and the migration job send private ranges only into the VPC, and Google
# advises against Cloud NAT on such Cloud Run subnets (it can add charges). With direct-vpc the frontend
# has a subnet of its own; with a connector, the connector's subnet carries the frontend's internet
# traffic (the others' private traffic needs no NAT); it is made with a subnet of its own, since the
# hidden subnet of a connector made from a bare range cannot be named in a NAT configuration.
# https://cloud.google.com/run/docs/configuring/networking-best-practices
# https://cloud.google.com/run/docs/configuring/vpc-connectors

# ensure_subnet NAME RANGE: a subnet of the network with Private Google Access (calls to Google APIs,
# and to the internal backend, stay internal).
ensure_subnet() {
  if exists compute networks subnets describe "$1" "--region=$REGION"; then
    log "subnet $1 exists"
  else
    gc compute networks subnets create "$1" "--network=$NETWORK" "--region=$REGION" \
      "--range=$2" --enable-private-ip-google-access
  fi
}

# The subnet Cloud NAT serves: the frontend's, or the connector's.
nat_subnet() {
  if [[ $EGRESS == connector ]]; then
    printf '%s' "$CONNECTOR_SUBNET"
  else
    printf '%s' "$FRONTEND_SUBNET"
  fi
}

ensure_network() {
  if exists compute networks describe "$NETWORK"; then
    log "network $NETWORK exists"
  else
    gc compute networks create "$NETWORK" --subnet-mode=custom
  fi

  ensure_subnet "$SUBNET" "$SUBNET_RANGE"
  if [[ $EGRESS == connector ]]; then
    ensure_subnet "$CONNECTOR_SUBNET" "$CONNECTOR_RANGE"
  else
    ensure_subnet "$FRONTEND_SUBNET" "$FRONTEND_SUBNET_RANGE"
  fi

  if exists compute routers describe "$ROUTER" "--region=$REGION"; then
    log "router $ROUTER exists"
  else
    gc compute routers create "$ROUTER" "--network=$NETWORK" "--region=$REGION"
  fi

  # The frontend sends all egress into the VPC: NAT gives it the way out to the internet, from its
  # subnet's primary range only.
  ensure_nat

  if [[ $EGRESS == connector ]]; then
    if exists compute networks vpc-access connectors describe "$CONNECTOR" "--region=$REGION"; then
      log "connector $CONNECTOR exists"
    else
      gc compute networks vpc-access connectors create "$CONNECTOR" "--region=$REGION" \
        "--subnet=$CONNECTOR_SUBNET" --min-instances=2 --max-instances=3 --machine-type=e2-micro
    fi
  fi

  ensure_private_services_access
}

# The NAT's external addresses: Google's (auto-allocated, they may change) or, with STATIC_EGRESS_IP=true,
# the reserved address NAT_ADDRESS, which stays the frontend's outbound address for partners' allow-lists.
# https://cloud.google.com/nat/docs/ports-and-addresses
nat_address_flag() {
  if [[ $STATIC_EGRESS_IP == true ]]; then
    printf '%s' "--nat-external-ip-pool=$NAT_ADDRESS"
  else
    printf '%s' --auto-allocate-nat-external-ips
  fi
}

# The NAT, its addresses reconciled with STATIC_EGRESS_IP; turned off, the reserved address is released
# once the NAT no longer uses it.
ensure_nat() {
  if [[ $STATIC_EGRESS_IP == true ]]; then
    if exists compute addresses describe "$NAT_ADDRESS" "--region=$REGION"; then
      log "egress address $NAT_ADDRESS exists"
    else
      gc compute addresses create "$NAT_ADDRESS" "--region=$REGION"
    fi
  fi
  local allocation wanted=AUTO_ONLY
  [[ $STATIC_EGRESS_IP == true ]] && wanted=MANUAL_ONLY
  if allocation=$(gc_query compute routers nats describe "$NAT" "--router=$ROUTER" "--region=$REGION" \
    --format='value(natIpAllocateOption)'); then
    if [[ $allocation == "$wanted" ]]; then
      log "NAT $NAT exists"
    else
      log "NAT $NAT addresses: $allocation -> $wanted (STATIC_EGRESS_IP=$STATIC_EGRESS_IP)"
      gc compute routers nats update "$NAT" "--router=$ROUTER" "--region=$REGION" "$(nat_address_flag)"
    fi
  else
    gc compute routers nats create "$NAT" "--router=$ROUTER" "--region=$REGION" \
      "$(nat_address_flag)" "--nat-custom-subnet-ip-ranges=$(nat_subnet)"
  fi
  if [[ $STATIC_EGRESS_IP == false ]] && exists compute addresses describe "$NAT_ADDRESS" "--region=$REGION"; then
    gc compute addresses delete "$NAT_ADDRESS" "--region=$REGION" --quiet
  fi
}

# Prints the frontend's outbound address (STATIC_EGRESS_IP=true) for partners' allow-lists.
print_static_egress_ips() {
  [[ $STATIC_EGRESS_IP == true ]] || return 0
  local address
  address=$(gc compute addresses describe "$NAT_ADDRESS" "--region=$REGION" --format='value(address)')
  printf 'Outbound IP (for allow-lists): %s\n' "$address"
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
