"""``minidl.nn``: layers with PyTorch's names, arguments, parameter names and shapes.

    module.py         Module Parameter
    init.py, utils/   nn.init (initialisation), nn.utils (gradient clipping, vectors),
                      nn.utils.rnn (pad_sequence, pack_padded_sequence, PackedSequence)
    container.py      Sequential ModuleList ModuleDict ParameterList ParameterDict
    linear.py         Linear Identity Flatten Unflatten        (F3)
    activation.py     ReLU Tanh Sigmoid GELU Softmax LogSoftmax SiLU LeakyReLU ELU Softplus
                      ReLU6 Hardtanh PReLU LogSigmoid Mish Softsign GLU Threshold
                      Hardswish Hardsigmoid Tanhshrink Softmin Hardshrink Softshrink SELU CELU
                      Softmax2d
    dropout.py        Dropout Dropout1d Dropout2d Dropout3d
    loss.py           CrossEntropyLoss NLLLoss MSELoss L1Loss KLDivLoss BCELoss
                      BCEWithLogitsLoss                        (F11)
                      SmoothL1Loss HuberLoss MarginRankingLoss CosineEmbeddingLoss
                      TripletMarginLoss SoftMarginLoss HingeEmbeddingLoss
                      MultiLabelSoftMarginLoss
    conv.py           Conv2d                                   (F1)
                      Conv1d ConvTranspose1d ConvTranspose2d
    pooling.py        MaxPool2d AvgPool2d                      (F2)
                      MaxPool1d AvgPool1d AdaptiveAvgPool1d/2d AdaptiveMaxPool1d/2d
    recurrent.py      RNNCell RNN LSTMCell LSTM GRUCell GRU    (F4–F6)
    attention.py      MultiheadAttention                       (F8)
    normalization.py  LayerNorm BatchNorm1d BatchNorm2d GroupNorm InstanceNorm1d/2d/3d
                      LocalResponseNorm
    sparse.py         Embedding
    distance.py       CosineSimilarity PairwiseDistance
    padding.py        ZeroPad1d/2d/3d ConstantPad1d/2d/3d ReflectionPad1d/2d/3d
                      ReplicationPad1d/2d/3d CircularPad1d/2d/3d
    fold.py           Unfold Fold
    vision.py         Upsample UpsamplingNearest2d UpsamplingBilinear2d PixelShuffle
                      PixelUnshuffle
    transformer.py    PositionalEncoding TransformerEncoderLayer TransformerEncoder  (F9, F10)
                      TransformerDecoderLayer TransformerDecoder Transformer  (F8 cross-attention)
"""
import sys as _sys

from .. import functional
# ``import minidl.nn.functional as F`` (PyTorch's spelling) finds the same module
_sys.modules[__name__ + ".functional"] = functional
from . import init
from . import utils
from .module import Module, Parameter, StateDictError
from .container import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .linear import Flatten, Identity, Linear, Unflatten
from .activation import ELU, GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, SiLU, Softmax, \
    Softplus, Tanh
from .activation import CELU, GLU, SELU, Hardshrink, Hardsigmoid, Hardswish, Hardtanh, \
    LogSigmoid, Mish, PReLU, ReLU6, Softmax2d, Softmin, Softshrink, Softsign, Tanhshrink, Threshold
from .dropout import Dropout, Dropout1d, Dropout2d, Dropout3d
from .loss import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
from .recurrent import *  # noqa: F401,F403
from .attention import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .sparse import *  # noqa: F401,F403
from .transformer import *  # noqa: F401,F403
from .vision import *  # noqa: F401,F403
from .distance import *  # noqa: F401,F403
from .padding import *  # noqa: F401,F403
from .fold import *  # noqa: F401,F403
