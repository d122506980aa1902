#!/usr/bin/env bash
# Installs what is missing and runs the whole test suite (unit, oracle, HDF5 interop and
# end-to-end tests of the real binary, ONNX and TensorBoard interop in Python).
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
./scripts/install-test-deps.sh
swift build --build-tests
swift test --skip-build "$@"
