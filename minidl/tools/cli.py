"""The command line: ``python -m minidl`` (the tour), ``check`` and ``train``.

    python -m minidl                      train the tour's four models, then the report
    python -m minidl check                the gradient-check report alone
    python -m minidl train {cnn,lstm,transformer,seq2seq} [--epochs N] [--seed S] [--lr LR]
                           [--batch-size B] [--out DIR] [--resume] [--keep N]

A user error (an unknown model, ``--epochs 0``, an ``--out`` that is a file or cannot be
written, a resume directory without a checkpoint or with another model's or a damaged
one, scikit-learn missing) prints one line on stderr and exits with status 2; nothing is
written. A failed check row exits with status 1. The tour itself is in ``tour.py``.
"""
import argparse
import os
import sys

from .tour import run_tour

__all__ = ["main", "run_tour", "run_train"]

PROG = "minidl"


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    """argparse whose errors are one line (no usage dump) and raise instead of exiting."""

    def error(self, message):
        raise _UsageError(message)


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value}")
    return value


def _int(text):
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None


def _positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def _parser():
    from .training import MODELS
    parser = _Parser(prog=PROG, description="minidl: the article's three models trained on "
                     "scikit-learn's digits and an encoder-decoder trained on generated dates "
                     "(the tour, the default), the gradient-check report, or one model's "
                     "training with checkpoints.")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    tour = sub.add_parser("tour", help="train the four models, then the check report "
                          "(the default)")
    tour.add_argument("--seed", type=_int, default=0, help="seed (default 0)")
    tour.add_argument("--no-check", action="store_true", help="skip the check report")
    sub.add_parser("check", help="the gradient-check report")
    train = sub.add_parser("train", help="train one model, a checkpoint per epoch")
    train.add_argument("model", choices=list(MODELS), metavar="{" + ",".join(MODELS) + "}",
                       help="which model (seq2seq: the dates encoder-decoder)")
    train.add_argument("--epochs", type=_positive_int, default=None,
                       help="total epochs (default: the tour's for this model)")
    train.add_argument("--seed", type=_int, default=None, help="seed (default 0)")
    train.add_argument("--lr", type=_positive_float, default=None, help="Adam's learning rate")
    train.add_argument("--batch-size", type=_positive_int, default=None, help="batch size")
    train.add_argument("--out", default=None,
                       help="directory for checkpoints and loss.png (default runs/MODEL)")
    train.add_argument("--resume", action="store_true",
                       help="continue from the last checkpoint in --out")
    train.add_argument("--keep", type=_positive_int, default=None, metavar="N",
                       help="keep only the last N checkpoints (default: all)")
    return parser


def run_train(args, stream=None):
    from .training import train
    stream = sys.stdout if stream is None else stream
    out = args.out if args.out is not None else os.path.join("runs", args.model)
    result = train(args.model, None, epochs=args.epochs, seed=args.seed, lr=args.lr,
                   batch_size=args.batch_size, out=out, resume=args.resume, stream=stream,
                   keep=args.keep)
    score = "exact match" if args.model == "seq2seq" else "accuracy"
    stream.write(f"{args.model}: {result.parameters:,} parameters, epoch {result.epochs}, "
                 f"test {score} {100 * result.test_accuracy:.2f} %, trained "
                 f"{result.train_time:.1f} s this run; checkpoints in {out}\n")
    return 0


def main(argv=None):
    """Entry point of ``python -m minidl`` and of the ``minidl`` console script.

    Returns the exit status: 0 success, 1 a failed check row, 2 a user error.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        from ..models.data import MissingExtraError
        from .training import TrainError
        args = _parser().parse_args(argv)
        command = args.command or "tour"
        if command == "check":
            from .check import run_check
            return run_check()
        if command == "train":
            return run_train(args)
        return run_tour(seed=getattr(args, "seed", 0), check=not getattr(args, "no_check", False))
    except _UsageError as e:
        sys.stderr.write(f"{PROG}: error: {e}\n")
    except MissingExtraError as e:
        sys.stderr.write(f"{PROG}: {e}\n")
    except TrainError as e:
        sys.stderr.write(f"{PROG}: error: {e}\n")
    except BrokenPipeError:  # e.g. `python -m minidl check | head`
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return 1
    except OSError as e:     # the file system said no (a full disk, a vanished directory)
        where = f"{e.filename}: " if getattr(e, "filename", None) else ""
        sys.stderr.write(f"{PROG}: error: {where}{e.strerror or e}\n")
    except KeyboardInterrupt:
        sys.stderr.write(f"{PROG}: interrupted\n")
        return 130
    return 2
