"""A whole study in real Chromium, from an empty database, with no command line and no admin: a lead creates a
campaign in the form, uploads a file of responses with a bad line (its error is shown, nothing is written), then
the fixed file; adds two annotators with their tiers, cuts and assigns batches and opens the campaign; both
annotators rate every item they were given with the keyboard alone; the lead reads the report and builds and
publishes a release; an anonymous visitor downloads it from /datasets/ and checks it against the checksums shown.

The accounts are made beforehand, as an operator would. Imports and release builds are Celery tasks, run here in
eager mode as tests/browser/test_upload.py does (tests/annotation/test_upload_worker.py runs an upload on a real
worker)."""

import hashlib
import json
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User

from annotation.models import (
    Annotator, Assignment, Batch, Campaign, Item, LanguageModel, Prompt, Rating, Response, Upload,
)
from exports.models import Release

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),  # keeps the built-in rubrics
]

PASSWORDS = {"lena": "lena-password", "alice": "alice-password", "bob": "bob-password"}
AXES = ("relevance", "fluency", "accuracy", "detail", "overall")
# What each annotator gives a careful answer and a careless one, per axis: close, but not the same.
SCORES = {
    ("alice", "丁寧"): "55454", ("bob", "丁寧"): "45444",
    ("alice", "雑"): "21212", ("bob", "雑"): "11222",
}


@pytest.fixture
def study_settings(settings, tmp_path, monkeypatch, celery_eager):
    settings.HYOKA_UPLOAD_DIR = tmp_path / "uploads"
    settings.FILE_UPLOAD_TEMP_DIR = tmp_path / "uploads" / "incoming"
    settings.FILE_UPLOAD_TEMP_DIR.mkdir(parents=True)
    settings.RELEASES_ROOT = tmp_path / "releases"
    monkeypatch.setattr("exports.statistics.REPLICATES", 50)  # intervals are shown, not checked for width


@pytest.fixture
def accounts(db):
    """The lead's account in the lead group, and two accounts in no group yet: adding them makes them annotators."""
    for username, password in PASSWORDS.items():
        user = User.objects.create_user(username, password=password)
        if username == "lena":
            user.groups.add(Group.objects.get(name="lead"))


def responses_file(bad_line=None):
    """Two prompts, each answered carefully by model-p and carelessly by model-q: four items."""
    records = [{"prompt_id": f"q{n}", "prompt": f"質問{n}: 日本の首都について説明してください。", "model": model,
                "response": f"{manner}答え{n}"}
               for n in (1, 2) for model, manner in (("model-p", "丁寧な"), ("model-q", "雑な"))]
    if bad_line:
        del records[bad_line - 1]["prompt"]
    return ("\n".join(json.dumps(record, ensure_ascii=False) for record in records) + "\n").encode()


def sign_in(page, base, username, next_path):
    page.goto(f"{base}{next_path}")
    assert "/accounts/login/" in page.url  # anyone not signed in is asked to first
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORDS[username])
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}{next_path}")


def rate_everything_with_the_keyboard(page, username):
    """From "my work": the Start button, then per item a digit per axis and Enter, as many items as the page
    says the annotator holds; after the last, the page says nothing is left. Returns that number."""
    held = int(page.inner_text("[data-campaign=capital-quality] [data-count=total]"))
    page.locator("form[action$='/next/'] button").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/items/[0-9a-f-]{36}/$"))
    for number in range(1, held + 1):
        page.wait_for_function("document.activeElement && document.activeElement.matches('[data-score]')")
        manner = "丁寧" if "丁寧な答え" in page.locator(".rate-layout").inner_text() else "雑"
        for digit in SCORES[username, manner]:
            page.keyboard.press(digit)
        before = page.url
        page.keyboard.press("Enter")
        if number < held:
            page.wait_for_url(lambda url: url != before and "/items/" in url)
    page.locator("[data-done]").wait_for(state="visible")
    assert "評価する項目はもうありません" in page.inner_text("[data-done]")
    return held


def test_a_whole_study_runs_in_the_browser_from_an_empty_database(live_server, new_page, accounts, study_settings,
                                                                 tmp_path):
    base = live_server.url
    assert not Campaign.objects.exists() and not Item.objects.exists() and not Release.objects.exists()

    # The lead signs in and creates the campaign in the form.
    lead = new_page()
    sign_in(lead, base, "lena", "/")
    lead.click("#new-campaign")
    lead.fill("#id_name", "首都の説明 品質評価")
    lead.fill("#id_slug", "capital-quality")
    lead.select_option("#id_rubric", "quality-5x5")
    lead.fill("#id_overlap", "2")
    lead.fill("#id_instructions", "各観点を 1–5 で採点してください。")
    lead.click("#campaign-create")
    lead.wait_for_url(f"{base}/campaigns/capital-quality/manage/")
    campaign = Campaign.objects.get(slug="capital-quality")

    # Uploads, on the campaign's page (the Manage page of an empty campaign points there): a file with a bad
    # line writes nothing; the fixed one is imported.
    lead.click("[data-empty=items] a")
    lead.wait_for_url(f"{base}/campaigns/capital-quality/#upload")
    bad = tmp_path / "responses.jsonl"
    bad.write_bytes(responses_file(bad_line=3))
    lead.select_option("#upload-kind", "responses")
    lead.set_input_files("#upload-file", str(bad))
    lead.click("#upload-submit")
    lead.wait_for_selector("#upload-errors li")
    assert lead.locator("#upload-errors li").all_inner_texts() == [
        "responses.jsonl:3: prompt: is required (or give 'turns' as a list)"]
    assert "何も書き込まれていません" in lead.inner_text("#upload-status")
    assert [LanguageModel.objects.count(), Prompt.objects.count(), Response.objects.count(), Item.objects.count()] == [
        0, 0, 0, 0]

    fixed = tmp_path / "responses-fixed.jsonl"
    fixed.write_bytes(responses_file())
    lead.set_input_files("#upload-file", str(fixed))
    lead.click("#upload-submit")
    lead.wait_for_function("document.getElementById('upload-status').textContent.startsWith('取り込みました')")
    assert "4 records: created 2 models, 2 prompts, 4 responses, 4 items" in lead.inner_text("#upload-status")
    assert lead.locator("#upload-errors li").count() == 0
    assert lead.evaluate("[document.getElementById('upload-progress').value, "
                         "document.getElementById('upload-progress').max]") == [1, 1]
    assert Item.objects.filter(campaign=campaign).count() == 4
    assert list(Upload.objects.order_by("created_at").values_list("status", flat=True)) == ["failed", "done"]

    # People, batches and opening, on the Manage page.
    lead.click("a[href='/campaigns/capital-quality/manage/']")
    lead.wait_for_url(f"{base}/campaigns/capital-quality/manage/")
    for username, tier in (("alice", "graduate"), ("bob", "vendor")):
        lead.fill("#id_username", username)
        lead.select_option("#id_role", "annotator")
        lead.select_option("#id_tier", tier)
        lead.click("#member-add button[type=submit]")
        lead.wait_for_selector(f'tr[data-member="{username}"][data-role="annotator"]')
        assert lead.locator(f"#tier-{username}").input_value() == tier
    cut = lead.locator("form[action$='/batches/cut/']")
    cut.locator("input[name=size]").fill("2")
    cut.locator("input[name=order][value=prompt]").check()
    cut.locator("button[type=submit]").click()
    lead.wait_for_selector('tr[data-batch="2"]')
    assign = lead.locator("form[action$='/batches/assign/']")
    assign.locator("input[name=annotators][value=alice]").check()
    assign.locator("input[name=annotators][value=bob]").check()
    assign.locator("button[type=submit]").click()
    lead.wait_for_function("[...document.querySelectorAll('tr[data-batch] .chip')].length === 4")
    opening = lead.locator("form[action$='/open/']")
    opening.locator("input[name=mode][value=batches]").check()
    opening.locator("button[type=submit]").click()
    lead.wait_for_selector("h1 .badge--active")
    assert Batch.objects.filter(campaign=campaign).count() == 2
    assert sorted(Assignment.objects.values_list("batch__number", "annotator__handle")) == [
        (1, "alice"), (1, "bob"), (2, "alice"), (2, "bob")]
    assert dict(Annotator.objects.values_list("handle", "tier")) == {"alice": "graduate", "bob": "vendor"}

    # Both annotators rate every item they hold, with the keyboard alone.
    for username in ("alice", "bob"):
        annotator = new_page()
        sign_in(annotator, base, username, "/my-work/")
        assert rate_everything_with_the_keyboard(annotator, username) == 4
        assert "model-p" not in annotator.content()  # a blind study
    assert Rating.objects.filter(item__campaign=campaign).count() == 8
    alice_careful = Rating.objects.get(annotator__handle="alice", item__response__model__name="model-p",
                                       item__response__prompt__external_id="q1")
    assert {score.axis.key: score.score for score in alice_careful.scores.select_related("axis")} == dict(
        zip(AXES, map(int, SCORES["alice", "丁寧"])))

    # The lead reads the report: agreement on every axis.
    lead.goto(f"{base}/campaigns/capital-quality/")
    lead.click("a[href='/campaigns/capital-quality/report/']")
    lead.wait_for_url(f"{base}/campaigns/capital-quality/report/")
    agreement = lead.locator("[data-table=agreement]")
    assert agreement.locator("tbody tr").evaluate_all("rows => rows.map(r => r.dataset.axis)") == list(AXES)
    alphas = agreement.locator("[data-stat=alpha] .estimate").evaluate_all("es => es.map(e => e.dataset.value)")
    assert len(alphas) == 5 and all(alpha is not None and float(alpha) > 0.5 for alpha in alphas), alphas
    exact = agreement.locator("[data-stat=exact] .estimate").evaluate_all("es => es.map(e => e.dataset.value)")
    assert [float(value) for value in exact] == [0.0, 1.0, 1.0, 0.0, 1.0]  # see SCORES

    # ... and builds and publishes a release from the releases page.
    lead.goto(f"{base}/campaigns/capital-quality/")
    lead.click("a[href='/campaigns/capital-quality/releases/']")
    lead.wait_for_url(f"{base}/campaigns/capital-quality/releases/")
    lead.fill("#id_version", "1.0.0")
    lead.fill("#id_title", "首都の説明 人手評価")
    lead.click("form.release-form button[type=submit]")
    lead.wait_for_url(re.compile(r"/releases/[0-9a-f-]{36}/$"))
    lead.wait_for_selector(".build-status--succeeded")
    lead.click("form[action$='/publish/'] button")
    lead.wait_for_selector("form[action$='/withdraw/']")
    release = Release.objects.get()
    assert (release.status, release.name, release.version) == ("published", "capital-quality", "1.0.0")

    # An anonymous visitor finds it on /datasets/ and downloads it: the checksum list, the ratings and the zip,
    # each matching the SHA-256 the page shows; the list agrees with the page on every other file.
    visitor = new_page()
    visitor.goto(f"{base}/datasets/")
    visitor.click("text=首都の説明 人手評価")
    visitor.wait_for_url(f"{base}/datasets/capital-quality/1.0.0/")
    rows = visitor.locator(".release-files tbody tr")
    shown = dict(zip(rows.locator("th a").all_inner_texts(), rows.locator("code.checksum").all_inner_texts()))
    assert {"SHA256SUMS", "data/ratings.jsonl", "capital-quality-1.0.0.zip"} <= set(shown), shown
    downloaded = {}
    for path in ("SHA256SUMS", "data/ratings.jsonl", "capital-quality-1.0.0.zip"):
        with visitor.expect_download() as download:
            visitor.click(f".release-files th a:text-is('{path}')")
        downloaded[path] = Path(download.value.path()).read_bytes()
        assert hashlib.sha256(downloaded[path]).hexdigest() == shown[path], path
    listed = dict(reversed(line.split(maxsplit=1)) for line in downloaded["SHA256SUMS"].decode().splitlines())
    assert {path: checksum for path, checksum in shown.items() if path != "SHA256SUMS"} == listed
    rows = [json.loads(line) for line in downloaded["data/ratings.jsonl"].decode().splitlines()]
    assert len(rows) == 8 * len(AXES)  # a row per item, annotator and axis
    assert "alice" not in downloaded["data/ratings.jsonl"].decode()  # pseudonyms, not user names
