#!/usr/bin/python3
"""Check a model folder (model.onnx + manifest.json + golden.json) without ONNX Runtime.

ONNX Runtime is not packaged for Debian's Python, so this script runs the
exported graph with a small numpy interpreter that knows the few operators a
PyTorch LSTM export uses (Transpose, LSTM, Squeeze, Gather, Gemm, ...). It
checks:

  * onnx.checker passes, opset and tensor names match the manifest,
    and the graph holds exactly one LSTM node;
  * every golden case reproduces yhat, hn and cn (max abs error <= --atol);
  * feeding a sequence in one call equals feeding it in two calls with the
    state carried over (what serving does after the warm-up call).

    /usr/bin/python3 onnx/verify_onnx.py onnx/models/default

Exit status 0 when everything holds, 1 otherwise.
"""

import sys

try:
    import numpy as np
    import onnx
    from onnx import numpy_helper
except ImportError as exc:  # pragma: no cover - environment check
    print(f"error: {exc}\nInstall Debian's packages: apt-get install python3-onnx python3-numpy\n"
          "and run under /usr/bin/python3.", file=sys.stderr)
    sys.exit(2)

import argparse
import json
import os

MANIFEST_KEYS = ["name", "version", "signature", "inputs", "outputs", "features", "layers",
                 "hidden", "horizon", "window", "samplingInterval", "opset", "normalisation",
                 "interval", "training", "metrics", "golden"]


def sigmoid(v):
    """Logistic function."""
    return 1.0 / (1.0 + np.exp(-v))


def op_lstm(node, ins):
    """ONNX LSTM, forward direction, layout 0, default activations, no peepholes.

    Gate order in W, R and B is i, o, f, c (ONNX), unlike PyTorch's i, f, g, o.
    """
    attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
    unsupported = set(attrs) - {"hidden_size", "direction"}
    assert not unsupported and attrs.get("direction", b"forward") == b"forward", attrs
    x, w, r, b = ins[0], ins[1][0], ins[2][0], ins[3][0]
    assert len(ins) < 5 or ins[4] is None, "sequence_lens not supported"
    hsz = attrs["hidden_size"]
    h, c = ins[5][0].copy(), ins[6][0].copy()
    ys = []
    for xt in x:  # x: [seq, batch, input]
        g = xt @ w.T + h @ r.T + b[:4 * hsz] + b[4 * hsz:]
        i, o, f, cc = (g[:, k * hsz:(k + 1) * hsz] for k in range(4))
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(cc)
        h = sigmoid(o) * np.tanh(c)
        ys.append(h)
    y = np.stack(ys)[:, None]  # [seq, num_directions=1, batch, hidden]
    return [y, h[None], c[None]]


def op_gemm(node, ins):
    """Gemm: alpha * A' @ B' + beta * C."""
    attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
    a = ins[0].T if attrs.get("transA", 0) else ins[0]
    bm = ins[1].T if attrs.get("transB", 0) else ins[1]
    out = attrs.get("alpha", 1.0) * (a @ bm)
    if len(ins) > 2 and ins[2] is not None:
        out = out + attrs.get("beta", 1.0) * ins[2]
    return [out]


def attr(node, name, default=None):
    """Value of a node attribute, or default."""
    for a in node.attribute:
        if a.name == name:
            return onnx.helper.get_attribute_value(a)
    return default


OPS = {
    "LSTM": op_lstm,
    "Gemm": op_gemm,
    "Transpose": lambda n, i: [np.transpose(i[0], attr(n, "perm"))],
    "Constant": lambda n, i: [numpy_helper.to_array(attr(n, "value"))],
    "Squeeze": lambda n, i: [np.squeeze(i[0], axis=tuple(int(a) for a in i[1]))],
    "Unsqueeze": lambda n, i: [np.expand_dims(i[0], axis=tuple(int(a) for a in i[1]))],
    "Gather": lambda n, i: [np.take(i[0], i[1], axis=attr(n, "axis", 0))],
    "MatMul": lambda n, i: [i[0] @ i[1]],
    "Add": lambda n, i: [i[0] + i[1]],
    "Identity": lambda n, i: [i[0]],
}


def run_graph(model, feeds):
    """Evaluate the graph in float64 with the numpy operators above."""
    env = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in model.graph.initializer}
    env.update({k: np.asarray(v, dtype=np.float64) for k, v in feeds.items()})
    for node in model.graph.node:
        if node.op_type not in OPS:
            raise NotImplementedError(f"operator {node.op_type} not in the numpy interpreter")
        ins = [env[n] if n else None for n in node.input]
        for name, val in zip(node.output, OPS[node.op_type](node, ins)):
            env[name] = val
    return {o.name: env[o.name] for o in model.graph.output}


def check_structure(model, manifest):
    """Checker, opset, tensor names and a single LSTM node; returns a list of problems."""
    onnx.checker.check_model(model)
    problems = []
    if list(manifest) != MANIFEST_KEYS:
        problems.append(f"manifest keys {list(manifest)} != {MANIFEST_KEYS}")
    ops = [n.op_type for n in model.graph.node]
    if ops.count("LSTM") != 1:
        problems.append(f"expected one LSTM node, got {ops}")
    opset = {o.domain or "ai.onnx": o.version for o in model.opset_import}.get("ai.onnx")
    if opset != manifest["opset"]:
        problems.append(f"opset {opset} != manifest {manifest['opset']}")
    names_in = [i.name for i in model.graph.input]
    names_out = [o.name for o in model.graph.output]
    if names_in != list(manifest["inputs"].values()):
        problems.append(f"inputs {names_in} != manifest {manifest['inputs']}")
    if names_out != list(manifest["outputs"].values()):
        problems.append(f"outputs {names_out} != manifest {manifest['outputs']}")
    return problems


def check_golden(model, golden, atol):
    """Run every golden case; returns a list of problems."""
    problems = []
    for n, case in enumerate(golden["cases"]):
        feeds = {k: np.reshape(case[k], case[k + "Shape"]) for k in ("x", "h0", "c0")}
        out = run_graph(model, feeds)
        for k in ("yhat", "hn", "cn"):
            want = np.reshape(case[k], case[k + "Shape"])
            err = float(np.max(np.abs(out[k] - want)))
            status = "ok" if out[k].shape == want.shape and err <= atol else "FAIL"
            print(f"golden case {n} {k:4s} shape {list(want.shape)} max abs err {err:.2e} {status}")
            if status != "ok":
                problems.append(f"case {n} {k}: shape {out[k].shape} err {err}")
    return problems


def check_split(model, hidden, atol):
    """One call over 12 steps must equal 7 steps then 5 steps with the state carried."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 12, 1))
    zeros = np.zeros((1, 2, hidden))
    whole = run_graph(model, {"x": x, "h0": zeros, "c0": zeros})
    first = run_graph(model, {"x": x[:, :7], "h0": zeros, "c0": zeros})
    second = run_graph(model, {"x": x[:, 7:], "h0": first["hn"], "c0": first["cn"]})
    err = max(float(np.max(np.abs(whole[k] - second[k]))) for k in ("yhat", "hn", "cn"))
    print(f"split-call state carry max abs err {err:.2e}")
    return [] if err <= atol else [f"split call differs by {err}"]


def main(argv=None):
    """Verify the model folder given on the command line."""
    ap = argparse.ArgumentParser(description="Verify model.onnx against its manifest and golden vectors.")
    ap.add_argument("folder")
    ap.add_argument("--atol", type=float, default=1e-4)
    args = ap.parse_args(argv)
    model = onnx.load(os.path.join(args.folder, "model.onnx"))
    with open(os.path.join(args.folder, "manifest.json")) as f:
        manifest = json.load(f)
    with open(os.path.join(args.folder, manifest["golden"])) as f:
        golden = json.load(f)
    problems = check_structure(model, manifest)
    problems += check_golden(model, golden, args.atol)
    problems += check_split(model, manifest["hidden"], 1e-9)
    for p in problems:
        print(f"error: {p}", file=sys.stderr)
    print("verify: OK" if not problems else "verify: FAILED")
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
