"""Writes the models of node-names-roundtrip.test: ONNX Gathers with node names.

    make_named_gather.py OUT_DIR

lookup.onnx: y = Gather(table, ids) named 'lookup' (ids given at run time);
far.onnx: z = Gather(table, [1000000]) named 'far' (a constant index out of
range: a compile error); and the inputs table.npy (4x3) and ids.npy ([1, 9]).
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
table = helper.make_tensor_value_info("table", TensorProto.FLOAT, [4, 3])
ids = helper.make_tensor_value_info("ids", TensorProto.INT64, [2])


def save(name, nodes, inputs, outputs, inits=()):
    graph = helper.make_graph(nodes, name, inputs, outputs, list(inits))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out, name + ".onnx"))


save("lookup", [helper.make_node("Gather", ["table", "ids"], ["y"], name="lookup")], [table, ids],
     [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])])
save("far", [helper.make_node("Gather", ["table", "k"], ["z"], name="far")], [table],
     [helper.make_tensor_value_info("z", TensorProto.FLOAT, [1, 3])],
     [numpy_helper.from_array(np.array([1000000], np.int64), "k")])
np.save(os.path.join(out, "table.npy"), np.zeros((4, 3), np.float32))
np.save(os.path.join(out, "ids.npy"), np.array([1, 9], np.int64))
