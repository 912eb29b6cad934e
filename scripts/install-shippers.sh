#!/usr/bin/env bash
# The log shippers that cli/tests/shippers.rs runs, from Debian's packages: syslog-ng and
# systemd-journal-remote (to write a real journal file) installed; rsyslog, which conflicts with
# syslog-ng as the system logger, unpacked under target/shippers/rsyslog instead (its libraries
# installed). Needs root or password-less sudo; exits non-zero when it cannot install.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ]; then
  sudo -n true 2>/dev/null || { echo "install-shippers: needs root or password-less sudo" >&2; exit 1; }
  SUDO="sudo -n"
fi
need=()
command -v syslog-ng >/dev/null || need+=(syslog-ng-core)
[ -x /lib/systemd/systemd-journal-remote ] || need+=(systemd-journal-remote)
dpkg -s libestr0 libfastjson4 liblognorm5 >/dev/null 2>&1 || need+=(libestr0 libfastjson4 liblognorm5)
if [ ${#need[@]} -gt 0 ]; then
  echo "== installing ${need[*]} (Debian packages, for the shipper tests)"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
if [ ! -x target/shippers/rsyslog/usr/sbin/rsyslogd ]; then
  echo "== unpacking rsyslog under target/shippers/rsyslog"
  mkdir -p target/shippers
  (cd target/shippers && apt-get download -qq rsyslog 2>/dev/null && dpkg-deb -x rsyslog_*.deb rsyslog && rm -f rsyslog_*.deb)
fi
