#!/usr/bin/env bash
# Installs the Debian packages ShardTrain builds, runs and tests with, if any is missing.
# Swift itself (6.0 or later) must already be on PATH.
set -euo pipefail

packages=(pkg-config libhdf5-dev hdf5-tools libopenblas-dev zlib1g-dev openmpi-bin libopenmpi-dev dataset-fashion-mnist
          python3-h5py python3-numpy python3-venv)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  as_root=()
  [ "$(id -u)" -eq 0 ] || as_root=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${as_root[@]}" apt-get update -q >&2
  "${as_root[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi

if ! command -v swift >/dev/null 2>&1; then
  echo "error: swift is not on PATH; install Swift 6 (swift.org) and try again" >&2
  exit 69
fi
