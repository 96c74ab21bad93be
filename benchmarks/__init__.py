"""Benchmarks: minidl timed beside PyTorch, MyGrad and the literal references.

    python -m benchmarks.run [--quick] [--cases a,b] [--json out.json] [--compare old.json]
                             [--markdown docs/benchmarks.md] [--plot docs/img/benchmarks.png]

    cases.py    what is timed: one small function per case and contender, doing the same work
    run.py      the timer (warm-up, interleaved repeats, median) and the command line
    report.py   the table, JSON, Markdown, the comparison of two runs and the plot

See benchmarks/README.md.
"""
