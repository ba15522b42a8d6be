"""Import benchmark: 100,000 responses (~1 KB of Japanese each) into PostgreSQL or SQLite, in two shapes.

    .venv/bin/python bench/import_bench.py [--shape many-models|distinct-prompts] [--prompts N] [--models N]
                                           [--database-url URL]

Shapes: ``many-models`` (the default), 2,000 prompts answered by 50 models each; ``distinct-prompts``, 100,000
prompts answered by one model (as in exams, generated sets and most benchmarks). --prompts and --models
override the shape's counts. Generates the JSONL file (streamed, not held in memory), recreates the bench
database (``postgres://...``, or ``sqlite:///PATH`` for the embedded default's engine), migrates it, then
times ``responses_import`` in this process and prints responses/s and the process's peak resident memory.
The database named in --database-url is dropped and recreated: never point it at real data.
"""

import argparse
import json
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_database import recreate_database  # noqa: E402  (bench/ is the script's folder)

SENTENCES = [
    "日本の四季はそれぞれに異なる魅力があり、春には桜、秋には紅葉を楽しむことができます。",
    "この問題を解くには、まず与えられた条件を整理し、必要な情報を順番に確認することが大切です。",
    "東京は日本の首都であり、政治や経済の中心地として多くの人々が暮らしています。",
    "健康的な生活を送るためには、バランスの取れた食事と適度な運動、十分な睡眠が欠かせません。",
    "歴史を学ぶことで、現在の社会がどのように形作られてきたのかを理解する手がかりが得られます。",
    "プログラミングでは、読みやすいコードを書くことが、後から保守する人への思いやりになります。",
]

SHAPES = {"many-models": (2000, 50), "distinct-prompts": (100_000, 1)}  # (prompts, models answering each)


def japanese_text(rng, target_bytes):
    parts, size = [], 0
    while size < target_bytes:
        sentence = rng.choice(SENTENCES)
        parts.append(sentence)
        size += len(sentence.encode())
    return "".join(parts)


def write_records(path, prompts, models, seed=7):
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8") as handle:
        for p in range(prompts):
            prompt = f"質問{p}：" + japanese_text(rng, 200)
            for m in range(models):
                record = {
                    "prompt_id": f"bench-{p:05d}", "prompt": prompt, "category": "bench", "source": "import-bench",
                    "model": f"model-{m:02d}", "response": japanese_text(rng, 1000),
                }
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")



def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shape", choices=sorted(SHAPES), default="many-models")
    parser.add_argument("--prompts", type=int, help="prompts in the file (default: the shape's)")
    parser.add_argument("--models", type=int, help="models answering each prompt (default: the shape's)")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/hyoka_bench")
    args = parser.parse_args()
    args.prompts = args.prompts or SHAPES[args.shape][0]
    args.models = args.models or SHAPES[args.shape][1]

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "responses.jsonl"
        started = time.perf_counter()
        write_records(path, args.prompts, args.models)
        size_mb = path.stat().st_size / 1e6
        print(f"generated {args.prompts * args.models:,} records ({size_mb:.0f} MB) in {time.perf_counter() - started:.1f} s")

        recreate_database(args.database_url)
        os.environ["DATABASE_URL"] = args.database_url
        os.environ["HYOKA_VAR_DIR"] = folder  # the embedded default's files (the secret key), not the user's
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hyoka.settings")
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)
        from annotation.services import responses_import

        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        started, cpu_started = time.perf_counter(), time.process_time()
        summary = responses_import(path=str(path), campaign_slug="import-bench")
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    responses = summary.created["responses"]
    print(summary.describe())
    engine = "SQLite" if args.database_url.startswith("sqlite:") else "PostgreSQL"
    print(f"imported {responses:,} responses in {elapsed:.1f} s: {responses / elapsed:,.0f} responses/s "
          f"({args.shape if SHAPES[args.shape] == (args.prompts, args.models) else 'custom'} shape, {engine}, "
          f"load average {os.getloadavg()[0]:.2f})")
    print(f"CPU of this process: {cpu:.1f} s ({cpu * 1e6 / responses:.0f} µs per response)")
    print(f"peak memory (max RSS of the process): {peak:.0f} MB (before the import: {rss_before:.0f} MB)")


if __name__ == "__main__":
    main()
