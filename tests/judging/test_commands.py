"""judge_config and judge from the command line: their output, and one-line reasons on error."""

import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from judging.models import JudgeConfig, JudgeJob

from .conftest import make_config

ROOT = Path(__file__).resolve().parents[2]


def test_judge_config_creates_then_updates(db, fake_llm, capsys):
    call_command("judge_config", "gpt-mt", "--base-url", fake_llm.base_url, "--model", "gpt-4o",
                 "--rubric", "safety-5", "--samples", "3", "--price-input", "2.5", "--budget", "1.5")
    assert "judge config gpt-mt created: gpt-4o @" in capsys.readouterr().out
    config = JudgeConfig.objects.get(name="gpt-mt")
    assert (config.template, config.samples, config.budget, config.api_key_env) == ("safety", 3, 1.5, "OPENAI_API_KEY")
    call_command("judge_config", "gpt-mt", "--base-url", fake_llm.base_url, "--model", "gpt-4o-mini",
                 "--temperature", "0.5")
    config.refresh_from_db()
    assert (config.model, config.temperature, config.samples, config.rubric.key) == ("gpt-4o-mini", 0.5, 3, "safety-5")


@pytest.mark.parametrize("arguments, reason", [
    (["--base-url", "ftp://x", "--model", "m"], r"is not an http\(s\) URL"),
    (["--base-url", "http://127.0.0.1:1/v1", "--model", "m", "--rubric", "nope"], "rubric nope does not exist"),
    (["--base-url", "http://127.0.0.1:1/v1", "--model", "m", "--template", "mt-bench"], "cannot judge with rubric"),
    (["--base-url", "http://127.0.0.1:1/v1", "--model", "m", "--api-key-env", "MY KEY"], "not an environment variable"),
    (["--base-url", "http://127.0.0.1:1/v1", "--model", "m", "--samples", "0"], "samples"),
])
def test_judge_config_refuses_bad_values_with_a_reason(db, arguments, reason):
    with pytest.raises(CommandError, match=reason):
        call_command("judge_config", "bad", *arguments)
    assert not JudgeConfig.objects.filter(name="bad").exists()


def test_judge_config_will_not_turn_an_imported_judge_into_an_llm_judge(db):
    JudgeConfig.objects.create(name="imported", is_external=True)
    with pytest.raises(CommandError, match="holds imported verdicts"):
        call_command("judge_config", "imported", "--base-url", "http://127.0.0.1:1/v1", "--model", "m")


def test_judge_queues_a_job_and_prints_the_estimate(judged_campaign, judge_config, capsys,
                                                    django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        call_command("judge", "--campaign", judged_campaign.slug, "--config", judge_config.name)
    job = JudgeJob.objects.get()
    assert f"job {job.public_id} queued: 4 judgments, 4 calls (0 cached)" in capsys.readouterr().out
    assert job.status == "queued" and len(callbacks) == 1


@pytest.mark.parametrize("campaign, config, reason", [
    ("nope", "fake-judge", "campaign nope does not exist."),
    ("judged", "nope", "judge config nope does not exist; create it with manage.py judge_config."),
])
def test_judge_names_what_is_missing(judged_campaign, judge_config, campaign, config, reason):
    with pytest.raises(CommandError, match=reason):
        call_command("judge", "--campaign", campaign, "--config", config)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_from_a_shell_an_error_is_one_line_and_exit_status_1(fake_llm):
    settings = connection.settings_dict
    url = (f"sqlite:///{settings['NAME']}" if connection.vendor == "sqlite" else
           f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT'] or 5432}/{settings['NAME']}")
    make_config(fake_llm, name="shell-judge", rubric_key="safety-5")
    from judging.testing.campaigns import campaign_for_judging

    campaign_for_judging(slug="shell", items=1)
    result = subprocess.run(
        [sys.executable, "manage.py", "judge", "--campaign", "shell", "--config", "shell-judge", "--skip-checks"],
        cwd=ROOT, env={**__import__("os").environ, "DATABASE_URL": url}, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.strip() == ("judge shell-judge scores with rubric safety-5, but campaign shell uses "
                                     "quality-5x5; use a config made for quality-5x5.")
