"""What trains, checks and tours the models: the command line behind ``python -m minidl``.

    cli.py          main                ``python -m minidl`` [check | train ...] and the tour
    training.py     train               the loop, progress, checkpoints, resume
    check.py        run_check           the gradient-check report

The models themselves are in ``minidl/models``.
"""
