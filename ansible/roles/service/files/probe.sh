#!/bin/sh
# The service role's checks in one SSH round trip (run with `raw`, POSIX sh), as one JSON line
# (values base64): the node's page and its SELinux label, the service image's ID, and the overlay
# network as docker network inspect shows it (only managers can; elsewhere it is empty).
# Inputs (environment): PROBE_PAGE, PROBE_IMAGE, PROBE_NETWORK.
exec 2>/dev/null
b64() { base64 | tr -d '\n'; }
o='{{'
c='}}'
page_rc=0
[ -f "$PROBE_PAGE" ] || page_rc=1
page=$(b64 <"$PROBE_PAGE")
label=$(stat -c %C "$PROBE_PAGE")
image=$(docker image inspect --format "${o}.Id${c}" "$PROBE_IMAGE")
net_rc=0
net=$(docker network inspect "$PROBE_NETWORK") || net_rc=$?
printf '{"page":"%s","page_rc":%s,"label":"%s","image":"%s","network":"%s","network_rc":%s}\n' \
  "$page" "$page_rc" "$(printf '%s' "$label" | b64)" "$(printf '%s' "$image" | b64)" \
  "$(printf '%s' "$net" | b64)" "$net_rc"
