"""The seq2seq tour's data: dates written by people, to be rewritten in ISO form.

Every example is one calendar day between 1950-01-01 and 2049-12-31, written in one of
the human formats below (source) and in ISO 8601 form, ``YYYY-MM-DD`` (target)::

    3rd of March 1998        →  1998-03-03
    Mar 3, 98                →  1998-03-03      two-digit years: 50..99 → 19yy, 00..49 → 20yy
    03.03.1998               →  1998-03-03      dots are day.month.year
    Tuesday, March 3, 1998   →  1998-03-03

Nothing is downloaded: the dates come from Python's ``datetime`` and a seeded
``random.Random``. The split is **disjoint by day**: the days of the test set never occur
in the training set, in any format, so a model has to read the source, not remember it.

Tokens are characters. The source vocabulary is every character the formats can write;
the target vocabulary is ``0123456789-``; both start with the three special tokens
``<pad>`` (0), ``<bos>`` (1), ``<eos>`` (2).
"""
import datetime
import random

import numpy as np

__all__ = ["FORMATS", "SRC_VOCAB", "TGT_VOCAB", "PAD", "BOS", "EOS", "Dates", "make_dates",
           "format_date", "encode_source", "encode_target", "decode_target"]

PAD, BOS, EOS = 0, 1, 2
SPECIALS = ["<pad>", "<bos>", "<eos>"]

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def _ordinal(n):
    """1 → '1st', 2 → '2nd', 3 → '3rd', 11 → '11th', 22 → '22nd'."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _yy(year):
    return f"{year % 100:02d}"


# Each format: a function of a datetime.date that returns the text a person might write.
FORMATS = {
    "ordinal_of":   lambda d: f"{_ordinal(d.day)} of {MONTHS[d.month - 1]} {d.year}",
    "us_long":      lambda d: f"{MONTHS[d.month - 1]} {d.day}, {d.year}",
    "us_short_yy":  lambda d: f"{MONTHS[d.month - 1][:3]} {d.day}, {_yy(d.year)}",
    "dotted":       lambda d: f"{d.day:02d}.{d.month:02d}.{d.year}",
    "day_month":    lambda d: f"{d.day} {MONTHS[d.month - 1]} {d.year}",
    "weekday_long": lambda d: f"{DAYS[d.weekday()]}, {MONTHS[d.month - 1]} {d.day}, {d.year}",
    "lower_short":  lambda d: f"{DAYS[d.weekday()][:3].lower()} {d.day} "
                              f"{MONTHS[d.month - 1][:3].lower()} {d.year}",
    "dashed_mon":   lambda d: f"{d.day}-{MONTHS[d.month - 1][:3]}-{d.year}",
    "upper":        lambda d: f"{MONTHS[d.month - 1].upper()} {_ordinal(d.day).upper()}, {d.year}",
    "dotted_yy":    lambda d: f"{d.day}.{d.month}.{_yy(d.year)}",
}


def format_date(d, fmt):
    """The date ``d`` written in format ``fmt`` (a key of :data:`FORMATS`).

    >>> import datetime
    >>> format_date(datetime.date(1998, 3, 3), "ordinal_of")
    '3rd of March 1998'
    >>> format_date(datetime.date(2007, 11, 22), "us_short_yy")
    'Nov 22, 07'
    """
    return FORMATS[fmt](d)


def _source_chars():
    chars = set()
    for d in (datetime.date(2000, m, 1) for m in range(1, 13)):
        for f in FORMATS.values():
            chars |= set(f(d))
    for name in MONTHS + DAYS:
        chars |= set(name) | set(name.lower()) | set(name.upper())
    chars |= set("0123456789") | set("STNDRHstndrh")      # ordinal suffixes in both cases
    return sorted(chars)


SRC_VOCAB = SPECIALS + _source_chars()
TGT_VOCAB = SPECIALS + list("0123456789-")
_SRC_INDEX = {c: i for i, c in enumerate(SRC_VOCAB)}
_TGT_INDEX = {c: i for i, c in enumerate(TGT_VOCAB)}
TGT_LEN = 10                                  # len("YYYY-MM-DD")


def encode_source(texts):
    """Source texts → (ids (N, S_max) int64 padded with <pad>, lengths (N,)).

    >>> ids, lengths = encode_source(["03.03.1998", "3 May 98"])
    >>> ids.shape, lengths.tolist()
    ((2, 10), [10, 8])
    """
    lengths = np.array([len(t) for t in texts], dtype=np.int64)
    ids = np.full((len(texts), int(lengths.max())), PAD, dtype=np.int64)
    for n, text in enumerate(texts):
        ids[n, :len(text)] = [_SRC_INDEX[c] for c in text]
    return ids, lengths


def encode_target(texts):
    """ISO texts → ids (N, 1 + 10 + 1): <bos>, the ten characters, <eos>."""
    ids = np.empty((len(texts), TGT_LEN + 2), dtype=np.int64)
    ids[:, 0], ids[:, -1] = BOS, EOS
    for n, text in enumerate(texts):
        ids[n, 1:-1] = [_TGT_INDEX[c] for c in text]
    return ids


def decode_target(ids):
    """Target ids (one row) → text, stopping at the first <eos> and skipping specials.

    >>> decode_target(encode_target(["1998-03-03"])[0])
    '1998-03-03'
    """
    out = []
    for i in np.asarray(ids).tolist():
        if i == EOS:
            break
        if i >= len(SPECIALS):
            out.append(TGT_VOCAB[i])
    return "".join(out)


class Dates:
    """The split data set: ``train_src``/``test_src`` (lists of texts), ``train_tgt``/
    ``test_tgt`` (ISO texts), and the same encoded: ``x_train`` (N, S_max) source ids,
    ``y_train`` (N, 12) target ids; ``x_test``, ``y_test`` likewise."""

    def __init__(self, train_src, train_tgt, test_src, test_tgt):
        self.train_src, self.train_tgt = list(train_src), list(train_tgt)
        self.test_src, self.test_tgt = list(test_src), list(test_tgt)
        self.x_train, _ = encode_source(self.train_src)
        self.y_train = encode_target(self.train_tgt)
        self.x_test, _ = encode_source(self.test_src)
        self.y_test = encode_target(self.test_tgt)

    def subset(self, n_train, n_test=None):
        """The first ``n_train`` training and ``n_test`` test examples (for quick tests)."""
        n_test = len(self.test_src) if n_test is None else n_test
        return Dates(self.train_src[:n_train], self.train_tgt[:n_train],
                     self.test_src[:n_test], self.test_tgt[:n_test])


def make_dates(n_train=6000, n_test=1000, seed=0):
    """Draw ``n_train + n_test`` distinct days, split them (disjoint), write each in a
    random format.

    Returns:
        a :class:`Dates`; the same seed gives the same examples.

    >>> d = make_dates(50, 10, seed=1)
    >>> len(d.train_src), len(d.test_src), d.y_train.shape
    (50, 10, (50, 12))
    >>> set(d.train_tgt).isdisjoint(d.test_tgt)
    True
    """
    rng = random.Random(seed)
    first, last = datetime.date(1950, 1, 1), datetime.date(2049, 12, 31)
    n_days = (last - first).days + 1
    if n_train + n_test > n_days:
        raise ValueError(f"make_dates: n_train + n_test = {n_train + n_test} exceeds the "
                         f"{n_days} days available")
    days = [first + datetime.timedelta(days=k) for k in rng.sample(range(n_days), n_train + n_test)]
    names = sorted(FORMATS)
    examples = [(format_date(d, rng.choice(names)), d.isoformat()) for d in days]
    train, test = examples[:n_train], examples[n_train:]
    return Dates([s for s, _ in train], [t for _, t in train],
                 [s for s, _ in test], [t for _, t in test])
