"""The upload widget on a campaign page, in real Chromium: a file with a bad line lists its errors and writes
nothing; the corrected file, dropped on the widget, is imported and the page says what was made. The import
runs as the Celery task in eager mode (tests/annotation/test_upload_worker.py runs it on a real worker)."""

import json

import pytest
from django.urls import reverse

from annotation.models import Campaign, Item, Rubric
from tests.conftest import make_user

from .pages import sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),  # keeps the built-in rubrics
]


@pytest.fixture
def eager_uploads(settings, tmp_path, celery_eager):
    settings.HYOKA_UPLOAD_DIR = tmp_path / "uploads"
    settings.FILE_UPLOAD_TEMP_DIR = tmp_path / "uploads" / "incoming"
    settings.FILE_UPLOAD_TEMP_DIR.mkdir(parents=True)


def records(bad_line=None):
    lines = [json.dumps({"prompt_id": f"q{n}", "prompt": f"質問{n}", "model": model, "response": f"{model}の答え{n}"},
                        ensure_ascii=False) for n in range(1, 4) for model in ("model-x", "model-y")]
    if bad_line:
        lines[bad_line - 1] = json.dumps({"prompt_id": "q9", "model": "model-x", "response": "問いがない"})
    return ("\n".join(lines) + "\n").encode()


def test_a_lead_uploads_a_bad_file_sees_its_errors_then_drops_the_good_one(live_server, browser_page, eager_uploads,
                                                                           tmp_path, artifacts):
    lead = make_user("lena", "lead")
    campaign = Campaign.objects.create(slug="upload", name="アップロード", rubric=Rubric.objects.get(key="quality-5x5"),
                                       created_by=lead)
    page = browser_page
    path = reverse("campaign_detail", args=[campaign.slug])
    sign_in(page, live_server, "lena", path)

    bad = tmp_path / "responses.jsonl"
    bad.write_bytes(records(bad_line=2))
    page.select_option("#upload-kind", "responses")
    page.set_input_files("#upload-file", str(bad))
    page.click("#upload-submit")
    page.wait_for_selector("#upload-errors li")
    assert page.locator("#upload-errors li").all_inner_texts() == [
        "responses.jsonl:2: prompt: is required (or give 'turns' as a list)"]
    assert "何も書き込まれていません" in page.inner_text("#upload-status")
    assert Item.objects.count() == 0

    page.evaluate("""content => {
        const transfer = new DataTransfer();
        transfer.items.add(new File([content], "responses-fixed.jsonl", {type: "application/jsonl"}));
        const zone = document.getElementById("upload-dropzone");
        zone.dispatchEvent(new DragEvent("dragover", {dataTransfer: transfer, bubbles: true, cancelable: true}));
        zone.dispatchEvent(new DragEvent("drop", {dataTransfer: transfer, bubbles: true, cancelable: true}));
    }""", records().decode())
    assert page.evaluate("document.getElementById('upload-file').files[0].name") == "responses-fixed.jsonl"
    page.click("#upload-submit")
    page.wait_for_function("document.getElementById('upload-status').textContent.startsWith('取り込みました')")
    assert "6 records: created 2 models, 3 prompts, 6 responses, 6 items" in page.inner_text("#upload-status")
    assert page.locator("#upload-errors li").count() == 0
    assert page.evaluate("document.getElementById('upload-progress').value") == 1
    assert Item.objects.filter(campaign=campaign).count() == 6
    page.locator("#upload").screenshot(path=str(artifacts / "upload.png"))

    page.reload()
    assert page.locator("#upload-history li").count() == 2
