"""The article's three code examples, working, and what trains and checks them.

    cnn.py          CNN                 article 4.1 (fc1's size computed, not 9216)
    lstm.py         LSTMModel           article 4.2
    transformer.py  TransformerModel    article 4.3 (PositionalEncoding, math, argument order)
    data.py         load_digits         scikit-learn's bundled digits, split and shaped
    training.py     train               the loop, progress, checkpoints, resume
    check.py        run_check           the gradient-check report
    cli.py          main                ``python -m minidl`` [check | train ...]

The errata of the article's code are in ``docs/errata.md``.
"""
from .cnn import CNN
from .lstm import LSTMModel
from .transformer import TransformerModel

__all__ = ["CNN", "LSTMModel", "TransformerModel"]
