"""The article's LSTM classifier (its code example 4.2), working.

An ``nn.LSTM`` reads the sequence (batch first); a linear layer classifies the output
of the last time step. As printed, this example runs once its imports point at minidl.
"""
import minidl.nn as nn

__all__ = ["LSTMModel"]


class LSTMModel(nn.Module):
    """nn.LSTM(input_size, hidden_size, num_layers, batch_first=True) → last step → fc.

    Args:
        input_size: features per time step D (8 pixels of a digit's row).
        hidden_size: H.
        num_layers: stacked LSTM layers.
        num_classes: number of classes.

    Shape:
        input (N, L, D) → logits (N, num_classes).

    >>> import minidl as md
    >>> model = LSTMModel(input_size=8, hidden_size=16, num_layers=2, num_classes=10)
    >>> model(md.zeros(3, 8, 8)).shape
    (3, 10)
    """

    def __init__(self, input_size, hidden_size, num_layers, num_classes):
        super().__init__()
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.lstm = nn.LSTM(input_size, hidden_size, num_layers, batch_first=True)
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, x):
        out, _ = self.lstm(x)                        # (N, L, H); initial states are zeros
        return self.fc(out[:, -1, :])                # the last time step → (N, num_classes)
