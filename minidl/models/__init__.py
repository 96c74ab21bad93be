"""The article's three code examples, working, and the sequence-to-sequence model.

    cnn.py          CNN                 article 4.1 (fc1's size computed, not 9216)
    lstm.py         LSTMModel           article 4.2
    transformer.py  TransformerModel    article 4.3 (PositionalEncoding, math, argument order)
    data.py         load_digits         scikit-learn's bundled digits, split and shaped
    dates.py        date data set       human-written dates and their ISO form, generated
    seq2seq.py      DateTransformer     the encoder–decoder model that reads them

What trains and checks these (the tour, ``check``, ``train``) is in ``minidl/tools``.

The errata of the article's code are in ``docs/errata.md``.
"""
from .cnn import CNN
from .lstm import LSTMModel
from .transformer import TransformerModel

__all__ = ["CNN", "LSTMModel", "TransformerModel"]
