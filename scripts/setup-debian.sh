#!/usr/bin/env bash
# Installs every Debian package ksmc needs to build, test, benchmark and run its demo.
# Idempotent: packages already present are skipped; apt-get runs only when something is missing.
# Usage: scripts/setup-debian.sh            (called by the README's two commands and by .ci/run)
#        scripts/setup-debian.sh --build    (only what building ksmc needs: the Containerfile)
set -euo pipefail

packages=(
  # build
  build-essential cmake pkg-config re2c
  libyaml-dev libcurl4-openssl-dev libjsmn-dev libmicrohttpd-dev libdeflate-dev zlib1g-dev
  libgnutls28-dev libcrypt-dev
  # ISA-L: the fast streaming gzip decoder of LIST bodies (runtime/kube/ksmc_gunzip.h)
  libisal-dev
  # run time: the tz database CronJob time zones are read from (runtime/core/ksmc_cron.c)
  tzdata
  # tests
  libcunit1-dev valgrind clang libclang-rt-14-dev clang-format curl python3 python3-yaml prometheus
  openssl golang-go
  # the test suite's builds (scripts/run-tests.sh: a third less build CPU than make)
  ninja-build
  # benchmarks and demo tooling
  libsimdjson-dev nginx-light wrk gnuplot-nox
)

build_only=false
[ "${1:-}" = --build ] && build_only=true
# Configuring the tree also wants CUnit (the unit tests are part of it).
$build_only && packages=(build-essential cmake pkg-config re2c libyaml-dev libcurl4-openssl-dev
  libjsmn-dev libmicrohttpd-dev libdeflate-dev zlib1g-dev libgnutls28-dev libcrypt-dev libisal-dev
  libcunit1-dev ca-certificates tzdata)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

# kubectl: the machine image may ship one (e.g. the gcloud dispatcher); fall back to Debian's.
$build_only || command -v kubectl >/dev/null 2>&1 || missing+=(kubernetes-client)

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "setup: all packages present" >&2
