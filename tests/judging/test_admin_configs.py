"""Judge configs in the admin: the same checks as the command and the pages; leads may edit them."""

from django.urls import reverse

from judging.models import JudgeConfig

from ..conftest import make_user


def form_data(config, **changes):
    data = {field: getattr(config, field) if getattr(config, field) is not None else "" for field in (
        "name", "description", "base_url", "model", "api_key_env", "template", "output_format", "temperature", "seed",
        "max_tokens", "samples", "price_input_per_million", "price_output_per_million", "budget", "concurrency",
        "requests_per_minute", "timeout_seconds", "max_attempts", "max_parse_retries", "inconsistent")}
    return {**data, "rubric": config.rubric_id, **changes}


def test_a_lead_with_staff_access_edits_a_config_and_bad_values_are_refused(client, judge_config):
    lead = make_user("lina", "lead")
    lead.is_staff = True
    lead.save()
    client.force_login(lead)
    url = reverse("admin:judging_judgeconfig_change", args=[judge_config.pk])
    assert client.get(url).status_code == 200

    refused = client.post(url, form_data(judge_config, template="mt-bench"))
    assert refused.status_code == 200 and "cannot judge with rubric quality-5x5" in refused.content.decode()
    saved = client.post(url, form_data(judge_config, temperature="0.4"))
    assert saved.status_code == 302
    judge_config.refresh_from_db()
    assert (judge_config.temperature, judge_config.template, judge_config.template_version) == (0.4, "quality", 1)


def test_annotators_have_no_admin_access_to_configs(client, annotator, judge_config):
    client.force_login(annotator)
    assert client.get(reverse("admin:judging_judgeconfig_changelist")).status_code == 302
    assert JudgeConfig.objects.count() == 1
