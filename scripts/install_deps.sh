#!/usr/bin/env bash
# Installs what selfens needs to build and test: Debian packages and the
# Python packages the tests use to check outputs (pyarrow, pandas), to
# execute the analysis notebook (matplotlib, nbclient, ipykernel), and to
# build and test the Python API (nanobind, pytest, tqdm).
set -euo pipefail
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
pkgs=(build-essential cmake ccache pkg-config
      libopenblas-dev nlohmann-json3-dev libicu-dev
      libgtest-dev libgmock-dev libbenchmark-dev
      libflatbuffers-dev flatbuffers-compiler liblz4-dev libzstd-dev
      clang libclang-rt-14-dev python3 python3-pip chromium)
missing=()
for p in "${pkgs[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}"
fi
python3 -m pip install -q pyarrow pandas numpy matplotlib nbformat nbclient nbconvert ipykernel pillow \
  nanobind pytest tqdm
