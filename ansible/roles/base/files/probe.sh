#!/bin/sh
# One SSH round trip instead of a dozen module runs (each costs 4-10 s of Python on a TCG guest):
# waits for cloud-init, then prints, as one JSON line, what the base and docker roles decide on.
# Run by the base role with `raw` (no Python needed), so it is POSIX sh for Debian and CentOS 7.
# Every value is base64 so the JSON needs no escaping; the roles decode what they read.
# Inputs (environment): PROBE_NIC, PROBE_MODULES, PROBE_SYSCTLS, PROBE_PACKAGES (space separated),
# PROBE_FILES (paths whose content is returned in order), PROBE_BOOT_TIMEOUT (s).
exec 2>/dev/null
b64() { base64 | tr -d '\n'; }

waited=0
while [ ! -f /var/lib/cloud/instance/boot-finished ] && [ "$waited" -lt "${PROBE_BOOT_TIMEOUT:-900}" ]; do
  sleep 1
  waited=$((waited + 1))
done
boot_finished=false
[ -f /var/lib/cloud/instance/boot-finished ] && boot_finished=true

# Kernel modules neither loaded nor built in (built-in ones never show in /proc/modules).
missing=''
for m in $PROBE_MODULES; do
  [ -d "/sys/module/$m" ] && continue
  grep -q "^$m " /proc/modules && continue
  grep -q "/$m.ko" "/lib/modules/$(uname -r)/modules.builtin" && continue
  missing="$missing $m"
done

sysctls=$(for s in $PROBE_SYSCTLS; do printf '%s=%s\n' "$s" "$(sysctl -n "$s")"; done)

units=$(for d in /etc/systemd/system /usr/lib/systemd/system /lib/systemd/system; do
  for u in firewalld.service chrony.service chronyd.service systemd-timesyncd.service docker.service; do
    [ -e "$d/$u" ] && echo "$u"
  done
done | sort -u)

dpkg=''
if command -v dpkg-query >/dev/null && [ -n "$PROBE_PACKAGES" ]; then
  # shellcheck disable=SC2016,SC2086 # dpkg-query's own ${field} format; the package list is split on purpose
  dpkg=$(dpkg-query -W -f='${Package} ${Status}\n' $PROBE_PACKAGES)
fi

files=''
for f in $PROBE_FILES; do
  files="$files${files:+,}\"$(b64 <"$f")\""
done

engine_json=false
[ -f /etc/swarm-lab/engine.json ] && engine_json=true

printf '{"boot_finished":%s,"waited_s":%s,"os_release":"%s","nic":"%s","missing_modules":"%s","sysctls":"%s","units":"%s","dpkg":"%s","files":[%s],"engine_json":%s,"docker_unit":"%s"}\n' \
  "$boot_finished" "$waited" \
  "$(b64 </etc/os-release)" \
  "$(ip -4 -o addr show dev "$PROBE_NIC" | b64)" \
  "$(printf '%s' "$missing" | b64)" \
  "$(printf '%s' "$sysctls" | b64)" \
  "$(printf '%s' "$units" | b64)" \
  "$(printf '%s' "$dpkg" | b64)" \
  "$files" \
  "$engine_json" \
  "$(systemctl show -p ActiveState -p UnitFileState -p Environment docker.service | b64)"
