#!/usr/bin/env bash
# Installs chaoschip's build and test dependencies from Debian 12 packages.
# Idempotent: does nothing (not even apt-get update) when everything is present.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libeigen3-dev libboost-dev libhdf5-dev hdf5-tools libfmt-dev catch2
  libtomlplusplus-dev libcli11-dev libbenchmark-dev
  python3-numpy python3-h5py python3-matplotlib
  libopenmpi-dev openmpi-bin
)
# Optional extras (peer benchmarks): CHAOSCHIP_EXTRAS=1 make ...
if [[ "${CHAOSCHIP_EXTRAS:-0}" == "1" ]]; then
  packages+=(python3-brian python3-torch)
fi
# libFuzzer (clang's runtime) for `make fuzz`: CHAOSCHIP_FUZZ_DEPS=1 make ...
if [[ "${CHAOSCHIP_FUZZ_DEPS:-0}" == "1" ]]; then
  packages+=(clang libclang-rt-14-dev)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
[[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
