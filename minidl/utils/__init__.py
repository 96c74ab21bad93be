"""``minidl.utils``: helpers outside the maths — ``minidl.utils.data`` (datasets,
samplers, DataLoader), as PyTorch's ``torch.utils``."""
from . import data

__all__ = ["data"]
