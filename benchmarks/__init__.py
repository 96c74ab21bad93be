"""Benchmarks: minidl timed beside PyTorch, JAX, HIPS autograd, MyGrad and the literal loops.

    python -m benchmarks.run [--quick] [--cases a,b] [--threads 1,default] [--json out.json]
                             [--compare old.json] [--markdown docs/benchmarks.md] [--plots docs/img]

    cases.py    what is timed: one small function per case and contender, doing the same work
    run.py      the command line: probe, check against PyTorch, time with pyperf, report
    probe.py    worker that builds, checks and measures the peak memory of one contender's cases
    worker.py   pyperf worker that times one contender at one thread setting
    threads.py  thread settings of a worker and what the libraries report about them
    report.py   the tables, JSON, Markdown, the plot, fitted exponents, the comparison of runs

This package imports nothing when it is imported (the workers must set their thread
variables before NumPy is loaded). See benchmarks/README.md.
"""
