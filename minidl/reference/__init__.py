"""Literal references: the article's formulas F1–F11 as plain loops over NumPy arrays.

Each function here is the formula of its docstring written out index by index — one
Python ``for`` per index of the formula, one named line per equation — so that it can
be read beside the formula and trusted by inspection. They are:

* **slow** on purpose: scalar Python loops, fine for the small shapes of tests and of
  the gradient-check report, useless for training;
* **forward only**: no autograd, no gradients; they take and return ``np.ndarray``;
* **the oracle**: the fast ops of ``minidl.functional`` are tested against them, and
  they are tested against hand-computed cases, SciPy and PyTorch;
* **pure NumPy**: they import nothing from the rest of minidl.

Arguments and semantics follow ``torch.nn.functional`` (and the matching
``minidl.functional`` op); sums are accumulated in float64 and the result is returned
in the inputs' dtype.

Shape legend: N batch, C_in / C_out channels, H / W height and width, L target length,
S source length, E embedding, h heads.

    >>> import numpy as np
    >>> import minidl.reference as ref
    >>> ref.conv2d(np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2)))
    array([[[[4., 4.],
             [4., 4.]]]])
"""
from .attention import multi_head_attention, scaled_dot_product_attention
from .conv import conv2d
from .pooling import avg_pool2d, max_pool2d
from .linear import linear
from .loss import cross_entropy, log_softmax, softmax
from .positional import positional_encoding
from .recurrent import lstm_cell, rnn_step
from .gru import gru, gru_cell
from .batch_norm import batch_norm
from .transformer import layer_norm, transformer_decoder_layer, transformer_encoder_layer

__all__ = [
    "conv2d",
    "max_pool2d",
    "avg_pool2d",
    "rnn_step",
    "lstm_cell",
    "gru_cell",
    "gru",
    "batch_norm",
    "scaled_dot_product_attention",
    "multi_head_attention",
    "linear",
    "softmax",
    "log_softmax",
    "cross_entropy",
    "positional_encoding",
    "layer_norm",
    "transformer_encoder_layer",
    "transformer_decoder_layer",
]
