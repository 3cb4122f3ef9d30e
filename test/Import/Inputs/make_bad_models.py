"""Writes malformed or unsupported ONNX models for import-errors.test into OUTDIR."""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)


def model(nodes, inputs, outputs, inits=(), opset=17, extra_opsets=()):
    g = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset), *extra_opsets])
    m.ir_version = 8
    return m


def save(m, name):
    with open(os.path.join(out, name), "wb") as f:
        f.write(m.SerializeToString())


x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])
y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])
good = model([helper.make_node("Relu", ["x"], ["y"], name="relu")], [x], [y])
save(good, "good.onnx")
data = good.SerializeToString()
with open(os.path.join(out, "empty.onnx"), "wb"):
    pass
with open(os.path.join(out, "truncated.onnx"), "wb") as f:
    f.write(data[: len(data) // 2])
with open(os.path.join(out, "garbage.onnx"), "wb") as f:
    f.write(b"\xff\xff\xff\xff this is not a protobuf \x00\x01")

# External data: a weight whose file is missing, and one whose range is out of the file.
w = numpy_helper.from_array(np.ones((2, 3), np.float32), "w")
w.data_location = TensorProto.EXTERNAL
for k, v in (("location", "missing.bin"), ("offset", "0"), ("length", "24")):
    e = w.external_data.add()
    e.key, e.value = k, v
save(model([helper.make_node("Add", ["x", "w"], ["y"], name="add")], [x], [y], [w]),
     "missing_external.onnx")
with open(os.path.join(out, "short.bin"), "wb") as f:
    f.write(b"\0" * 16)
w2 = numpy_helper.from_array(np.ones((2, 3), np.float32), "w")
w2.ClearField("raw_data")
w2.data_location = TensorProto.EXTERNAL
for k, v in (("location", "short.bin"), ("offset", "8"), ("length", "24")):
    e = w2.external_data.add()
    e.key, e.value = k, v
save(model([helper.make_node("Add", ["x", "w"], ["y"], name="add")], [x], [y], [w2]),
     "out_of_range_external.onnx")

# An initializer with an unknown data type, and a string graph input.
bad = onnx.TensorProto()
bad.name, bad.data_type = "w", 999
bad.dims.extend([2, 3])
bad.raw_data = b"\0" * 24
save(model([helper.make_node("Add", ["x", "w"], ["y"], name="add")], [x], [y], [bad]),
     "unknown_dtype.onnx")
s = helper.make_tensor_value_info("s", TensorProto.STRING, [2])
save(model([helper.make_node("Identity", ["s"], ["t"], name="id")], [s],
           [helper.make_tensor_value_info("t", TensorProto.STRING, [2])]), "string_input.onnx")
# raw_data of the wrong size.
short = numpy_helper.from_array(np.ones((2, 3), np.float32), "w")
short.raw_data = short.raw_data[:10]
save(model([helper.make_node("Add", ["x", "w"], ["y"], name="add")], [x], [y], [short]),
     "short_raw_data.onnx")
