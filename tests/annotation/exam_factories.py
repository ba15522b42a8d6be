"""Exam records written for the tests, in the two source layouts (never the center-examination-jp data itself,
whose license forbids copying it into the repository)."""

import json

# The smallest valid PNG (1×1, transparent) and JPEG headers: enough for the figure checks, which read the bytes.
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


def center_question(question_id, text, choices, answer, score="3", need_image="no", images=(), **extra):
    """A record of the center-examination-jp layout (every value a string but choices and image_files)."""
    return {
        "source": "Test Center", "subject": "KagakuIB(main exam)", "year": "2001", "question_id": question_id,
        "label": f"問{question_id[1:]}", "text": text,
        "choices": {f"choice{number}": choice for number, choice in enumerate(choices, start=1)},
        "answer_style": "multipleChoice", "answer_type": "sentence", "knowledge_type": "KS,DM_C1",
        "need_image": need_image, "image_files": list(images), "correct_answer": answer, "score": score, **extra,
    }


def center_exam():
    """Four questions: one choice (3 points), two ordered blanks "3,1" (4), a set "2|4" (4) needing a figure,
    and one without an answer or points."""
    return [
        center_question("Q1", "水の化学式として正しいものを，次の①～④のうちから一つ選べ。",
                        ["①H2O", "②CO2", "③H2O2", "④O2"], "1", score="3"),
        center_question("Q2", "空欄ア・イに入る数値を，次の①～⑤のうちからそれぞれ一つずつ選べ。",
                        ["①1", "②2", "③3", "④4", "⑤5"], "3,1", score="4"),
        center_question("Q3", "図１の装置について正しいものを，次の①～⑤のうちから二つ選べ。ただし，解答の順序は問わない。",
                        ["①a", "②b", "③c", "④d", "⑤e"], "2|4", score="4", need_image="yes",
                        images=["Center-2001--Main-Test-001.png"]),
        center_question("Q4", "（原本で問題文が欠けている設問）", ["①x", "②y", "③z"], "", score=""),
    ]


def gakucho_question(question_id, answer_label="イ", distribution=None, **extra):
    """A record of the gakucho-benchmark layout, with the students' answers."""
    return {
        "source": "全国学力・学習状況調査", "subject": "理科", "year": "2019", "question_id": question_id,
        "label": "1(1)", "main_text": "次の文を読んで答えなさい。", "sub_text": "正しいものを一つ選びなさい。",
        "main_image_files": [], "sub_image_files": [],
        "choices": {"choice1": "酸素", "choice2": "二酸化炭素", "choice3": "窒素", "choice4": "水素"},
        "choices_labels": ["ア", "イ", "ウ", "エ"], "answer_style": "選択式", "correct_answer": answer_label,
        "correct_answer_choice_id": f"choice{'アイウエ'.index(answer_label) + 1}",
        "answer_distribution": distribution if distribution is not None else [
            {"type_id": 1, "answer_type": "ア", "response_rate_percent": 20.5, "correct": False},
            {"type_id": 2, "answer_type": "イ", "response_rate_percent": 61.0, "correct": True},
            {"type_id": 3, "answer_type": "ウ", "response_rate_percent": 10.0, "correct": False},
            {"type_id": 4, "answer_type": "エ", "response_rate_percent": 6.0, "correct": False},
            {"type_id": 9, "answer_type": "上記以外の解答", "response_rate_percent": 1.5, "correct": False},
            {"type_id": 0, "answer_type": "無解答", "response_rate_percent": 1.0, "correct": False},
        ],
        **extra,
    }


def write_json_array(path, records):
    """A JSON array as the center-examination-jp files are laid out: one element after another, indented."""
    path.write_text(json.dumps(records, ensure_ascii=False, indent=1), encoding="utf-8")
    return str(path)


def write_jsonl(path, records):
    path.write_text("\n".join(json.dumps(record, ensure_ascii=False) for record in records) + "\n", encoding="utf-8")
    return str(path)


def write_center_exam(folder, name="Center-2001--Main-Test"):
    """The center exam and its one figure in ``folder``; returns the JSON file's path."""
    (folder / f"{name}-001.png").write_bytes(PNG)
    return write_json_array(folder / f"{name}.json", center_exam())


def exam_campaign(slug="exam", folder=None):
    """An exam campaign of the center exam's four questions (figures under ``folder``, a new temporary folder
    if none), imported as import_exam does."""
    import tempfile
    from pathlib import Path

    from annotation.models import Campaign
    from annotation.services.exam_imports import exam_import

    folder = Path(folder or tempfile.mkdtemp(prefix="hyoka-exam-"))
    exam_import(paths=[write_center_exam(folder)], campaign_slug=slug)
    return Campaign.objects.get(slug=slug)
