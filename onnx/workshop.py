"""What the workshop's training scripts share: the dependency check, seeding, the stateful LSTM,
and golden-vector and JSON output.

Importing this module checks for Debian's numpy, PyTorch and ONNX and exits 2 with the install advice
when one is missing, so a script imports it before them.
"""

import json
import random
import sys

try:
    import numpy as np
    import torch
    import torch.nn as nn
    import onnx  # noqa: F401  (checked here; the scripts import it themselves)
except ImportError as exc:  # pragma: no cover - environment check
    print(f"error: {exc}\n"
          "This script needs Debian's PyTorch and ONNX packages:\n"
          "    apt-get install python3-torch python3-onnx python3-numpy\n"
          "and must run under /usr/bin/python3.", file=sys.stderr)
    sys.exit(2)


def seed_everything(seed):
    """Seed python, numpy and torch and make torch deterministic on one thread."""
    random.seed(seed)
    np.random.seed(seed % (2 ** 32))
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)
    # One thread: deterministic float sums and no contention with the C# build.
    torch.set_num_threads(1)


def write_json(path, obj):
    """JSON with a trailing newline."""
    with open(path, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")


def fmt(a):
    """Flat list of floats, 9 significant digits (round-trips float32)."""
    return [float(f"{v:.9g}") for v in np.asarray(a, dtype=np.float32).ravel()]


def gradient_step(model, opt, loss):
    """One optimiser step on loss with the gradient norm clipped to 1; returns the loss as a float."""
    opt.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    return loss.item()


class StatefulLstm(nn.Module):
    """LSTM + linear head; exported with (h0, c0) in and (hn, cn) out."""

    def __init__(self, layers, hidden, horizon):
        super().__init__()
        self.lstm = nn.LSTM(1, hidden, num_layers=layers, batch_first=True)
        self.head = nn.Linear(hidden, horizon)
        with torch.no_grad():  # forget-gate bias 1 so memory is kept early (PyTorch gate order i, f, g, o)
            for layer in range(layers):
                getattr(self.lstm, f"bias_ih_l{layer}")[hidden:2 * hidden].fill_(1.0)
                getattr(self.lstm, f"bias_hh_l{layer}")[hidden:2 * hidden].fill_(0.0)

    def sequence(self, x, state=None):
        """Forecasts at every step: x [B,T,1] -> [B,T,H], state."""
        out, state = self.lstm(x, state)
        return self.head(out), state

    def forward(self, x, h0, c0):
        """The exported stateful step: the forecast from the last step only."""
        out, (hn, cn) = self.lstm(x, (h0, c0))
        return self.head(out[:, -1, :]), hn, cn
