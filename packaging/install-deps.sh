#!/bin/sh
# Installs every Debian 12 package that LTS Studio needs to build, test and run, and any more
# named as arguments (the fuzz job adds clang). Run as root.
# libopenblas0-pthread matters: without it LibTorch multiplies matrices with the reference BLAS
# and every measured latency is about 12x too slow.
set -eu

PACKAGES="
  cmake ninja-build g++ pkg-config git dpkg-dev file
  qt6-base-dev qt6-svg-dev libgl-dev
  libtorch-dev libopenblas0-pthread
  libqcustomplot-dev libqcustomplot2.1-qt6
  xvfb xauth imagemagick
  clang-format
  openssh-server openssh-client
"

PACKAGES="$PACKAGES $*"
missing=""
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -z "$missing" ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "install-deps: missing packages:$missing; run this script as root (or with sudo)" >&2
  exit 1
fi
echo "install-deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
