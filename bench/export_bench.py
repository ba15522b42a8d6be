"""Release benchmark: a release of 1,000,000 rating scores (long-form rows) built from PostgreSQL.

    .venv/bin/python bench/export_bench.py [--prompts 10000] [--models 10] [--judge/--no-judge]
                                           [--database-url URL]

Recreates the bench database, migrates it and fills it with SQL (generate_series, so the setup
costs no memory here): PROMPTS × MODELS responses (~1 KB of Japanese each), one item each in one
campaign with the quality-5x5 rubric (5 axes), each item rated by 2 of 50 annotators (overlap k = 2),
so items × 2 × 5 rating scores: 1,000,000 with the defaults; and, with --judge (the default), one
judge job's verdict on every item (items × 5 verdict scores, 1% failed verdicts without scores).

Then it runs ``manage.py release --campaign bench --version 1.0.0`` in a child process and prints
its wall time, its peak memory (max RSS of the child) and the sizes of the files. The database named
in --database-url is dropped and recreated: never point it at real data.
"""

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_database import recreate_database  # noqa: E402  (bench/ is the script's folder)

ANNOTATORS = 50
TIERS = ("professional", "graduate", "undergraduate", "vendor", "external")
SENTENCE = "日本の四季はそれぞれに異なる魅力があり、春には桜、秋には紅葉を楽しむことができます。"

FILL_SQL = [
    # Prompts: ~200 bytes of Japanese; responses: ~1 KB.
    """INSERT INTO annotation_prompt (public_id, source, external_id, category, turns, reference, context, metadata,
                                       created_at)
       SELECT gen_random_uuid(), 'export-bench', 'p' || g, 'bench', jsonb_build_array('質問' || g || '：' || repeat(%(s)s, 2)),
              '', '', '{}'::jsonb, now()
       FROM generate_series(1, %(prompts)s) g""",
    """INSERT INTO annotation_languagemodel (name, family, size, checkpoint, is_japanese, created_at)
       SELECT 'model-' || lpad(m::text, 2, '0'), 'bench', '7B', '', m %% 2 = 0, now()
       FROM generate_series(1, %(models)s) m""",
    """INSERT INTO annotation_response (public_id, prompt_id, model_id, turns, metadata, created_at)
       SELECT gen_random_uuid(), p.id, m.id, jsonb_build_array(m.name || 'の答え：' || repeat(%(s)s, 8)), '{}'::jsonb, now()
       FROM annotation_prompt p CROSS JOIN annotation_languagemodel m""",
    """INSERT INTO annotation_campaign (slug, name, description, instructions, rubric_id, overlap, show_model_names,
                                         status, mode, lease_minutes, context_placement, gold_share, gold_training,
                                         release_quality_items, extra_raters_max, per_turn_scores, created_at)
       SELECT 'bench', 'Export bench', '', '', id, 2, false, 'closed', 'batches', 30, 'system', 0, false, false, 0, false, now()
       FROM annotation_rubric WHERE key = 'quality-5x5'""",
    """INSERT INTO annotation_item (public_id, campaign_id, response_id, position, quality_role, created_at)
       SELECT gen_random_uuid(), c.id, r.id, r.id, '', now()
       FROM annotation_response r CROSS JOIN annotation_campaign c""",
    """INSERT INTO annotation_annotator (handle, tier, pseudonym, is_external, source, created_at)
       SELECT 'rater-' || a, (ARRAY['professional','graduate','undergraduate','vendor','external'])[1 + a %% 5],
              gen_random_uuid(), true, 'export-bench', now()
       FROM generate_series(0, %(annotators)s - 1) a""",
    """INSERT INTO annotation_rating (public_id, item_id, annotator_id, verdict, position, comment, flags, seconds_spent,
                                       source, revision, submitted_at)
       SELECT gen_random_uuid(), i.id, an.id, '', '', '', '[]'::jsonb, 20 + (i.id * 7 + k) %% 200, 'import', 1, now()
       FROM annotation_item i CROSS JOIN generate_series(0, 1) k
       JOIN annotation_annotator an ON an.handle = 'rater-' || ((i.id + k * 7) %% %(annotators)s)""",
    # A latent quality per item (1..5), each annotator off by at most one point.
    """INSERT INTO annotation_ratingscore (rating_id, axis_id, score)
       SELECT rt.id, ax.id, least(5, greatest(1, 1 + (rt.item_id * 2654435761 %% 5) + floor(random() * 3)::int - 1))
       FROM annotation_rating rt
       CROSS JOIN annotation_rubricaxis ax JOIN annotation_rubric ru ON ru.id = ax.rubric_id AND ru.key = 'quality-5x5'""",
]
JUDGE_SQL = [
    """INSERT INTO judging_judgeconfig (name, description, is_external, base_url, model, api_key_env, template,
             template_version, output_format, temperature, max_tokens, samples, price_input_per_million,
             price_output_per_million, concurrency, requests_per_minute, timeout_seconds, max_attempts,
             max_parse_retries, inconsistent, created_at, updated_at, rubric_id)
       SELECT 'bench-judge', '', false, 'http://127.0.0.1:9/v1', 'gpt-4o', '', 'quality-ja', 1, 'json_schema', 0, 1024,
              1, 0, 0, 8, 0, 60, 5, 2, 'tie', now(), now(), id
       FROM annotation_rubric WHERE key = 'quality-5x5'""",
    """INSERT INTO judging_judgejob (public_id, campaign_id, config_id, status, spec, total, estimate, message,
                                      api_error_as_lowest, created_at)
       SELECT gen_random_uuid(), c.id, j.id, 'succeeded', '{"model": "gpt-4o", "template": "quality-ja",
              "template_version": 1, "temperature": 0.0}'::jsonb, 0, '{}'::jsonb, '', false, now()
       FROM annotation_campaign c CROSS JOIN judging_judgeconfig j""",
    """INSERT INTO judging_verdict (judge_id, job_id, item_id, sample, verdict, "order", rationale, raw_output,
                                     parse_status, parser_version, error_kind, error_message, created_at)
       SELECT jb.config_id, jb.id, i.id, 0, '', '', '理由：' || %(s)s, '',
              CASE WHEN i.id %% 100 = 0 THEN 'parse_error' ELSE 'ok' END,
              '1', '', '', now()
       FROM annotation_item i CROSS JOIN judging_judgejob jb""",
    """INSERT INTO judging_verdictscore (verdict_id, axis_id, score)
       SELECT v.id, ax.id, least(5, greatest(1, 1 + (v.item_id * 2654435761 %% 5) + floor(random() * 2)::int))
       FROM judging_verdict v
       CROSS JOIN annotation_rubricaxis ax JOIN annotation_rubric ru ON ru.id = ax.rubric_id AND ru.key = 'quality-5x5'
       WHERE v.parse_status = 'ok'""",
]



def fill(url, prompts, models, judge):
    import psycopg

    parts = urlsplit(url)
    params = {"prompts": prompts, "models": models, "annotators": ANNOTATORS, "s": SENTENCE}
    with psycopg.connect(host=parts.hostname, port=parts.port or 5432, user=parts.username or "postgres",
                         dbname=parts.path.lstrip("/")) as connection:
        for statement in FILL_SQL + (JUDGE_SQL if judge else []):
            connection.execute(statement, params)
        connection.commit()
        connection.autocommit = True
        connection.execute("VACUUM ANALYZE")
        return {table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in ("annotation_item", "annotation_rating", "annotation_ratingscore", "judging_verdict",
                              "judging_verdictscore")}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prompts", type=int, default=10_000)
    parser.add_argument("--models", type=int, default=10)
    parser.add_argument("--judge", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/hyoka_export_bench")
    args = parser.parse_args()

    recreate_database(args.database_url)
    env = {**os.environ, "DATABASE_URL": args.database_url, "DJANGO_SETTINGS_MODULE": "hyoka.settings"}
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "--verbosity", "0"], cwd=ROOT, env=env, check=True)
    started = time.perf_counter()
    rows = fill(args.database_url, args.prompts, args.models, args.judge)
    print(f"filled the database in {time.perf_counter() - started:.0f} s: "
          + ", ".join(f"{table.split('_', 1)[1]} {count:,}" for table, count in rows.items()))

    with tempfile.TemporaryDirectory() as var:
        env["HYOKA_VAR_DIR"] = var
        started = time.perf_counter()
        done = subprocess.run([python, "manage.py", "release", "--campaign", "bench", "--version", "1.0.0"],
                              cwd=ROOT, env=env, capture_output=True, text=True)
        elapsed = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        if done.returncode:
            sys.exit(f"release failed:\n{done.stdout}{done.stderr}")
        folder = Path(done.stdout.strip().splitlines()[-1])
        print(done.stdout.strip())
        sizes = sorted((path.stat().st_size, str(path.relative_to(folder))) for path in folder.rglob("*") if path.is_file())
        print("files: " + ", ".join(f"{name} {size / 1e6:.1f} MB" for size, name in reversed(sizes)))
    print(f"release of {rows['annotation_ratingscore']:,} rating scores built in {elapsed:.1f} s; "
          f"peak memory (max RSS of the release process): {peak:.0f} MB; load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
