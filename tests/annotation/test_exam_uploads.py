"""Exam questions and their figures uploaded in the browser (the campaign page's upload widget, the same API): a
zip of figures first, then the exam files; a bad zip or a missing figure writes nothing and says why in the
uploader's terms, never with the server's folders."""

import io
import json
import struct
import zipfile

import pytest
from django.conf import settings
from django.test import override_settings
from rest_framework.test import APIClient

from annotation.figure_files import uploaded_figures_dir
from annotation.models import Campaign, ExamQuestion, Rubric
from annotation.services.exam_imports import EXAM_RUBRIC

from .exam_factories import PNG, center_exam, gakucho_question
from .test_uploads import named

FIGURE = "Center-2001--Main-Test-001.png"  # the figure center_exam's third question names


@pytest.fixture(autouse=True)
def eager(settings, tmp_path, celery_eager):
    settings.HYOKA_UPLOAD_DIR = tmp_path / "uploads"
    settings.FILE_UPLOAD_TEMP_DIR = tmp_path / "uploads" / "incoming"
    settings.FILE_UPLOAD_TEMP_DIR.mkdir(parents=True)
    settings.HYOKA_EXAM_FIGURES_DIR = tmp_path / "figures"


@pytest.fixture
def exam(db, lead):
    return Campaign.objects.create(slug="center-chem", name="センター試験 化学", rubric=Rubric.objects.get(key=EXAM_RUBRIC),
                                   created_by=lead)


@pytest.fixture
def as_lead(lead):
    client = APIClient()
    client.force_authenticate(lead)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def zipped(members, compression=zipfile.ZIP_STORED):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def declaring(content, size):
    """A zip whose one member's headers (local and central) declare ``size`` bytes unpacked, whatever it holds."""
    data = bytearray(content)
    struct.pack_into("<I", data, data.find(b"PK\x03\x04") + 22, size)  # the local header's uncompressed size
    struct.pack_into("<I", data, data.find(b"PK\x01\x02") + 24, size)  # the central directory's
    return bytes(data)


def patched(content, local_offset, central_offset, value):
    """A zip whose one member's headers (local and central) hold ``value`` (two bytes) at the offsets given."""
    data = bytearray(content)
    struct.pack_into("<H", data, data.find(b"PK\x03\x04") + local_offset, value)
    struct.pack_into("<H", data, data.find(b"PK\x01\x02") + central_offset, value)
    return bytes(data)


def encrypted(content):
    """The member flagged as encrypted (Python's zipfile writes no encrypted member; it refuses to read one
    without a password all the same)."""
    return patched(content, 6, 8, 0x1)  # the general purpose flags


def compressed_by(content, method):
    """The member marked as compressed by ``method`` (9: Deflate64, which Python's zipfile does not read)."""
    return patched(content, 8, 10, method)


def uploaded_names(campaign):
    folder = uploaded_figures_dir(campaign.slug)
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def send(client, campaign, kind, name, content, capture, **fields):
    """POST the file as ``kind``; (the POST's answer, the upload as the API shows it once imported)."""
    with capture(execute=True):
        answer = client.post(f"/api/campaigns/{campaign.slug}/uploads/",
                             {"file": named(name, content), "kind": kind, **fields}, format="multipart")
    if answer.status_code != 202:
        return answer, None
    return answer, client.get(f"/api/uploads/{answer.json()['id']}/").json()


CENTER = json.dumps(center_exam(), ensure_ascii=False).encode()


def test_figures_then_the_exam_file_make_the_questions_with_their_figure(
        as_lead, client, lead, exam, django_capture_on_commit_callbacks):
    _, figures = send(as_lead, exam, "exam_figures", "figures.zip", zipped({f"images/{FIGURE}": PNG}),
                      django_capture_on_commit_callbacks)
    assert (figures["status"], figures["summary"]) == (
        "done", "1 figures received; the exam files uploaded next take their figures from them.")

    _, questions = send(as_lead, exam, "exam", "Center-2001--Main-Test.json", CENTER, django_capture_on_commit_callbacks)

    assert questions["status"] == "done", questions["errors"]
    stored = ExamQuestion.objects.filter(exam__campaign=exam, exam__key="Center-2001--Main-Test")
    assert sorted(stored.values_list("question_id", flat=True)) == ["Q1", "Q2", "Q3", "Q4"]
    assert stored.get(question_id="Q3").figures == [FIGURE]
    client.force_login(lead)
    served = client.get(f"/campaigns/{exam.slug}/figures/{FIGURE}")
    assert served.status_code == 200 and b"".join(served.streaming_content) == PNG


def test_the_source_license_is_recorded_on_the_exams(as_lead, exam, django_capture_on_commit_callbacks):
    send(as_lead, exam, "exam_figures", "figures.zip", zipped({FIGURE: PNG}), django_capture_on_commit_callbacks)

    _, done = send(as_lead, exam, "exam", "Center-2001--Main-Test.json", CENTER, django_capture_on_commit_callbacks,
                   license="cc-by-nc-4.0")
    refused, _ = send(as_lead, exam, "exam_figures", "more.zip", zipped({"b.png": PNG}),
                      django_capture_on_commit_callbacks, license="cc-by-4.0")

    assert done["status"] == "done" and list(exam.exams.values_list("license", flat=True)) == ["cc-by-nc-4.0"]
    assert refused.status_code == 400 and "exam questions only" in refused.json()["detail"]


def test_the_gakucho_layout_uploads_as_jsonl(as_lead, exam, django_capture_on_commit_callbacks):
    records = [gakucho_question("Q1"), gakucho_question("Q2", answer_label="ウ")]
    content = "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records).encode()

    _, done = send(as_lead, exam, "exam", "gakucho-science-2019.jsonl", content, django_capture_on_commit_callbacks)

    assert done["status"] == "done", done["errors"]
    assert sorted(ExamQuestion.objects.values_list("question_id", "correct_answer")) == [("Q1", [2]), ("Q2", [3])]


def test_uploading_an_exam_again_warns_of_a_question_kept_in_another_form_than_its_wording_says(
        as_lead, exam, django_capture_on_commit_callbacks):
    records = [gakucho_question("Q1", sub_text="正しいものを二つ選びなさい（順不同）。", correct_answer="イ,エ",
                                correct_answer_choice_id="choice2,choice4", distribution=[])]
    content = "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records).encode()
    send(as_lead, exam, "exam", "gakucho-science-2019.jsonl", content, django_capture_on_commit_callbacks)
    ExamQuestion.objects.update(answer_form="ordered")  # as an import before the wording was read stored it

    _, again = send(as_lead, exam, "exam", "gakucho-science-2019.jsonl", content, django_capture_on_commit_callbacks)

    assert again["status"] == "done"
    assert "Warning: question Q1 of exam 理科-2019 is kept as ordered, but its wording implies unordered" \
        in again["summary"]
    assert "set the question's answer form in the admin (Exam questions)" in again["summary"]


def test_an_exam_file_whose_figure_was_not_uploaded_writes_nothing_and_says_to_upload_it(
        as_lead, exam, django_capture_on_commit_callbacks):
    _, done = send(as_lead, exam, "exam", "Center-2001--Main-Test.json", CENTER, django_capture_on_commit_callbacks)

    assert done["status"] == "failed" and ExamQuestion.objects.count() == 0
    message = " ".join(done["errors"])
    assert FIGURE in message and "upload their zip first" in message
    assert str(settings.HYOKA_EXAM_FIGURES_DIR) not in message and str(settings.HYOKA_UPLOAD_DIR) not in message


@pytest.mark.parametrize("members, named_in_error", [
    ({"notes.txt": b"hello"}, "notes.txt"),  # not an image
    ({"../escape.png": PNG}, "../escape.png"),  # a path outside the folder
    ({"/etc/escape.png": PNG}, "/etc/escape.png"),  # an absolute path
    ({"\\escape.png": PNG}, "\\escape.png"),  # an absolute path, written the Windows way
    ({"fake.png": b"GIF89a not a png at all"}, "fake.png"),  # an image name over other bytes
])
def test_a_bad_zip_is_refused_naming_the_member_and_keeps_nothing(as_lead, exam, django_capture_on_commit_callbacks,
                                                                   members, named_in_error):
    good = {"ok.png": PNG}
    _, done = send(as_lead, exam, "exam_figures", "figures.zip", zipped({**good, **members}),
                   django_capture_on_commit_callbacks)

    assert done["status"] == "failed" and named_in_error in " ".join(done["errors"])
    folder = uploaded_figures_dir(exam.slug)
    assert not folder.exists() or list(folder.iterdir()) == []
    assert [path.name for path in folder.parent.glob(".unpacking-*")] == []


def test_a_zip_that_is_no_zip_is_refused(as_lead, exam, django_capture_on_commit_callbacks):
    _, done = send(as_lead, exam, "exam_figures", "figures.zip", b"PK? not really", django_capture_on_commit_callbacks)

    assert done["status"] == "failed" and "not a zip archive" in " ".join(done["errors"])


def test_exam_uploads_go_to_exam_campaigns_and_in_their_file_types(as_lead, campaign, exam,
                                                                   django_capture_on_commit_callbacks):
    refused, _ = send(as_lead, campaign, "exam", "Center-2001--Main-Test.json", CENTER, django_capture_on_commit_callbacks)
    assert refused.status_code == 400
    assert "cannot be uploaded to campaign jp-quality" in refused.json()["detail"]
    assert "Ratings" in refused.json()["detail"]  # what a likert campaign takes

    refused, _ = send(as_lead, exam, "ratings", "ratings.jsonl", b"{}\n", django_capture_on_commit_callbacks)
    assert refused.status_code == 400 and "Exam questions" in refused.json()["detail"]

    refused, _ = send(as_lead, exam, "exam", "questions.csv", b"a,b\n", django_capture_on_commit_callbacks)
    assert refused.status_code == 400 and ".jsonl" in refused.json()["detail"]
    refused, _ = send(as_lead, exam, "exam_figures", "figures.tar", b"x", django_capture_on_commit_callbacks)
    assert refused.status_code == 400 and ".zip" in refused.json()["detail"]


def test_the_campaign_page_offers_what_its_kind_takes(client, lead, campaign, exam):
    client.force_login(lead)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    exam_page = client.get(f"/campaigns/{exam.slug}/").content.decode()
    likert_page = client.get(f"/campaigns/{campaign.slug}/").content.decode()

    assert '<option value="exam">' in exam_page and '<option value="exam_figures">' in exam_page
    assert '<option value="ratings">' not in exam_page and ".zip" in exam_page
    assert '<option value="ratings">' in likert_page and '<option value="exam">' not in likert_page


def failure(done):
    assert done["status"] == "failed", done
    return " ".join(done["errors"])


@override_settings(HYOKA_EXAM_ZIP_MAX_BYTES=2 * len(PNG) - 1)
def test_a_zip_that_unpacks_over_the_limit_is_refused_before_anything_is_unpacked(
        as_lead, exam, django_capture_on_commit_callbacks):
    _, done = send(as_lead, exam, "exam_figures", "figures.zip", zipped({"a.png": PNG, "b.png": PNG}),
                   django_capture_on_commit_callbacks)
    assert (f"the figures zip unpacks to {2 * len(PNG)} bytes, over the limit of {2 * len(PNG) - 1} "
            f"(HYOKA_EXAM_ZIP_MAX_BYTES)") in failure(done)
    assert uploaded_names(exam) == []

    _, done = send(as_lead, exam, "exam_figures", "figures.zip", zipped({"a.png": PNG}),
                   django_capture_on_commit_callbacks)
    assert done["status"] == "done" and uploaded_names(exam) == ["a.png"]


@override_settings(HYOKA_EXAM_FIGURE_MAX_BYTES=len(PNG))
def test_a_figure_over_the_limit_per_figure_is_refused_naming_it(as_lead, exam, django_capture_on_commit_callbacks):
    _, done = send(as_lead, exam, "exam_figures", "figures.zip",
                   zipped({"ok.png": PNG, "images/big.png": PNG + b"\0" * 10}), django_capture_on_commit_callbacks)
    assert (f"images/big.png is {len(PNG) + 10} bytes, over the limit of {len(PNG)} per figure") in failure(done)
    assert uploaded_names(exam) == []


def test_a_member_that_unpacks_to_more_than_it_declares_is_refused_naming_it(
        as_lead, exam, django_capture_on_commit_callbacks):
    """A header may lie to slip past the limits: the member is read no further than it declares, and refused."""
    bomb = declaring(zipped({"bomb.png": PNG + b"\0" * 100_000}, zipfile.ZIP_DEFLATED), size=len(PNG))
    _, done = send(as_lead, exam, "exam_figures", "figures.zip", bomb, django_capture_on_commit_callbacks)

    assert f"bomb.png in the figures zip is damaged or unpacks to more than its declared {len(PNG)} bytes" \
        in failure(done)
    assert uploaded_names(exam) == []
    assert [path.name for path in uploaded_figures_dir(exam.slug).parent.glob(".unpacking-*")] == []


@pytest.mark.parametrize("packed, message", [
    (encrypted, "images/locked.png in the figures zip is encrypted: zip the figures again without a password"),
    (lambda content: compressed_by(content, 9), "images/locked.png in the figures zip cannot be unpacked here "
                                                "(That compression method is not supported): zip the figures again "
                                                "with the usual compression (deflate)"),
])
def test_a_member_zipfile_cannot_open_is_refused_naming_it(as_lead, exam, django_capture_on_commit_callbacks,
                                                           packed, message):
    _, done = send(as_lead, exam, "exam_figures", "figures.zip", packed(zipped({"images/locked.png": PNG})),
                   django_capture_on_commit_callbacks)

    assert message in failure(done)
    assert uploaded_names(exam) == []


@override_settings(HYOKA_EXAM_UPLOADED_FIGURES_MAX_BYTES=2 * len(PNG))
def test_the_figures_uploaded_to_a_campaign_stay_within_their_limit_in_all(
        as_lead, exam, lead, django_capture_on_commit_callbacks):
    _, first = send(as_lead, exam, "exam_figures", "first.zip", zipped({"a.png": PNG, "b.png": PNG}),
                    django_capture_on_commit_callbacks)
    _, second = send(as_lead, exam, "exam_figures", "second.zip", zipped({"c.png": PNG}),
                     django_capture_on_commit_callbacks)
    _, again = send(as_lead, exam, "exam_figures", "again.zip", zipped({"b.png": PNG}),  # replaces b.png: no more
                    django_capture_on_commit_callbacks)

    assert first["status"] == "done" and again["status"] == "done"
    message = failure(second)
    assert (f"with this zip the figures uploaded to the campaign would come to {3 * len(PNG)} bytes "
            f"({2 * len(PNG)} already there), over the limit of {2 * len(PNG)} per campaign "
            f"(HYOKA_EXAM_UPLOADED_FIGURES_MAX_BYTES)") in message
    assert str(settings.HYOKA_EXAM_FIGURES_DIR) not in message
    assert uploaded_names(exam) == ["a.png", "b.png"]
    # Another campaign has a limit of its own.
    other = Campaign.objects.create(slug="center-bio", name="センター試験 生物", rubric=exam.rubric, created_by=lead)
    _, elsewhere = send(as_lead, other, "exam_figures", "c.zip", zipped({"c.png": PNG}), django_capture_on_commit_callbacks)
    assert elsewhere["status"] == "done"
