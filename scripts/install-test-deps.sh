#!/usr/bin/env bash
# Installs the Python packages of the interop tests (onnx, onnxruntime, tensorboard, h5py,
# numpy: scripts/test-requirements.txt) into a virtual environment, .build/interop-python,
# made from Debian's /usr/bin/python3. A separate environment, because pip's numpy 2 would
# break Debian's python3-h5py, which the other tests use. Does nothing when they are there.
# The tests find the interpreter there, or at $SHARDTRAIN_INTEROP_PYTHON.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.build/interop-python
python=${SHARDTRAIN_INTEROP_PYTHON:-$venv/bin/python3}
if [ -x "$python" ] && "$python" -c "import onnx, onnxruntime, tensorboard, h5py, numpy" 2>/dev/null; then
  exit 0
fi
if [ -n "${SHARDTRAIN_INTEROP_PYTHON:-}" ]; then
  echo "error: $SHARDTRAIN_INTEROP_PYTHON lacks onnx, onnxruntime, tensorboard, h5py or numpy; pip install -r scripts/test-requirements.txt" >&2
  exit 69
fi
echo "installing the interop tests' Python packages into $venv" >&2
[ -x "$venv/bin/python3" ] || /usr/bin/python3 -m venv "$venv"
"$venv/bin/python3" -m pip install -q --disable-pip-version-check -r scripts/test-requirements.txt >&2
