"""Runs an exported ONNX model in onnxruntime on a dataset split and compares its outputs with
those `shardtrain eval --save-outputs` wrote.

  onnx_matches_eval.py MODEL.onnx OUTPUTS.h5 DATA.h5 SPLIT [--uint8-input]

Checks onnx.checker.check_model (full check), the input's dynamic batch dimension, outputs
equal to 1e-5 and identical predicted classes. Prints one JSON line; exit 1 on any mismatch.
Needs onnx, onnxruntime, h5py, numpy (scripts/install-test-deps.sh).
"""
import json
import sys

import h5py
import numpy as np
import onnx
import onnxruntime

model_path, outputs_path, data_path, split = sys.argv[1:5]
uint8_input = "--uint8-input" in sys.argv[5:]

model = onnx.load(model_path)
onnx.checker.check_model(model, full_check=True)
graph_input = model.graph.input[0]
batch = graph_input.type.tensor_type.shape.dim[0]
assert batch.dim_param == "batch" and not batch.HasField("dim_value"), "the batch dimension is not dynamic"

with h5py.File(data_path, "r") as f:
    x = f[split]["x"]
    raw = x[()].reshape(x.shape[0], -1)
    scale = float(x.attrs.get("scale", 1 / 255))
if uint8_input:
    assert raw.dtype == np.uint8, "--uint8-input needs uint8 features"
    features = raw
elif raw.dtype == np.uint8:
    features = (raw.astype(np.float64) * scale).astype(np.float32)
else:
    features = raw.astype(np.float32)

session = onnxruntime.InferenceSession(model_path, providers=["CPUExecutionProvider"])
names = [o.name for o in session.get_outputs()]
results = dict(zip(names, session.run(None, {graph_input.name: features})))
ours = results.get("probabilities", results.get("outputs"))

with h5py.File(outputs_path, "r") as f:
    expected = f["outputs"][()]
    predicted = f["predicted"][()]

difference = float(np.max(np.abs(ours - expected)))
same_classes = bool(np.array_equal(np.argmax(ours, axis=1), predicted))
report = {"outputs": names, "rows": int(ours.shape[0]), "max_abs_difference": difference,
          "same_classes": same_classes, "input": graph_input.name,
          "opset": model.opset_import[0].version}
# A batch of one row must give the same answer: the batch dimension really is free.
single = session.run(None, {graph_input.name: features[:1]})[names.index("probabilities" if "probabilities" in names else "outputs")]
report["single_row_difference"] = float(np.max(np.abs(single - ours[:1])))
print(json.dumps(report))
sys.exit(0 if difference <= 1e-5 and same_classes and report["single_row_difference"] <= 1e-5 else 1)
