#!/usr/bin/python3
"""Export the yardstick of `bench inference`: one matrix product, a[n, k] @ w[k, m], as an ONNX model.

`bench inference` times it with the shape of the served model's gate product (k = hidden + features,
m = 4 x hidden, n = the batch) in the same run as the model, so "what share of the arithmetic limit"
is measured on this CPU with the same ONNX Runtime, not taken from a data sheet. Both operands are
inputs, so one small file serves every model size. Regenerate with:

    /usr/bin/python3 benchmarks/Forecast.Bench/Yardstick/export_matmul.py
"""

import os

import torch


class MatMul(torch.nn.Module):
    def forward(self, a: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        return a @ w


def main() -> None:
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "matmul.onnx")
    torch.onnx.export(
        MatMul(),
        (torch.zeros(2, 65), torch.zeros(65, 256)),
        out,
        input_names=["a", "w"],
        output_names=["y"],
        dynamic_axes={"a": {0: "n", 1: "k"}, "w": {0: "k", 1: "m"}, "y": {0: "n", 1: "m"}},
        opset_version=14,
    )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
