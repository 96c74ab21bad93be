"""What trains, checks and tours the models: the command line behind ``python -m minidl``.

    cli.py          main                ``python -m minidl`` [tour | check | train ...]
    tour.py         run_tour            the four models one after the other, their table
    training.py     train               the loop, progress, checkpoints, resume, --keep
    check.py        run_check           the gradient-check report

The models themselves are in ``minidl/models``.
"""
