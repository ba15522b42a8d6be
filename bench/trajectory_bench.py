"""Trajectory benchmark: a model series of 200 checkpoints × 20 tasks × 1,000 examples (4,000,000 per-example
outcomes, and a score per checkpoint and task), imported and reported on PostgreSQL.

    .venv/bin/python bench/trajectory_bench.py [--checkpoints N] [--tasks N] [--examples N] [--window K]
                                               [--format jsonl|csv] [--release] [--database-url URL]

Writes the long table (outcomes simulated per task as gradual, late-onset or two-stage learning with noise, so
that examples flip), recreates the bench database, migrates it, then times in this process
``checkpoint_scores_import`` (target: under 30 s) and the full trajectory report of the series (every task,
raw and smoothed, window 3: target under 5 s), and prints the process's peak resident memory (target: under
1 GB). With --release, it then builds a release of the series with the release command in a process of its own
(every outcome written raw and voted in Parquet, JSON Lines and CSV, checksummed and zipped) and prints its time
and that process's peak memory. The database named in --database-url is dropped and recreated: never point it
at real data.
"""

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_database import recreate_database  # noqa: E402  (bench/ is the script's folder)


def simulated_outcomes(rng, checkpoints, examples, task):
    """checkpoints × examples of 0/1: each example is learnt at a checkpoint of its own, spread by the task's
    shape (gradual: over all training; late-onset: in the last 40 %; two-stage: half in the first 10 %, the
    rest after 60 %), and 10 % of the outcomes are noise."""
    shape = task % 3
    if shape == 0:
        learnt_at = rng.integers(0, checkpoints, size=examples)
    elif shape == 1:
        learnt_at = rng.integers(int(checkpoints * 0.6), checkpoints, size=examples)
    else:
        early = rng.random(examples) < 0.5
        learnt_at = np.where(early, rng.integers(0, max(checkpoints // 10, 1), size=examples),
                             rng.integers(int(checkpoints * 0.6), checkpoints, size=examples))
    outcomes = (np.arange(checkpoints)[:, None] >= learnt_at[None, :]).astype(np.uint8)
    noise = rng.random(outcomes.shape) < 0.1
    return np.where(noise, 1 - outcomes, outcomes)


def write_long_table(path, checkpoints, tasks, examples, fmt, seed=7):
    rng = np.random.default_rng(seed)
    steps = [1000 * (index + 1) for index in range(checkpoints)]
    with open(path, "w", encoding="utf-8") as handle:
        if fmt == "csv":
            handle.write("step,tokens,task,category,metric,score,example_id,correct\n")
        for task in range(tasks):
            outcomes = simulated_outcomes(rng, checkpoints, examples, task)
            name, category = f"task-{task:02d}", f"C{task % 4}"
            for index, step in enumerate(steps):
                row = outcomes[index]
                if fmt == "csv":
                    handle.write(f"{step},{step * 4_000_000},{name},{category},accuracy,{float(row.mean())!r},,\n")
                    handle.writelines(f"{step},,{name},,,,ex-{example},{value}\n" for example, value in enumerate(row))
                else:
                    handle.write(f'{{"step": {step}, "tokens": {step * 4_000_000}, "task": "{name}", '
                                 f'"category": "{category}", "metric": "accuracy", "score": {float(row.mean())!r}}}\n')
                    handle.writelines(f'{{"step": {step}, "task": "{name}", "example_id": "ex-{example}", '
                                      f'"correct": {value}}}\n' for example, value in enumerate(row))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoints", type=int, default=200)
    parser.add_argument("--tasks", type=int, default=20)
    parser.add_argument("--examples", type=int, default=1000)
    parser.add_argument("--window", type=int, default=3)
    parser.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    parser.add_argument("--release", action="store_true",
                        help="also build a release of the series (the release command, in a process of its own)")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/hyoka_bench")
    args = parser.parse_args()
    outcomes = args.checkpoints * args.tasks * args.examples

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"series.{args.format}"
        started = time.perf_counter()
        write_long_table(path, args.checkpoints, args.tasks, args.examples, args.format)
        print(f"generated {outcomes:,} outcomes and {args.checkpoints * args.tasks:,} scores "
              f"({path.stat().st_size / 1e6:.0f} MB {args.format}) in {time.perf_counter() - started:.1f} s")

        recreate_database(args.database_url)
        os.environ["DATABASE_URL"] = args.database_url
        os.environ["HYOKA_VAR_DIR"] = folder  # the embedded default's files (the secret key), not the user's
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hyoka.settings")
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)
        from annotation.services.checkpoint_imports import checkpoint_scores_import

        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        started, cpu_started = time.perf_counter(), time.process_time()
        summary = checkpoint_scores_import(paths=[path], series_name="bench-series")
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        peak_import = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(summary.describe())
    engine = "SQLite" if args.database_url.startswith("sqlite:") else "PostgreSQL"
    print(f"imported {outcomes:,} outcomes in {elapsed:.1f} s ({engine}, CPU of this process {cpu:.1f} s, "
          f"load average {os.getloadavg()[0]:.2f}; target under 30 s)")
    print(f"peak memory after the import: {peak_import:.0f} MB (before it: {rss_before:.0f} MB)")
    report_trajectory(args)
    if args.release:
        release_series()


def report_trajectory(args):
    from exports.reports.trajectory import series_trajectory_report

    started, cpu_started = time.perf_counter(), time.process_time()
    report = series_trajectory_report("bench-series", window=args.window)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    types = {}
    for task in report.tasks:
        types[task.reading.type] = types.get(task.reading.type, 0) + 1
    flips = [task.raw.flip_rate for task in report.tasks if task.raw.flip_rate is not None]
    smoothed = [task.smoothed.flip_rate for task in report.tasks if task.smoothed.flip_rate is not None]
    print(f"trajectory report of {len(report.tasks)} task trajectories × {len(report.checkpoints)} checkpoints, "
          f"window {args.window}, in {elapsed:.2f} s (CPU {cpu:.2f} s; target under 5 s)")
    print(f"mean flip rate raw {np.mean(flips):.3f}, after majority voting {np.mean(smoothed):.3f}; types {types}")
    print(f"peak memory (max RSS of the process): {peak:.0f} MB (target under 1,024 MB)")



# The release command in a process of its own, which prints its own peak memory at the end: its high-water mark
# (VmHWM, Linux), since a child's ru_maxrss starts from the parent's.
RELEASE = """
import os, django
django.setup()
from django.core.management import call_command
call_command("release", "--series", "bench-series", "--version", "1.0.0", stdout=open(os.devnull, "w"))
print(next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM")))
"""


def release_series():
    """Build the series' release as a user would (the release command), in a process of its own, so that its
    peak memory is its own and not the import's."""
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", RELEASE], check=True, capture_output=True, text=True, cwd=ROOT,
                              env=os.environ | {"HYOKA_VAR_DIR": folder})
        elapsed = time.perf_counter() - started
        data = Path(folder) / "releases" / "bench-series" / "1.0.0" / "data"
        sizes = ", ".join(f"{path.name} {path.stat().st_size / 1e6:.0f} MB" for path in sorted(data.glob("outcomes.*")))
        print(f"release of the series (the release command, its process started) in {elapsed:.1f} s; {sizes}")
        print(f"peak memory of the release's process: {int(done.stdout.split()[-1]) / 1024:.0f} MB")

if __name__ == "__main__":
    main()
