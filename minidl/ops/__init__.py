"""Primitive ops: each a ``Function`` with its forward and its hand-written backward.

    elementwise.py   + - * / ** neg exp log sqrt tanh sigmoid relu abs clip maximum where
    reduce.py        sum mean max min
    linalg.py        matmul, linear (x Wᵀ + b as one node)
    shape.py         reshape transpose getitem broadcast_to cat stack
    softmax.py       softmax log_softmax
    conv.py          conv2d
    pooling.py       max_pool2d avg_pool2d
    special.py       gelu (and the erfc it needs)
    recurrent.py     LSTMScan: the LSTM recurrence over a whole sequence, fused
    attention.py     Attention: scaled dot-product attention, fused (no dropout)

Composite ops (written as formulas from these, with no backward of their own) live in
``minidl/functional``.
"""
