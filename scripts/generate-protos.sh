#!/usr/bin/env bash
# Regenerates Sources/ShardExport/Generated/*.pb.swift from Sources/ShardExport/Protos/. Run it only after
# changing a .proto: the generated files are committed, so builds never need protoc.
#   scripts/generate-protos.sh [PATH/TO/protoc-gen-swift]
# Needs protoc (Debian: protobuf-compiler) and swift-protobuf's protoc-gen-swift plugin, of
# the same version as Package.swift's swift-protobuf (1.39.0). Without a plugin path it builds
# the plugin once in ~/.cache/shardtrain/swift-protobuf (minutes). Sources/ShardExport/Protos/onnx.proto is
# onnx/onnx.proto from the `onnx` PyPI package, copied unchanged; Sources/ShardExport/Protos/tensorboard_event.proto
# is trimmed from TensorBoard's event.proto and summary.proto, and its field numbers are
# checked here against the installed `tensorboard` package when it is importable.
set -euo pipefail
cd "$(dirname "$0")/.."

version=1.39.0
plugin=${1:-}
if [ -z "$plugin" ]; then
  scratch="${XDG_CACHE_HOME:-$HOME/.cache}/shardtrain/swift-protobuf-$version"
  if [ ! -d "$scratch" ]; then
    mkdir -p "$(dirname "$scratch")"
    git clone -q --branch "$version" https://github.com/apple/swift-protobuf "$scratch"
  fi
  (cd "$scratch" && swift build --product protoc-gen-swift >&2)
  plugin="$scratch/.build/debug/protoc-gen-swift"
fi
command -v protoc >/dev/null || { echo "error: protoc not found; apt-get install protobuf-compiler" >&2; exit 69; }

python=${SHARDTRAIN_INTEROP_PYTHON:-.build/interop-python/bin/python3}
if [ -x "$python" ] && "$python" -c "import tensorboard" 2>/dev/null; then
  "$python" - <<'PY'
from tensorboard.compat.proto import event_pb2, summary_pb2
expected = {"tensorboard.Event": {"wall_time": 1, "step": 2, "file_version": 3, "summary": 5},
            "tensorboard.Summary": {"value": 1},
            "tensorboard.Summary.Value": {"tag": 1, "simple_value": 2}}
for message in (event_pb2.Event, summary_pb2.Summary, summary_pb2.Summary.Value):
    numbers = {f.name: f.number for f in message.DESCRIPTOR.fields}
    for name, number in expected[message.DESCRIPTOR.full_name].items():
        assert numbers[name] == number, f"{message.DESCRIPTOR.full_name}.{name} is {numbers[name]}, not {number}"
print("tensorboard_event.proto: field numbers match the tensorboard package")
PY
fi

out=Sources/ShardExport/Generated
mkdir -p "$out"
protoc --plugin=protoc-gen-swift="$plugin" --proto_path=Sources/ShardExport/Protos \
  --swift_out="$out" --swift_opt=Visibility=Internal \
  Sources/ShardExport/Protos/onnx.proto Sources/ShardExport/Protos/tensorboard_event.proto
ls -l "$out"
