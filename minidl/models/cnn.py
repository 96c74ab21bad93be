"""The article's CNN (its code example 4.1), working.

Two convolutions, each followed by ReLU and 2×2 max pooling, then two fully connected
layers. The article flattens with a hard-coded ``x.view(-1, 9216)``; 9216 = 64·12·12 is
what a 28×28 image gives after two 3×3 convolutions and a *single* pooling, but the
forward pools twice, which leaves 64·5·5 = 1600 features (see ``docs/errata.md``). Here
``fc1``'s input size is computed in ``__init__`` from ``input_size``, and the forward
flattens whatever the convolutions produce.
"""
import minidl.functional as F
import minidl.nn as nn

__all__ = ["CNN", "conv_out_size"]


def conv_out_size(size, kernel_size, stride=1, padding=0):
    """Output height (or width) of a convolution or pooling: ⌊(size + 2p − k)/s⌋ + 1."""
    return (size + 2 * padding - kernel_size) // stride + 1


class CNN(nn.Module):
    """conv1 → ReLU → pool → conv2 → ReLU → pool → flatten → fc1 → ReLU → fc2.

    Args:
        input_size: height = width of the square input images (the article's 28).
        num_classes: number of classes (10 digits).

    Shape:
        input (N, 1, H, W) with H = W = input_size → logits (N, num_classes).
        With input_size 28: 28 −conv→ 26 −pool→ 13 −conv→ 11 −pool→ 5, so fc1 reads
        64·5·5 = 1600 features.

    >>> import minidl as md
    >>> model = CNN(input_size=28)
    >>> model.fc1.in_features
    1600
    >>> model(md.zeros(2, 1, 28, 28)).shape
    (2, 10)
    """

    def __init__(self, input_size=28, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        # FIX (article): fc1 = nn.Linear(9216, 128) — 9216 = 64·12·12 assumes one pooling
        # of a 28×28 input; forward pools twice. Compute the size from input_size.
        size = conv_out_size(input_size, 3)          # conv1, 3×3, stride 1
        size = conv_out_size(size, 2, 2)             # 2×2 max pool
        size = conv_out_size(size, 3)                # conv2
        size = conv_out_size(size, 2, 2)             # 2×2 max pool
        if size < 1:
            raise ValueError(f"CNN: input_size {input_size} is too small for two 3×3 "
                             f"convolutions and two 2×2 poolings (needs >= 10)")
        self.input_size = input_size
        self.flat_features = 64 * size * size
        self.fc1 = nn.Linear(self.flat_features, 128)
        self.fc2 = nn.Linear(128, num_classes)

    def forward(self, x):
        x = F.relu(self.conv1(x))                    # (N, 32, 26, 26)
        x = F.max_pool2d(x, 2)                       # (N, 32, 13, 13)
        x = F.relu(self.conv2(x))                    # (N, 64, 11, 11)
        x = F.max_pool2d(x, 2)                       # (N, 64, 5, 5)
        # FIX (article): x.view(-1, 9216) — keep the batch axis, flatten the rest.
        x = x.reshape(x.shape[0], -1)                # (N, 1600)
        x = F.relu(self.fc1(x))                      # (N, 128)
        return self.fc2(x)                           # (N, num_classes)
