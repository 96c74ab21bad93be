"""pyperf worker: time one contender's cases at one thread setting.

    python -m benchmarks.worker --contender torch --threads 1 --plan plan.json \
        -o torch-1.json [pyperf options: --processes, --values, --warmups, --loops, ...]

Run by ``benchmarks/run.py``, once per (contender, thread setting), so that no other
library's threads are alive in the process that is timed. This process is a pyperf
``Runner``: it spawns one fresh worker process per case and per pyperf "process"
(``--processes``), and each of those runs ``--warmups`` untimed values and then
``--values`` timed ones, each value being ``loops × inner_loops`` calls. The plan
(written by run.py) names the cases and each one's ``inner_loops``, chosen from the
probe's time per call so that a value lasts about ``--min-time``; with ``--loops 0``
pyperf calibrates the loop count itself instead.

In each worker the case is built, and called once, before the clock starts (JAX
compiles then). The first build in a worker appends one line to the ``--info`` file:
the threads and BLAS the process really runs with (see ``benchmarks/threads.py``).
"""
import json
import time

from . import threads

_BUILT = {}


def _time_func(loops, case_name, contender, setting, size, inner, info_path):
    """pyperf's time function: the time of ``loops × inner`` calls of the case's step."""
    bench = _BUILT.get(case_name)
    if bench is None:
        import numpy as np
        from .cases import find_case
        case = find_case(case_name)
        __import__({"reference": "minidl.reference"}.get(contender, contender))
        threads.apply(setting, contender)
        params = case.sizes[size]
        data = case.make_data(params, np.dtype(case.dtype))
        bench = _BUILT[case_name] = case.factories[contender](params, data, case.backward)
        bench.step()
        if info_path:
            info = threads.report(contender)
            info["case"] = case_name
            with open(info_path, "a") as f:
                f.write(json.dumps(info) + "\n")
    step = bench.step
    n = loops * inner
    t0 = time.perf_counter()
    for _ in range(n):
        step()
    return time.perf_counter() - t0


def bench_name(case, contender, setting):
    return f"{case}|{contender}|{setting}"


def main():
    import pyperf

    def add_cmdline_args(cmd, args):
        cmd += ["--contender", args.contender, "--threads", args.threads, "--plan", args.plan]
        if args.info:
            cmd += ["--info", args.info]

    runner = pyperf.Runner(program_args=("-m", "benchmarks.worker"),
                           add_cmdline_args=add_cmdline_args)
    runner.argparser.add_argument("--contender", required=True)
    runner.argparser.add_argument("--threads", required=True, choices=threads.SETTINGS)
    runner.argparser.add_argument("--plan", required=True, help="JSON written by run.py")
    runner.argparser.add_argument("--info", help="append the workers' thread settings here")
    args = runner.parse_args()
    threads.set_env(args.threads)
    with open(args.plan) as f:
        plan = json.load(f)
    for item in plan["cases"]:
        runner.bench_time_func(
            bench_name(item["case"], args.contender, args.threads), _time_func,
            item["case"], args.contender, args.threads, plan["size"], item["inner_loops"],
            args.info, inner_loops=item["inner_loops"],
            metadata={"contender": args.contender, "threads": args.threads,
                      "case": item["case"]})


if __name__ == "__main__":
    main()
