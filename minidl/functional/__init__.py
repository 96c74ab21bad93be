"""``minidl.functional`` (import as ``F``): every op of the library as a function.

Primitives (with a hand-written backward) come from ``minidl/ops``; the composites here
are written as their formulas from primitives and need no backward of their own:

    activation.py     relu tanh sigmoid gelu softmax log_softmax silu leaky_relu elu softplus
                      hardtanh relu6 threshold hardsigmoid hardswish logsigmoid mish
                      softsign tanhshrink hardshrink softshrink selu celu glu softmin
                      prelu gumbel_softmax
    linear.py         linear                                       (F3)
    loss.py           cross_entropy nll_loss mse_loss l1_loss kl_div
                      binary_cross_entropy binary_cross_entropy_with_logits   (F11)
                      smooth_l1_loss huber_loss margin_ranking_loss
                      cosine_embedding_loss triplet_margin_loss soft_margin_loss
                      hinge_embedding_loss multilabel_soft_margin_loss
    dropout.py        dropout dropout1d dropout2d dropout3d
    ../ops/conv.py    conv2d                                       (F1, a primitive)
    conv.py           conv1d conv_transpose1d conv_transpose2d unfold fold  (over F1)
    ../ops/pooling.py    max_pool2d avg_pool2d                        (F2, primitives)
    pooling.py        adaptive_avg_pool1d/2d adaptive_max_pool1d/2d max_pool1d avg_pool1d
    recurrent.py      rnn_step rnn_cell lstm_cell gru_cell         (F4–F6)
    attention.py      scaled_dot_product_attention multi_head_attention   (F7, F8)
    normalization.py  layer_norm batch_norm group_norm instance_norm local_response_norm
    sparse.py         embedding one_hot
    padding.py        pad
    vision.py         interpolate upsample pixel_shuffle pixel_unshuffle affine_grid grid_sample
    distance.py       normalize cosine_similarity pairwise_distance
"""
from .activation import *  # noqa: F401,F403
from .linear import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .dropout import *  # noqa: F401,F403
from ..ops.conv import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from ..ops.pooling import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
from .recurrent import *  # noqa: F401,F403
from .attention import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .sparse import *  # noqa: F401,F403
from .padding import *  # noqa: F401,F403
from .vision import *  # noqa: F401,F403
from .distance import *  # noqa: F401,F403
