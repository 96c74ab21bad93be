"""``minidl.nn``: layers with PyTorch's names, arguments, parameter names and shapes.

    module.py         Module Parameter
    container.py      Sequential ModuleList
    linear.py         Linear Identity Flatten                  (F3)
    activation.py     ReLU Tanh Sigmoid GELU Softmax LogSoftmax
    dropout.py        Dropout
    loss.py           CrossEntropyLoss MSELoss                 (F11)
    conv.py           Conv2d                                   (F1)
    pooling.py        MaxPool2d AvgPool2d                      (F2)
    rnn.py            RNNCell RNN LSTMCell LSTM                (F4–F6)
    attention.py      MultiheadAttention                       (F8)
    normalization.py  LayerNorm
    sparse.py         Embedding
    transformer.py    PositionalEncoding TransformerEncoderLayer TransformerEncoder  (F9, F10)
"""
from .. import functional
from . import init
from .module import Module, Parameter, StateDictError
from .container import ModuleList, Sequential
from .linear import Flatten, Identity, Linear
from .activation import GELU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from .dropout import Dropout
from .loss import CrossEntropyLoss, MSELoss
from .conv import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
from .rnn import *  # noqa: F401,F403
from .attention import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .sparse import *  # noqa: F401,F403
from .transformer import *  # noqa: F401,F403
