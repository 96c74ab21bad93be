"""The tour, ``python -m minidl``: the four models trained one after the other, their
table, then the gradient-check report.

    CNN (4.1), LSTM (4.2), Transformer (4.3)   the article's models, on scikit-learn's digits
    Seq2seq dates (F8)                          an encoder–decoder Transformer that rewrites
                                                dates ("3rd of March 1998" → "1998-03-03")

The digits models report their test accuracy; the seq2seq model the exact match of its
greedy decoding (the whole ``YYYY-MM-DD`` right) on test days it never saw. Every run
with the same seed prints the same accuracies.
"""
import sys
import time

__all__ = ["run_tour", "format_table"]


def format_table(results):
    """The tour's table: one row per ``(title, TrainResult)``.

    >>> from minidl.tools.training import TrainResult
    >>> print(format_table([("CNN (4.1)", TrainResult("cnn", 1234, 2, 3.25, 0.5))]))
    model                parameters epochs train time test accuracy
    ---------------------------------------------------------------
    CNN (4.1)                 1,234      2       3.2s        50.00%
    """
    head = f"{'model':<20} {'parameters':>10} {'epochs':>6} {'train time':>10} {'test accuracy':>13}"
    lines = [head, "-" * len(head)]
    for title, r in results:
        lines.append(f"{title:<20} {r.parameters:>10,} {r.epochs:>6} {r.train_time:>9.1f}s "
                     f"{100 * r.test_accuracy:>12.2f}%")
    return "\n".join(lines)


def _describe(cfg, data):
    """One line on what model ``cfg`` is trained on and how."""
    if cfg.task == "dates":
        return (f"{cfg.title}: {len(data.train_src):,} dates in 10 human formats → ISO "
                f"YYYY-MM-DD, tested on {len(data.test_src):,} other days; Adam lr {cfg.lr:g} "
                f"(warm-up {cfg.warmup} steps), batch {cfg.batch_size}")
    layout = ("28×28 (resized from 8×8)" if cfg.view == "image28"
              else "a sequence of 8 rows of 8 pixels")
    return (f"{cfg.title}: {len(data.y_train)} images, {layout}, Adam lr {cfg.lr:g}, "
            f"batch {cfg.batch_size}")


def run_tour(seed=0, check=True, stream=None, progress="auto", models=None):
    """Train the tour's models one after the other, print the table, then the report.

    Args:
        seed: the seed of every model's weights and batches.
        check: run the gradient-check report after the table.
        stream: where to write (default stdout).
        progress: as :func:`~minidl.tools.training.train`'s.
        models: the names to train (default: all of ``MODELS``, in order).

    Returns:
        the exit status: 0, or the check report's (1 when a row fails).
    """
    from .training import MODELS, load_data, train
    stream = sys.stdout if stream is None else stream
    names = list(MODELS) if models is None else list(models)
    t0 = time.perf_counter()
    data = {}
    for name in names:                       # the digits once, before anything is trained
        task = MODELS[name].task
        if task not in data:
            data[task] = load_data(name)
    parts = []
    if "digits" in data:
        digits = data["digits"]
        parts.append(f"the article's three models on scikit-learn's handwritten digits "
                     f"({len(digits.y_train)} train / {len(digits.y_test)} test images)")
    if "dates" in data:
        dates = data["dates"]
        parts.append(f"an encoder–decoder on generated dates ({len(dates.train_src):,} train / "
                     f"{len(dates.test_src):,} test days, disjoint)")
    stream.write(f"minidl tour: {', then '.join(parts)}; seed {seed}\n")
    results = []
    for name in names:
        cfg = MODELS[name]
        stream.write(f"\n{_describe(cfg, data[cfg.task])}\n")
        stream.flush()
        results.append((cfg.title, train(name, data[cfg.task], seed=seed, progress=progress,
                                         stream=stream)))
    stream.write("\n" + format_table(results) + "\n")
    if "dates" in data:
        stream.write("(seq2seq: exact match of the whole date, greedy decoding, on days never "
                     "seen in training)\n")
    stream.write(f"training total {time.perf_counter() - t0:.1f} s\n\n")
    status = 0
    if check:
        from .check import run_check
        status = run_check(stream)
    stream.write(f"\ntour total {time.perf_counter() - t0:.1f} s\n")
    return status
