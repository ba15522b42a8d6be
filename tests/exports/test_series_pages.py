"""Model series in the browser's pages and the API: the list, the new-series form, adding a checkpoint, the
trajectory page (charts, measures, comparison), its JSON, and uploading scores through the upload machinery."""

import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from annotation.models import LanguageModel, ModelSeries, TaskScore, Upload
from annotation.services.checkpoint_imports import checkpoint_scores_import
from tests.exports.report_factories import write_jsonl

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def import_series(tmp_path, name, shift=0.0, size="1.8B"):
    records = [{"step": step, "tokens": step * 10, "task": "jamp", "metric": "exact_match",
                "score": min(1.0, 0.1 + shift + 0.15 * index)} for index, step in enumerate(range(100, 600, 100))]
    records += [{"step": step, "task": "niilc", "example_id": f"q{example}", "correct": int(example < index)}
                for index, step in enumerate(range(100, 600, 100)) for example in range(4)]
    checkpoint_scores_import(paths=[write_jsonl(tmp_path / f"{name}.jsonl", records)], series_name=name,
                             family="llm-jp-3", size=size)


def test_only_leads_see_the_series_pages(client, annotator, lead, tmp_path):
    import_series(tmp_path, "small")
    client.force_login(annotator)
    assert client.get(reverse("series_list")).status_code == 403
    assert client.get(reverse("series_trajectory", args=["small"])).status_code == 403
    assert client.get(reverse("api_series_trajectory", args=["small"])).status_code == 403
    client.force_login(lead)
    page = client.get(reverse("series_list"))
    assert page.status_code == 200 and b'data-series="small"' in page.content
    assert client.get(reverse("series_trajectory", args=["missing"])).status_code == 404


def test_a_lead_creates_a_series_and_adds_a_checkpoint_in_forms(client, lead):
    client.force_login(lead)
    response = client.post(reverse("series_new"), {"name": "llm-jp-3-13b", "family": "llm-jp-3", "size": "13B"})
    assert response.status_code == 302 and response["Location"] == reverse("series_trajectory", args=["llm-jp-3-13b"])
    again = client.post(reverse("series_new"), {"name": "llm-jp-3-13b"})
    assert "exists already" in again.content.decode()
    client.post(reverse("series_checkpoint_add", args=["llm-jp-3-13b"]), {"step": 1000, "tokens": 4_000_000})
    model = LanguageModel.objects.get(series__name="llm-jp-3-13b")
    assert (model.name, model.step, model.tokens, model.size) == ("llm-jp-3-13b-step1000", 1000, 4_000_000, "13B")
    page = client.get(reverse("series_trajectory", args=["llm-jp-3-13b"]), follow=True)
    assert "llm-jp-3-13b-step1000" in page.content.decode()


def test_the_trajectory_page_draws_every_trajectory_and_its_measures(client, lead, tmp_path):
    import_series(tmp_path, "small")
    client.force_login(lead)
    page = client.get(reverse("series_trajectory", args=["small"]), {"window": 3}).content.decode()
    assert page.count('data-charts="small-multiples"') == 1
    assert page.count("<svg") == 2 * 2  # a small multiple and a large chart per trajectory
    assert 'data-task="jamp"' in page and 'data-task="niilc"' in page
    assert 'data-stat="flips-raw">0.250' in page  # one of the four examples turns correct at each checkpoint
    rule = rule_text(page)
    assert "min_rise" not in rule and "0.05" in rule and "0.25 of the rise below the peak" in rule  # in words


def test_the_table_puts_each_measure_raw_and_smoothed_side_by_side(client, lead, tmp_path):
    import_series(tmp_path, "small")
    client.force_login(lead)
    page = client.get(reverse("series_trajectory", args=["small"])).content.decode()
    jamp, niilc = table_row(page, "jamp"), table_row(page, "niilc")
    # jamp: 0.1, 0.25, 0.4, 0.55, 0.7; the moving average at the last checkpoint is (0.55 + 0.7) / 2.
    assert 'data-stat="last-raw">0.700' in jamp and 'data-stat="last-smoothed">0.625' in jamp
    assert 'data-stat="tv-raw">0.150' in jamp and 'data-stat="voted-tv">—' in jamp
    # niilc: accuracy 0, 1/4, 2/4, 3/4, 1 of four examples; the votes over three change none of them.
    assert 'data-stat="last-raw">1.000' in niilc and 'data-stat="last-smoothed">0.875' in niilc
    assert 'data-stat="flips-raw">0.250' in niilc and 'data-stat="flips-voted">0.250' in niilc
    assert 'data-stat="voted-last">1.000' in niilc and 'data-stat="voted-tv">0.250' in niilc
    assert "Last score: the score at the last scored checkpoint" in page  # what the column means


def table_row(page, task):
    start = page.index(f'<tr data-task="{task}"')
    return page[start:page.index("</tr>", start)]


def rule_text(page):
    start = page.index("data-rule>")
    return page[start:page.index("</p>", start)]


def test_the_page_takes_the_type_rules_thresholds_from_its_query(client, lead, tmp_path):
    import_series(tmp_path, "small")
    client.force_login(lead)
    url = reverse("series_trajectory", args=["small"])
    page = client.get(url).content.decode()
    assert 'data-form="rule"' in page and 'name="min_rise"' in page and 'name="max_fall"' in page
    assert 'data-task="jamp"' in page and 'data-type="late-onset"' in page
    strict = client.get(url, {"min_rise": "0.9", "plateau_span": "0.3"})
    assert strict.status_code == 200
    page = strict.content.decode()
    assert "under 0.9" in rule_text(page) and "at least 0.3 of training" in rule_text(page)
    assert 'data-type="late-onset"' not in page  # jamp's rise (0.45 smoothed) is under the least rise asked for
    assert "?window=3&amp;min_rise=0.9&amp;plateau_span=0.3" in page  # the JSON of what the page shows


@pytest.mark.parametrize("query, field, message", [
    ({"min_rise": "-0.1"}, "min_rise", "greater than or equal to 0"),
    ({"plateau_span": "1.5"}, "plateau_span", "less than or equal to 1"),
    ({"onset_progress": "lots"}, "onset_progress", "Enter a number"),
    ({"window": "4"}, "window", "odd number of checkpoints"),
])
def test_a_bad_threshold_on_the_page_is_a_400_that_says_what_is_wrong(client, lead, tmp_path, query, field, message):
    import_series(tmp_path, "small")
    client.force_login(lead)
    response = client.get(reverse("series_trajectory", args=["small"]), query)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Some values were not applied" in page and message in page
    assert "under 0.05" in rule_text(page) and 'data-task="jamp"' in page  # the defaults, shown


def test_a_compared_series_is_drawn_on_the_same_chart(client, lead, tmp_path):
    import_series(tmp_path, "small")
    import_series(tmp_path, "large", shift=0.2, size="13B")
    client.force_login(lead)
    page = client.get(reverse("series_trajectory", args=["small"]), {"compare": ["large"]}).content.decode()
    assert 'data-line="large"' in page
    assert "?window=3&amp;compare=large" in page  # the JSON of what the page shows
    tokens = client.get(reverse("series_trajectory", args=["small"]), {"x": "tokens"}).content.decode()
    assert "Tokens seen" in tokens
    assert client.get(reverse("series_trajectory", args=["small"]), {"compare": ["nope"]}).status_code == 400


def test_checkpoints_of_a_compared_series_without_tokens_are_left_out_of_a_tokens_chart(client, lead, tmp_path):
    import_series(tmp_path, "small")
    import_series(tmp_path, "large", shift=0.2, size="13B")
    LanguageModel.objects.filter(series__name="large", step__gte=400).update(tokens=None)
    client.force_login(lead)
    page = client.get(reverse("series_trajectory", args=["small"]),
                      {"compare": ["large"], "x": "tokens"}).content.decode()
    start = page.index('data-line="large"')
    drawn = re.findall(r'data-x="([^"]+)"', page[start:page.index("</g>", start)])
    assert drawn == ["1000", "2000", "3000"]  # steps 100–300 at 10 tokens a step; none at 0
    assert "large: 2 of its 5 checkpoints have no token count; they are left out of the charts" in page
    by_step = client.get(reverse("series_trajectory", args=["small"]), {"compare": ["large"]}).content.decode()
    assert "no token count" not in by_step


def test_the_api_returns_the_commands_json(client, lead, tmp_path):
    import_series(tmp_path, "small")
    client.force_login(lead)
    found = client.get(reverse("api_series_trajectory", args=["small"]), {"window": 5}).json()
    assert found["window"] == 5 and [task["task"] for task in found["tasks"]] == ["jamp", "niilc"]
    assert client.get(reverse("api_series_trajectory", args=["small"]), {"window": 4}).status_code == 400


def test_the_api_compares_series(client, lead, tmp_path):
    import_series(tmp_path, "small")
    import_series(tmp_path, "large", shift=0.2, size="13B")
    client.force_login(lead)
    url = reverse("api_series_trajectory", args=["small"])
    found = client.get(url, {"compare": ["large"], "window": 5}).json()
    assert [other["series"]["name"] for other in found["compared"]] == ["large"]
    large = found["compared"][0]
    assert large["window"] == 5 and large["tasks"][0]["raw"]["scores"][0] == pytest.approx(0.3)
    assert "compared" not in client.get(url).json()
    missing = client.get(url, {"compare": ["nope"]})
    assert missing.status_code == 400 and "no model series named 'nope'" in missing.json()["detail"]


def test_the_api_takes_the_type_rules_thresholds(client, lead, tmp_path):
    import_series(tmp_path, "small")
    client.force_login(lead)
    url = reverse("api_series_trajectory", args=["small"])
    default = client.get(url).json()
    assert default["rule"]["max_fall"] == 0.25 and default["tasks"][0]["type"]["type"] == "late-onset"
    strict = client.get(url, {"min_rise": 0.9, "steepest_share": 0.5}).json()
    assert strict["rule"]["min_rise"] == 0.9 and strict["rule"]["steepest_share"] == 0.5
    assert strict["tasks"][0]["type"]["type"] == "unclassified"
    bad = client.get(url, {"plateau_change": 2, "max_fall": -1, "first_stage": "nan"})
    assert bad.status_code == 400
    errors = bad.json()
    assert errors["plateau_change"] == ["plateau_change must be between 0 and 1, not 2"]
    assert errors["max_fall"] == ["max_fall must be 0 or more, not -1"]
    assert errors["first_stage"] == ["A valid number is required."]


def test_scores_uploaded_in_the_browser_are_imported_by_the_upload_worker(client, lead, celery_eager, settings,
                                                                          tmp_path, django_capture_on_commit_callbacks):
    settings.HYOKA_UPLOAD_DIR = str(tmp_path / "uploads")
    ModelSeries.objects.create(name="uploaded")
    client.force_login(lead)
    result = {"scores": {"AVG": 0.3, "jamp": 0.3}}
    body = SimpleUploadedFile("iter_0004000.json", json.dumps(result).encode(), content_type="application/json")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("api_series_uploads", args=["uploaded"]), {"file": body})
    assert response.status_code == 202
    upload = Upload.objects.get()
    assert (upload.status, upload.options["series"]) == (Upload.Status.DONE, "uploaded")
    assert TaskScore.objects.filter(task__key="jamp", model__step=4000).count() == 1
    bad = SimpleUploadedFile("s.jsonl", b'{"step": 1, "task": "t", "metric": "m", "score": "x"}\n')
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("api_series_uploads", args=["uploaded"]), {"file": bad})
    failed = Upload.objects.filter(status=Upload.Status.FAILED).get()
    assert failed.errors == ["s.jsonl:1: score: 'x' is not a number"]
    page = client.get(reverse("series_trajectory", args=["uploaded"])).content.decode()
    assert "Upload checkpoint scores" in page and "iter_0004000.json" in page
    assert 'name="tokens"' in page  # as the command's --tokens


def test_an_uploaded_result_file_takes_its_step_and_tokens_from_the_form(client, lead, celery_eager, settings,
                                                                        tmp_path, django_capture_on_commit_callbacks):
    settings.HYOKA_UPLOAD_DIR = str(tmp_path / "uploads")
    ModelSeries.objects.create(name="uploaded")
    client.force_login(lead)
    url = reverse("api_series_uploads", args=["uploaded"])
    for step, tokens in ((0, 0), (4000, 16_000_000)):
        body = SimpleUploadedFile("result.json", json.dumps({"AVG": 0.3, "jamp": 0.3}).encode())
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post(url, {"file": body, "step": step, "tokens": tokens}).status_code == 202
    assert list(LanguageModel.objects.filter(series__name="uploaded").order_by("step").values_list(
        "step", "tokens")) == [(0, 0), (4000, 16_000_000)]
    bad = client.post(url, {"file": SimpleUploadedFile("r.json", b"{}"), "step": 1, "tokens": -5})
    assert bad.status_code == 400 and "tokens" in bad.json()
