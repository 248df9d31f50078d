#!/usr/bin/env bash
# Installs a built jet: jetd, the jet CLI, libjet.so and its headers, the
# systemd unit and the example config. Run as root after a Release build:
#
#   cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
#   cmake --build build -j"$(nproc)" --target jetd jet jet_shared_client
#   sudo deploy/install.sh [--build DIR] [--prefix DIR] [--no-systemd]
#
#   --build DIR    build directory (default: build next to deploy/)
#   --prefix DIR   install prefix (default /usr/local; the unit's ExecStart
#                  follows it)
#   --no-systemd   skip the unit (containers: deploy/Dockerfile)
#   DESTDIR=DIR    stage everything under DIR (packaging, Docker): then no
#                  user is created and neither ldconfig nor systemctl runs
#
# /etc/jet/jetd.conf is created from deploy/jetd.conf.example only when it
# does not exist: an operator's config is never overwritten (the example is
# refreshed as /etc/jet/jetd.conf.example). Binaries are replaced in place,
# so an upgrade is: build, install, `systemctl restart jetd` (deploy/README.md).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="$here/build"
prefix=/usr/local
systemd=1
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build="$2"; shift 2 ;;
    --build=*) build="${1#*=}"; shift ;;
    --prefix) prefix="$2"; shift 2 ;;
    --prefix=*) prefix="${1#*=}"; shift ;;
    --no-systemd) systemd=0; shift ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
dest="${DESTDIR:-}"
build="$(cd "$build" 2>/dev/null && pwd)" || { echo "install.sh: no build directory" >&2; exit 1; }

for f in server/jetd client/jet client/libjet.so; do
  if [ ! -f "$build/$f" ]; then
    echo "install.sh: $build/$f is missing: build the targets jetd jet jet_shared_client first" >&2
    exit 1
  fi
done

echo "install.sh: installing into ${dest}${prefix}"
install -d "$dest$prefix/bin" "$dest$prefix/lib" "$dest$prefix/include/jet" \
  "$dest$prefix/share/doc/jet" "$dest/etc/jet"
install -m 0755 "$build/server/jetd" "$build/client/jet" "$dest$prefix/bin/"
install -m 0644 "$build/client/libjet.so" "$dest$prefix/lib/"
install -m 0644 "$here/client/include/jet/jet.h" "$here"/shared/include/jet/*.h \
  "$here/shared/include/jet/ops.def" "$dest$prefix/include/jet/"
install -m 0644 "$here/deploy/README.md" "$dest$prefix/share/doc/jet/README.md"

# Config: the example always, jetd.conf only the first time.
install -m 0644 "$here/deploy/jetd.conf.example" "$dest/etc/jet/jetd.conf.example"
if [ -e "$dest/etc/jet/jetd.conf" ]; then
  echo "install.sh: keeping the existing $dest/etc/jet/jetd.conf"
else
  install -m 0640 "$here/deploy/jetd.conf.example" "$dest/etc/jet/jetd.conf"
  echo "install.sh: created $dest/etc/jet/jetd.conf from the example"
fi

if [ "$systemd" = 1 ]; then
  install -d "$dest/etc/systemd/system"
  sed "s#/usr/local/bin/jetd#$prefix/bin/jetd#; s#/usr/local/share/doc#$prefix/share/doc#" \
    "$here/deploy/jetd.service" >"$dest/etc/systemd/system/jetd.service.new"
  chmod 0644 "$dest/etc/systemd/system/jetd.service.new"
  mv "$dest/etc/systemd/system/jetd.service.new" "$dest/etc/systemd/system/jetd.service"
fi

if [ -z "$dest" ] && [ "$(id -u)" -eq 0 ]; then
  # The service user (jetd.service: User=jet); it reads /etc/jet through
  # its group and writes only /var/lib/jet (StateDirectory=jet).
  if ! getent passwd jet >/dev/null; then
    useradd --system --user-group --home-dir /var/lib/jet --no-create-home \
      --shell /usr/sbin/nologin jet
    echo "install.sh: created the system user jet"
  fi
  chgrp jet /etc/jet /etc/jet/jetd.conf
  chmod 0750 /etc/jet
  ldconfig
  if [ "$systemd" = 1 ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
    systemctl daemon-reload
    echo "install.sh: unit installed; start it with: systemctl enable --now jetd"
    echo "install.sh: after an upgrade: systemctl restart jetd (drains calls in flight)"
  fi
fi
echo "install.sh: done"
