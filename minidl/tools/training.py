"""Training the tour's models: the loop, progress, checkpoints.

``train(name, data, ...)`` trains one model with Adam and cross-entropy, evaluates it on
its held-out test set after every epoch and returns a :class:`TrainResult`. Two tasks:

* ``"digits"`` (the article's CNN, LSTM and Transformer): scikit-learn's handwritten
  digits, one label per image; the score is the test accuracy;
* ``"dates"`` (the encoder–decoder ``seq2seq``): dates written in ten human formats
  rewritten in ISO form (:mod:`minidl.models.dates`, generated, no download), trained
  with teacher forcing (cross-entropy of every target character); the score is the
  exact match of greedy decoding — the whole ``YYYY-MM-DD`` right — on test days that
  never occur in training. Its batches are bucketed: sorted by source length, cut into
  batches, the batches shuffled, each trimmed to its longest source.

Everything random is seeded, so a run repeats exactly:

* the weights are drawn after ``md.manual_seed(seed)``;
* the batches of epoch e (and the CNN's random shifts of its images by up to ±2 pixels,
  the one data augmentation) are drawn from ``np.random.default_rng((seed, e))``, which
  depends on nothing but the seed and the epoch;
* the learning rate of step s (counted from 1 over the whole run) in epoch e is
  ``lr · lr_decay^(e − 1) · min(1, s / warmup)`` (no warm-up when ``warmup = 0``), a
  function of s and e alone;
* dropout draws from minidl's generator, whose state goes into each checkpoint
  (``minidl.random.get_rng_state``).

With ``out`` a checkpoint ``epoch_NNN.npz`` (``md.save``: model and optimiser state
dicts, epoch, seed, hyper-parameters, RNG state, loss history) is written after every
epoch (with ``keep=N`` only the last N are kept), and ``resume=True`` continues from the
last one to exactly the weights an uninterrupted run would reach.

The hyper-parameters in ``MODELS`` were tuned for the tour: every model above its target
test accuracy (CNN 97 %, LSTM and Transformer 95 %, seq2seq 97 % exact match) over
several seeds, the four trainings in about a minute on two CPU cores. NumPy's BLAS is
held to one thread while training (:func:`one_blas_thread`).
"""
import glob
import math
import os
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field

import numpy as np

import minidl as md
import minidl.functional as F
import minidl.optim as optim
from minidl import random as md_random

from ..models.cnn import CNN
from ..models.dates import PAD, make_dates
from ..models.lstm import LSTMModel
from ..models.seq2seq import DateTransformer, exact_match
from ..models.transformer import TransformerModel

__all__ = ["MODELS", "ModelConfig", "TrainResult", "TrainError", "train", "evaluate",
           "load_data", "build_model", "count_parameters", "Progress", "last_checkpoint",
           "random_shift", "one_blas_thread", "DATES_TRAIN", "DATES_TEST"]

CHECKPOINT_FORMAT = "minidl-train-checkpoint/1"


class TrainError(Exception):
    """A user error of the train command (bad resume directory, mismatched checkpoint)."""


@dataclass
class ModelConfig:
    """How the tour trains one model: constructor, data and default hyper-parameters."""
    name: str
    title: str
    build: object          # () -> nn.Module
    view: str              # the Digits.view layout ("dates" for the seq2seq task)
    epochs: int
    batch_size: int
    lr: float
    lr_decay: float = 1.0  # the lr of epoch e is lr · lr_decay^(e − 1) ...
    warmup: int = 0        # ... times min(1, s / warmup) at step s (0: no warm-up)
    shift: int = 0         # augmentation: images moved by up to ± shift pixels
    task: str = "digits"   # "digits" (classify load_digits) or "dates" (seq2seq)


MODELS = {
    "cnn": ModelConfig("cnn", "CNN (4.1)", lambda: CNN(input_size=28, num_classes=10),
                       "image28", epochs=12, batch_size=32, lr=2e-3, lr_decay=0.85, shift=2),
    "lstm": ModelConfig("lstm", "LSTM (4.2)",
                        lambda: LSTMModel(input_size=8, hidden_size=128, num_layers=1,
                                          num_classes=10),
                        "rows", epochs=30, batch_size=16, lr=3e-3, lr_decay=0.9),
    "transformer": ModelConfig("transformer", "Transformer (4.3)",
                               lambda: TransformerModel(input_size=8, hidden_size=64,
                                                        num_layers=2, num_heads=4,
                                                        num_classes=10, dim_feedforward=128,
                                                        dropout=0.1),
                               "rows", epochs=30, batch_size=16, lr=2e-3, lr_decay=0.9),
    "seq2seq": ModelConfig("seq2seq", "Seq2seq dates (F8)",
                           lambda: DateTransformer(d_model=32, nhead=4, num_encoder_layers=1,
                                                   num_decoder_layers=1, dim_feedforward=64,
                                                   dropout=0.0, norm_first=True),
                           "dates", epochs=5, batch_size=64, lr=8e-3, lr_decay=0.5,
                           warmup=100, task="dates"),
}

DATES_TRAIN, DATES_TEST = 12800, 2000     # the seq2seq task's days (disjoint), data seed 0


@dataclass
class TrainResult:
    name: str
    parameters: int
    epochs: int
    train_time: float                  # seconds spent in training steps (this run)
    test_accuracy: float               # seq2seq: exact match of greedy decoding
    history: dict = field(default_factory=dict)
    model: object = None
    eval_time: float = 0.0             # seconds spent scoring the test set (this run)


def random_shift(images, shift, rng):
    """Move each image ``(N, C, H, W)`` (or ``(N, H, W)``) by a random whole number of
    pixels in [−shift, shift] along each axis, filling with zeros (data augmentation)."""
    if images.ndim == 3:
        return random_shift(images[:, None], shift, rng)[:, 0]
    N, C, H, W = images.shape
    dy, dx = rng.integers(-shift, shift + 1, size=(2, N))
    padded = np.pad(images, ((0, 0), (0, 0), (shift, shift), (shift, shift)))
    rows = (shift - dy)[:, None] + np.arange(H)                 # (N, H): source rows
    cols = (shift - dx)[:, None] + np.arange(W)                 # (N, W): source columns
    n = np.arange(N)[:, None, None, None]
    c = np.arange(C)[None, :, None, None]
    return padded[n, c, rows[:, None, :, None], cols[:, None, None, :]]   # (N, C, H, W)


def one_blas_thread():
    """Limit NumPy's BLAS to one thread (threadpoolctl, installed with scikit-learn);
    returns the limiter (call ``restore_original_limits()``) or None without threadpoolctl.

    The matrices of these small models are tiny: a second BLAS thread gains little on
    the CNN and costs more than it gives on the LSTM and the Transformer, and on a busy
    machine the spinning BLAS threads can make a step many times slower.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return None
    return threadpool_limits(limits=1, user_api="blas")


def load_data(name):
    """The data set model ``name`` trains on: the digits (``load_digits``, needs
    scikit-learn) or, for the seq2seq model, the generated dates (no extra needed)."""
    if MODELS[name].task == "dates":
        return make_dates(DATES_TRAIN, DATES_TEST, seed=0)
    from ..models.data import load_digits
    return load_digits()


def build_model(name, seed):
    """The model ``name`` with its weights drawn after ``md.manual_seed(seed)``."""
    md.manual_seed(seed)
    return MODELS[name].build()


def count_parameters(model):
    return int(sum(p._array.size for p in model.parameters()))


def evaluate(model, x, y, batch_size=256):
    """Accuracy of ``model`` on ``(x, y)``, in eval mode, without recording a graph."""
    was_training = model.training
    model.eval()
    correct = 0
    with md.no_grad():
        for i in range(0, len(y), batch_size):
            logits = model(md.tensor(x[i:i + batch_size]))
            correct += int(np.sum(np.argmax(logits._array, axis=1) == y[i:i + batch_size]))
    model.train(was_training)
    return correct / len(y)


# ---------------------------------------------------------------------------- tasks
class _Digits:
    """Classification of the digits: a batch is a random set of images (shifted by up to
    ``cfg.shift`` pixels), the loss their cross-entropy, the score the test accuracy."""

    def __init__(self, cfg, data):
        self.shift = cfg.shift
        self.x_train, self.y_train, self.x_test, self.y_test = data.view(cfg.view)
        self.n = len(self.y_train)

    def batches(self, rng, batch_size):
        order = rng.permutation(self.n)
        return [order[i:i + batch_size] for i in range(0, self.n, batch_size)]

    def loss(self, model, idx, rng):
        x = self.x_train[idx]
        if self.shift:
            x = random_shift(x, self.shift, rng)
        return F.cross_entropy(model(md.tensor(x)), md.tensor(self.y_train[idx]))

    def score(self, model):
        return evaluate(model, self.x_test, self.y_test)


class _Dates:
    """The seq2seq dates: teacher forcing, bucketed batches, exact match of greedy decoding.

    A batch is a run of sources of similar length (sorted by length, ties in random
    order, cut into batches, the batches shuffled), trimmed to its longest source: far
    less padding for the encoder to read than random batches. The loss is the mean
    cross-entropy of the 11 next characters (10 digits and dashes, then ``<eos>``)
    given the true ones before them.
    """

    def __init__(self, cfg, data):
        self.data = data
        self.lengths = (data.x_train != PAD).sum(axis=1)                # (N,)
        self.n = len(self.lengths)

    def batches(self, rng, batch_size):
        order = np.lexsort((rng.random(self.n), self.lengths))          # by length, ties random
        chunks = [order[i:i + batch_size] for i in range(0, self.n, batch_size)]
        return [chunks[j] for j in rng.permutation(len(chunks))]

    def loss(self, model, idx, rng):
        src = self.data.x_train[idx, :int(self.lengths[idx].max())]     # (B, S)
        tgt = self.data.y_train[idx]                                    # (B, 12) <bos>…<eos>
        logits = model(src, tgt[:, :-1])                                # (B, 11, V)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                               md.tensor(tgt[:, 1:].reshape(-1)))

    def score(self, model):
        return exact_match(model, self.data.x_test, self.data.test_tgt)


_TASKS = {"digits": _Digits, "dates": _Dates}


# ---------------------------------------------------------------------------- progress
class Progress:
    """Progress of one training: a live bar on a terminal, one line per epoch otherwise.

    ``mode`` is ``"tqdm"`` (a terminal and tqdm installed), ``"bar"`` (a terminal, no
    tqdm: a carriage-return line of our own), ``"lines"`` (not a terminal: one line per
    epoch) or ``"off"``.
    """

    def __init__(self, name, epochs, n_batches, stream=None, mode=None):
        self.name, self.epochs, self.n_batches = name, epochs, n_batches
        self.stream = sys.stdout if stream is None else stream
        if mode is None:
            mode = "lines"
            if getattr(self.stream, "isatty", lambda: False)():
                try:
                    import tqdm  # noqa: F401
                    mode = "tqdm"
                except ImportError:
                    mode = "bar"
        self.mode = mode
        self._bar = None

    def start_epoch(self, epoch):
        self.epoch, self.t0, self.seen = epoch, time.perf_counter(), 0
        if self.mode == "tqdm":
            from tqdm import tqdm
            width, height = shutil.get_terminal_size((100, 24))   # a pty may say 0 × 0
            self._bar = tqdm(total=self.n_batches, file=self.stream, leave=True,
                             desc=f"{self.name} epoch {epoch}/{self.epochs}", unit="batch",
                             ncols=width if width >= 60 else 100,
                             nrows=height if height >= 2 else 24)

    def _rate(self):
        return self.seen / max(time.perf_counter() - self.t0, 1e-9)

    def update(self, batch, n_samples, loss):
        self.seen += n_samples
        if self.mode == "tqdm":
            self._bar.update(1)
            self._bar.set_postfix_str(f"loss {loss:.4f}, {self._rate():.0f} samples/s")
        elif self.mode == "bar":
            width = 24
            done = int(width * batch / self.n_batches)
            self.stream.write(f"\r{self.name} epoch {self.epoch}/{self.epochs} "
                              f"[{'#' * done}{'.' * (width - done)}] {batch}/{self.n_batches} "
                              f"loss {loss:.4f} {self._rate():.0f} samples/s")
            self.stream.flush()

    def end_epoch(self, mean_loss, accuracy, seconds):
        summary = (f"loss {mean_loss:.4f}, test acc {100 * accuracy:.2f} %, "
                   f"{self.seen / max(seconds, 1e-9):.0f} samples/s, {seconds:.1f} s")
        if self.mode == "tqdm":   # tqdm shows the time and rate itself
            self._bar.set_postfix_str(f"loss {mean_loss:.4f}, test acc {100 * accuracy:.2f} %")
            self._bar.close()
        elif self.mode == "bar":
            self.stream.write(f"\r{self.name} epoch {self.epoch}/{self.epochs}: {summary}"
                              + " " * 20 + "\n")
            self.stream.flush()
        elif self.mode == "lines":
            self.stream.write(f"{self.name} epoch {self.epoch}/{self.epochs}: {summary}\n")
            self.stream.flush()


# ---------------------------------------------------------------------------- checkpoints
def _checkpoints(out):
    """{epoch: path} of the checkpoints in ``out``."""
    found = {}
    for path in glob.glob(os.path.join(out, "epoch_*.npz")):
        m = re.fullmatch(r"epoch_(\d+)\.npz", os.path.basename(path))
        if m:
            found[int(m.group(1))] = path
    return found


def last_checkpoint(out):
    """The path of the highest-epoch checkpoint in ``out``, or None."""
    found = _checkpoints(out) if os.path.isdir(out) else {}
    return found[max(found)] if found else None


def _save_checkpoint(out, state, keep=None):
    """Write ``epoch_NNN.npz``; with ``keep``, delete all but the last ``keep`` checkpoints."""
    path = os.path.join(out, f"epoch_{state['epoch']:03d}.npz")
    tmp = path + ".tmp"
    try:
        md.save(state, tmp)
        os.replace(tmp, path)        # a crash mid-write never leaves a broken checkpoint
        if keep is not None:
            found = _checkpoints(out)
            for epoch in sorted(found)[:-keep]:
                os.remove(found[epoch])
    except OSError as e:
        raise TrainError(f"cannot write the checkpoint {path}: {e.strerror or e}") from None
    return path


def _check_out(out):
    """Make sure checkpoints can be written in ``out`` (creating it) before training."""
    try:
        os.makedirs(out, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):     # the directory may exist but be read-only
            pass
    except OSError as e:
        raise TrainError(f"--out {out}: cannot write there: {e.strerror or e}") from None


def _load_checkpoint(out, name):
    path = last_checkpoint(out)
    if path is None:
        raise TrainError(f"--resume: no checkpoint (epoch_NNN.npz) in {out}")
    try:
        ckpt = md.load(path)
    except (ValueError, OSError, EOFError, KeyError) as e:   # not an .npz, damaged, unreadable
        reason = (str(e).splitlines() or [""])[0] or type(e).__name__
        raise TrainError(f"--resume: cannot read {path}: {reason}") from None
    if not isinstance(ckpt, dict) or ckpt.get("format") != CHECKPOINT_FORMAT:
        raise TrainError(f"--resume: {path} is not a checkpoint of 'minidl train'")
    if ckpt.get("model_name") != name:
        raise TrainError(f"--resume: {path} is a checkpoint of model "
                         f"'{ckpt.get('model_name')}', not '{name}'")
    return path, ckpt


def _plot_losses(out, name, history, task="digits"):
    """loss.png in ``out`` (matplotlib, Agg backend); silently skipped without matplotlib."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    batch_loss = np.asarray(history["batch_loss"])
    epoch_loss = np.asarray(history["epoch_loss"])
    per_epoch = len(batch_loss) / max(len(epoch_loss), 1)
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(np.arange(1, len(batch_loss) + 1) / per_epoch, batch_loss, lw=0.6, alpha=0.5,
            label="batch")
    ax.plot(np.arange(1, len(epoch_loss) + 1), epoch_loss, "o-", label="epoch mean")
    ax.set_xlabel("epoch")
    ax.set_ylabel("cross-entropy" if task == "digits" else "cross-entropy per character")
    ax.set_yscale("log")
    ax.set_title(f"minidl train {name}")
    ax.legend()
    fig.tight_layout()
    path = os.path.join(out, "loss.png")
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


# ---------------------------------------------------------------------------- training
def train(name, data=None, epochs=None, seed=None, lr=None, batch_size=None, out=None,
          resume=False, progress="auto", stream=None, keep=None):
    """Train model ``name`` on ``data`` and score it on the test set after every epoch.

    Args:
        name: "cnn", "lstm", "transformer" or "seq2seq".
        data: a :class:`~minidl.models.data.Digits` (the first three) or a
            :class:`~minidl.models.dates.Dates` (seq2seq); None: :func:`load_data`.
        epochs: the total number of epochs (with ``resume``: to reach, counting those done).
        seed: the seed of the weights, the batch order and dropout (None: 0, or on
            resume the checkpoint's).
        lr, batch_size: Adam's learning rate and the batch size (None: the model's defaults;
            on resume, the checkpoint's, which must not be contradicted).
        out: a directory for the checkpoints and loss.png, or None for none.
        resume: continue from the last checkpoint in ``out``.
        progress: "auto" or a :class:`Progress` mode ("tqdm", "bar", "lines", "off").
        keep: keep only the last ``keep`` checkpoints in ``out`` (None: all of them).

    Returns:
        a :class:`TrainResult`.

    Raises:
        TrainError: a resume directory without a checkpoint, or with another model's, or
            with contradicting hyper-parameters; ``out`` already holding checkpoints
            without ``resume``; ``out`` a file or not writable; a bad ``keep``.
    """
    if name not in MODELS:
        raise TrainError(f"unknown model {name!r}; choose one of {', '.join(MODELS)}")
    cfg = MODELS[name]
    epochs = cfg.epochs if epochs is None else epochs
    if epochs < 1:
        raise TrainError(f"epochs must be a positive integer, got {epochs}")
    if keep is not None and (isinstance(keep, bool) or not isinstance(keep, int) or keep < 1):
        raise TrainError(f"keep must be a positive integer or None, got {keep!r}")
    if out is not None and os.path.exists(out) and not os.path.isdir(out):
        raise TrainError(f"--out {out} exists and is not a directory")

    ckpt = None
    if resume:
        if out is None:
            raise TrainError("--resume needs --out DIR, the directory of the checkpoints")
        path, ckpt = _load_checkpoint(out, name)
        for key, given in (("seed", seed), ("lr", lr), ("batch_size", batch_size)):
            if given is not None and given != ckpt[key]:
                raise TrainError(f"--resume: {path} was trained with {key} {ckpt[key]}, "
                                 f"not {given}; leave --{key.replace('_', '-')} out to "
                                 f"continue it")
        seed, lr, batch_size = int(ckpt["seed"]), float(ckpt["lr"]), int(ckpt["batch_size"])
        if int(ckpt["epoch"]) > epochs:
            raise TrainError(f"--resume: {path} is already at epoch {int(ckpt['epoch'])}, "
                             f"past --epochs {epochs}")
    else:
        seed = 0 if seed is None else seed
        lr = cfg.lr if lr is None else lr
        batch_size = cfg.batch_size if batch_size is None else batch_size
        if out is not None and os.path.isdir(out) and _checkpoints(out):
            raise TrainError(f"{out} already holds checkpoints; pass --resume to continue "
                             f"them or choose another --out")
    if not lr > 0 or not math.isfinite(lr):
        raise TrainError(f"lr must be a positive number, got {lr}")
    if batch_size < 1:
        raise TrainError(f"batch size must be a positive integer, got {batch_size}")

    if data is None:
        data = load_data(name)
    if out is not None:
        _check_out(out)

    model = build_model(name, seed)
    optimizer = optim.Adam(model.parameters(), lr=lr)
    history = {"batch_loss": [], "epoch_loss": [], "test_accuracy": []}
    start = 0
    if ckpt is not None:
        try:
            model.load_state_dict(ckpt["model"])
            optimizer.load_state_dict(ckpt["optimizer"])
            md_random.set_rng_state(ckpt["rng_state"])
            history = {k: [float(v) for v in np.atleast_1d(ckpt["history"][k])]
                       for k in history}
        except Exception as e:  # noqa: BLE001 - a damaged or foreign checkpoint
            first = str(e).splitlines()[0] if str(e) else type(e).__name__
            raise TrainError(f"--resume: {path} does not fit the model '{name}': {first}") \
                from None
        start = int(ckpt["epoch"])

    limit = one_blas_thread()
    try:
        return _train_epochs(name, cfg, model, optimizer, data, history, start, epochs, seed,
                             lr, batch_size, out, keep, progress, stream)
    finally:
        if limit is not None:
            limit.restore_original_limits()


def _train_epochs(name, cfg, model, optimizer, data, history, start, epochs, seed, lr,
                  batch_size, out, keep, progress, stream):
    task = _TASKS[cfg.task](cfg, data)
    n_batches = -(-task.n // batch_size)
    bar = Progress(name, epochs, n_batches, stream=stream,
                   mode=None if progress == "auto" else progress)
    train_time = eval_time = 0.0
    model.train()
    for epoch in range(start + 1, epochs + 1):
        bar.start_epoch(epoch)
        t0 = time.perf_counter()
        rng = np.random.default_rng((seed, epoch))   # the epoch's batches and shifts
        losses = []
        for b, idx in enumerate(task.batches(rng, batch_size)):
            step = (epoch - 1) * n_batches + b + 1   # the lr depends on step and epoch only,
            rate = lr * cfg.lr_decay ** (epoch - 1)  # so a resumed run matches
            if cfg.warmup:
                rate *= min(1.0, step / cfg.warmup)
            for group in optimizer.param_groups:
                group["lr"] = rate
            loss = task.loss(model, idx, rng)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(float(loss._array))
            bar.update(b + 1, len(idx), losses[-1])
        seconds = time.perf_counter() - t0
        train_time += seconds
        t0 = time.perf_counter()
        accuracy = task.score(model)
        eval_time += time.perf_counter() - t0
        history["batch_loss"] += losses
        history["epoch_loss"].append(float(np.mean(losses)))
        history["test_accuracy"].append(accuracy)
        bar.end_epoch(history["epoch_loss"][-1], accuracy, seconds)
        if out is not None:
            _save_checkpoint(out, {
                "format": CHECKPOINT_FORMAT, "model_name": name, "epoch": epoch,
                "seed": seed, "lr": lr, "batch_size": batch_size,
                "model": model.state_dict(), "optimizer": optimizer.state_dict(),
                "rng_state": md_random.get_rng_state(),
                "history": {k: np.asarray(v, dtype=np.float64) for k, v in history.items()},
            }, keep)
    if out is not None and epochs > start:
        _plot_losses(out, name, history, cfg.task)
    if history["test_accuracy"]:
        accuracy = history["test_accuracy"][-1]
    else:
        t0 = time.perf_counter()
        accuracy = task.score(model)
        eval_time += time.perf_counter() - t0
    return TrainResult(name, count_parameters(model), epochs, train_time, accuracy,
                       history, model, eval_time)
