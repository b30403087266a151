#!/usr/bin/python3
"""Derives deliberately broken models from the bundled one, for the C# tests of model gating.

Usage: /usr/bin/python3 onnx/testing/make_faulty_models.py <out-dir>
Writes <out-dir>/nan-output/: the bundled graph with yhat multiplied by NaN, with the bundled
manifest and golden vectors (so only the outputs are wrong). Needs Debian's python3-onnx only.
"""
import shutil
import sys
from pathlib import Path

try:
    import onnx
    from onnx import helper, TensorProto
except ImportError:
    sys.exit("onnx is missing: apt-get install python3-onnx (and run with /usr/bin/python3)")

BUNDLED = Path(__file__).resolve().parent.parent / "models" / "default"


def nan_output(out: Path) -> None:
    """Renames the graph's yhat to yhat_raw and adds yhat = yhat_raw * NaN."""
    model = onnx.load(BUNDLED / "model.onnx")
    graph = model.graph
    for node in graph.node:
        node.output[:] = ["yhat_raw" if name == "yhat" else name for name in node.output]
    graph.initializer.append(helper.make_tensor("nan", TensorProto.FLOAT, [], [float("nan")]))
    graph.node.append(helper.make_node("Mul", ["yhat_raw", "nan"], ["yhat"], name="poison"))
    onnx.checker.check_model(model)
    out.mkdir(parents=True, exist_ok=True)
    onnx.save(model, out / "model.onnx")
    for name in ("manifest.json", "golden.json"):
        shutil.copy(BUNDLED / name, out / name)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    nan_output(Path(sys.argv[1]) / "nan-output")
