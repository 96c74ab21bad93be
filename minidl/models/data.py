"""The tour's data: scikit-learn's bundled handwritten digits, no download.

``sklearn.datasets.load_digits`` ships 1 797 greyscale images of 8×8 pixels (values 0–16)
of the digits 0–9 inside the scikit-learn package. The tour splits them once, the same
way every time (stratified, 80 % train / 20 % test, ``random_state=0``: 1 437 / 360
images), and scales the pixels to [0, 1] by dividing by 16 (no standardisation).

Each model sees the images in the layout of its article example:

* the CNN (article 4.1) reads 28×28 images, ``(N, 1, 28, 28)``: the 8×8 digits are
  enlarged bilinearly by :func:`resize_bilinear` (``scipy.ndimage.zoom``; SciPy comes
  with scikit-learn);
* the LSTM (4.2) and the Transformer (4.3) read each image as a sequence of its 8 rows of
  8 pixels, ``(N, L=8, D=8)``, batch first.

scikit-learn (and SciPy, which it requires) are an optional extra (``pip install
"minidl[examples]"``); without them :func:`load_digits` and :func:`resize_bilinear` raise
:class:`MissingExtraError`, whose message says what to install.
"""
import numpy as np

__all__ = ["Digits", "MissingExtraError", "load_digits", "resize_bilinear", "INSTALL_HINT"]

INSTALL_HINT = ('pip install "minidl[examples]" (or, from a clone of the repository, '
                'pip install -e ".[examples]")')


class MissingExtraError(ImportError):
    """An optional dependency of the examples (scikit-learn) is not installed."""


class Digits:
    """The split digits: ``x_train (1437, 8, 8)``, ``y_train (1437,)``, ``x_test (360, 8, 8)``,
    ``y_test (360,)``; pixels in [0, 1] (float64), labels int64 in 0..9.

    ``view(kind)`` gives the arrays in a model's layout: ``"image28"`` → (N, 1, 28, 28),
    ``"rows"`` → (N, 8, 8) (a sequence of 8 rows of 8 pixels).
    """

    def __init__(self, x_train, y_train, x_test, y_test):
        self.x_train, self.y_train = x_train, y_train
        self.x_test, self.y_test = x_test, y_test
        self._views = {}

    def view(self, kind, dtype=np.float32):
        """(x_train, y_train, x_test, y_test) in the layout ``kind`` and the dtype ``dtype``."""
        key = (kind, np.dtype(dtype))
        if key not in self._views:
            if kind == "image28":
                shape = lambda x: resize_bilinear(x, 28, 28)[:, None]   # (N, 1, 28, 28)
            elif kind == "rows":
                shape = lambda x: x                                     # (N, L=8, D=8)
            else:
                raise ValueError(f"Digits.view: kind must be 'image28' or 'rows', got {kind!r}")
            self._views[key] = (shape(self.x_train).astype(dtype), self.y_train,
                                shape(self.x_test).astype(dtype), self.y_test)
        return self._views[key]

    def subset(self, n_train, n_test=None):
        """The first ``n_train`` training and ``n_test`` test images (for quick tests)."""
        n_test = len(self.y_test) if n_test is None else n_test
        return Digits(self.x_train[:n_train], self.y_train[:n_train],
                      self.x_test[:n_test], self.y_test[:n_test])


def _import_sklearn():
    try:
        from sklearn.datasets import load_digits as sk_load_digits
        from sklearn.model_selection import train_test_split
    except ImportError:
        raise MissingExtraError("the examples need scikit-learn for their data set (its "
                                "bundled handwritten digits); install the extra: "
                                + INSTALL_HINT) from None
    return sk_load_digits, train_test_split


def load_digits(test_size=0.2, random_state=0):
    """Load and split the digits: stratified, ``test_size`` of each class held out.

    Returns:
        a :class:`Digits` with pixels divided by 16, so in [0, 1].

    Raises:
        MissingExtraError: scikit-learn is not installed.
    """
    sk_load_digits, train_test_split = _import_sklearn()
    bunch = sk_load_digits()
    x = bunch.images.astype(np.float64) / 16.0           # (1797, 8, 8) in [0, 1]
    y = bunch.target.astype(np.int64)                    # (1797,)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=test_size, stratify=y, random_state=random_state)
    return Digits(x_train, y_train, x_test, y_test)


def resize_bilinear(images, height, width):
    """Resize a batch of images ``(N, H, W)`` → ``(N, height, width)`` bilinearly.

    Half-pixel centres (as PIL, OpenCV and PyTorch's ``align_corners=False``): output
    pixel o sits at input coordinate ``s = (o + 0.5)·H/height − 0.5``, clamped to
    [0, H − 1], and takes ``1 − f`` of pixel ⌊s⌋ and ``f`` of pixel ⌊s⌋ + 1,
    ``f = s − ⌊s⌋``; the same along the columns. This is ``scipy.ndimage.zoom`` with
    ``order=1`` (linear), ``grid_mode=True`` (scale the pixel extents, not the centres)
    and ``mode="nearest"`` (clamp at the border), image by image (zoom 1 along N).

    Raises:
        ValueError: ``images`` is not 3-D.
        MissingExtraError: SciPy is not installed.

    >>> import numpy as np
    >>> resize_bilinear(np.array([[[0.0, 1.0]]]), 1, 4)
    array([[[0.  , 0.25, 0.75, 1.  ]]])
    """
    images = np.asarray(images, dtype=np.float64)
    if images.ndim != 3:
        raise ValueError(f"resize_bilinear: images must be (N, H, W), got shape {images.shape}")
    try:
        from scipy.ndimage import zoom
    except ImportError:
        raise MissingExtraError("resize_bilinear needs SciPy (it comes with scikit-learn); "
                                "install the extra: " + INSTALL_HINT) from None
    _, H, W = images.shape
    out = zoom(images, (1, height / H, width / W), order=1, mode="nearest", grid_mode=True)
    if out.shape[1:] != (height, width):                  # zoom rounds H·(height/H)
        raise ValueError(f"resize_bilinear: cannot resize {(H, W)} to {(height, width)}")
    return out
