"""Complete PyTorch-style programs, each run twice: with PyTorch and with minidl.

Every program here is an ordinary PyTorch script (it starts with ``import torch``). The
test loads its source twice — once as it is, once with only its import lines changed by
:func:`tests.programs.switch.load` — and compares forward outputs, losses, gradients and
the weights after a few optimiser and scheduler steps, in float64.
"""
