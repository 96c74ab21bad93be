"""The article's Transformer encoder classifier (its code example 4.3), working.

The article's version does not run: ``PositionalEncoding`` is never defined (minidl has
``nn.PositionalEncoding``), ``math`` is never imported for ``math.sqrt(d_model)``, and
``nn.TransformerEncoderLayer(input_size, hidden_size, num_heads)`` puts the arguments in
the wrong places (PyTorch's order is ``d_model, nhead, dim_feedforward``). See
``docs/errata.md``.
"""
import math  # FIX (article): used for math.sqrt(d_model) but never imported

import minidl.nn as nn

__all__ = ["TransformerModel"]


class TransformerModel(nn.Module):
    r"""Linear projection to d_model, ×√d_model, + positional encoding, encoder, mean, fc.

    .. math::

        z = \mathrm{Encoder}\big(x W_{emb}^\top\sqrt{d_{model}} + PE\big), \qquad
        \text{logits} = W_{fc}\,\tfrac{1}{L}\textstyle\sum_t z_t + b_{fc}

    The sequence is pooled by the **mean over its positions** (every row of the digit
    counts alike), not by its last step.

    Args:
        input_size: features per position D (8 pixels of a row).
        hidden_size: d_model E, the width of the encoder.
        num_layers: encoder layers.
        num_heads: attention heads h (E must be divisible by h).
        num_classes: number of classes.
        dim_feedforward: width of each layer's feed-forward block.
        dropout: dropout of the positional encoding and of the encoder layers.

    Shape:
        input (N, L, D), batch first → logits (N, num_classes). Inside, the encoder
        works in PyTorch's default layout (L, N, E).

    >>> import minidl as md
    >>> model = TransformerModel(8, hidden_size=16, num_layers=1, num_heads=2, num_classes=10)
    >>> model(md.zeros(3, 8, 8)).shape
    (3, 10)
    """

    def __init__(self, input_size, hidden_size, num_layers, num_heads, num_classes,
                 dim_feedforward=None, dropout=0.1):
        super().__init__()
        self.d_model = hidden_size
        dim_feedforward = 2 * hidden_size if dim_feedforward is None else dim_feedforward
        self.embedding = nn.Linear(input_size, hidden_size)     # rows are real vectors
        # FIX (article): PositionalEncoding was never defined; minidl ships it.
        self.pos_encoder = nn.PositionalEncoding(hidden_size, dropout=dropout)
        # FIX (article): nn.TransformerEncoderLayer(input_size, hidden_size, num_heads)
        # means d_model=input_size, nhead=hidden_size, dim_feedforward=num_heads.
        encoder_layer = nn.TransformerEncoderLayer(hidden_size, num_heads, dim_feedforward,
                                                   dropout)
        self.transformer_encoder = nn.TransformerEncoder(encoder_layer, num_layers)
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, x):
        x = x.transpose(1, 0, 2)                                # (N, L, D) → (L, N, D)
        x = self.embedding(x) * math.sqrt(self.d_model)         # (L, N, E)
        x = self.pos_encoder(x)                                 # + PE[:L]
        x = self.transformer_encoder(x)                         # (L, N, E)
        x = x.mean(axis=0)                                      # mean over positions (N, E)
        return self.fc(x)                                       # (N, num_classes)
