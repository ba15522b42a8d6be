"""Importing exam questions (import_exam) and the students' results (import_exam_stats) into an exam campaign.

A question becomes (annotation.kinds.exam): a prompt whose one turn is the question's text (what models are
asked; shared by every campaign, as prompts are), the question's placeholder response (the reserved model
``exam-question``, no text) and the campaign's item of it (what people answer), and its ExamQuestion with the
choices, correct answer, points, figures. The figures are copied into the campaign's folder
(annotation.figure_files) once the import commits.

All or nothing, in one transaction: the first bad record stops the import with ``FILE:LINE: field: reason``
(or, in an upload, every bad record is listed) and nothing is written, no figure kept. Importing the same file
again changes nothing; a question stored with other content under the same exam and id is an error.
"""

from pathlib import Path

from django.db import transaction
from django.db.models import Max

from annotation import kinds
from annotation.errors import FieldError, HyokaError, RecordError
from annotation.exam_answers import question_choices
from annotation.exam_records import center_record, exam_stats_record, gakucho_record, with_choices
from annotation.figure_files import FigureStaging, figure_from_folder
from annotation.models import Exam, ExamQuestion, Item, LanguageModel, Prompt, Response
from annotation.readers import read_json_array, read_records

from .campaigns import campaign_for_import
from .imports import ImportSummary, located

EXAM_RUBRIC = "exam"
LAYOUTS = {".json": "center-examination-jp", ".jsonl": "gakucho-benchmark"}


def exam_import(*, paths, campaign_slug, images=None, leads=(), license=None):
    """Import the exam questions of ``paths`` (.json: the center-examination-jp layout, one exam per file; .jsonl:
    the gakucho layout) into an exam campaign, created if needed. Figures are looked for in ``images``, else
    beside each file. ``license`` (the source's license, e.g. cc-by-nc-4.0) is recorded on the exams of the
    files, replacing what was recorded; None leaves it as it is (unknown for a new exam). Returns an
    ImportSummary."""
    summary = ImportSummary()
    with transaction.atomic():
        campaign = campaign_for_import(slug=campaign_slug, default_rubric=EXAM_RUBRIC, leads=leads)
        kinds.for_campaign(campaign).check_exam_import(campaign)
        with FigureStaging(campaign.slug) as figures:
            importer = QuestionImporter(campaign, summary, figures)
            for path in paths:
                importer.add_file(Path(path), Path(images) if images else Path(path).parent)
            if license is not None:
                exam_license_record(campaign=campaign, license=license, exams=list(importer.exams))
    return summary


def exam_license_record(*, campaign, license, exams=()):
    """Record ``license`` (the source's, e.g. cc-by-nc-4.0) on the exams of exam campaign ``campaign`` named by
    their keys in ``exams``, or on every one of its exams when none is named; replaces what was recorded. A
    release carries it, and exports.kinds.exam.check_release_license reads it. Returns the number of exams."""
    kinds.for_campaign(campaign).check_exam_import(campaign)
    license = (license or "").strip()
    if not license:
        raise FieldError("license", "name the source's license, e.g. cc-by-nc-4.0")
    if len(license) > Exam._meta.get_field("license").max_length:
        raise FieldError("license", f"at most {Exam._meta.get_field('license').max_length} characters")
    chosen = Exam.objects.filter(campaign=campaign)
    if exams:
        unknown = sorted(set(exams) - set(chosen.filter(key__in=exams).values_list("key", flat=True)))
        if unknown:
            raise FieldError("exams", f"campaign {campaign.slug} has no exam {', '.join(unknown)}")
        chosen = chosen.filter(key__in=exams)
    count = chosen.count()
    chosen.exclude(license=license).update(license=license)
    return count


def exam_records(path):
    """[(line, QuestionRecord)] of one file, by its layout (its suffix)."""
    layout = LAYOUTS.get(path.suffix.lower())
    if layout is None:
        raise RecordError(path, 0, "file", f"cannot tell the layout from {path.suffix or 'no suffix'!r}: use .json "
                                           f"(center-examination-jp) or .jsonl (gakucho-benchmark)")
    if path.suffix.lower() == ".json":
        return _parsed(path, read_json_array(path), lambda record: center_record(path.stem, record))
    return _parsed(path, read_records(path, "jsonl"), gakucho_record)


def _parsed(path, records, parse):
    parsed = []
    for line, record in records:
        with located(path, line):
            parsed.append((line, parse(record)))
    return parsed


class QuestionImporter:
    """Writes the questions of one import: exams, prompts, placeholder responses, items, ExamQuestions."""

    def __init__(self, campaign, summary, figures):
        self.campaign, self.summary, self.figures = campaign, summary, figures
        self.question_model, _ = LanguageModel.objects.get_or_create(
            name=kinds.for_name(EXAM_RUBRIC).QUESTION_MODEL, defaults={"family": "exam"})
        self.position = Item.objects.filter(campaign=campaign).aggregate(last=Max("position"))["last"] or 0
        self.exams, self.seen, self.failed = {}, {}, False
        self.positions = {}  # exam key -> the position of its last question (ExamQuestion.position)

    def add_file(self, path, figure_folder):
        for line, record in exam_records(path):
            self.summary.records += 1
            with located(path, line):
                self._check_once(path, line, record)
                figures = [self._figure(figure_folder, name) for name in record.figures]
                self._store(record, figures)

    def _check_once(self, path, line, record):
        key = (record.exam, record.question_id)
        if key in self.seen:
            raise FieldError("question_id", f"{record.question_id} of exam {record.exam} is given twice (first at "
                                            f"{self.seen[key]})")
        self.seen[key] = f"{path}:{line}"

    def _figure(self, folder, name):
        try:
            source = figure_from_folder(folder, name)
            self.figures.add(source)
        except HyokaError as error:
            raise FieldError("image_files", str(error)) from None
        return name

    def _store(self, record, figures):
        exam = self._exam(record)
        prompt = self._prompt(record)
        fields = _question_fields(record, figures)
        stored = ExamQuestion.objects.filter(exam=exam, question_id=record.question_id).first()
        if stored is not None:
            self._same(stored, fields, record)
            self._check_stored_form(stored, record)
            self.summary.unchanged["questions"] += 1
            return
        response, _ = Response.objects.get_or_create(prompt=prompt, model=self.question_model,
                                                     defaults={"turns": []})
        self.position += 1
        item, made = Item.objects.get_or_create(campaign=self.campaign, response=response,
                                                defaults={"position": self.position})
        if not made:
            raise FieldError("question_id", f"the campaign holds this question already under another exam id")
        ExamQuestion.objects.create(exam=exam, item=item, prompt=prompt, question_id=record.question_id,
                                    position=self._next_position(exam), **fields)
        self.summary.created["questions"] += 1
        if not record.correct_answer:
            self.summary.created["questions without a correct answer (unscorable)"] += 1

    def _next_position(self, exam):
        """The question's place in its exam: the order of the files and their records, after the questions the
        exam already holds (a later file may add to an exam of the gakucho layout)."""
        if exam.key not in self.positions:
            self.positions[exam.key] = exam.questions.aggregate(last=Max("position"))["last"] or 0
        self.positions[exam.key] += 1
        return self.positions[exam.key]

    def _exam(self, record):
        if record.exam not in self.exams:
            exam, made = Exam.objects.get_or_create(
                campaign=self.campaign, key=record.exam,
                defaults={"source": record.source, "subject": record.subject, "year": record.year})
            self.summary.created["exams"] += made
            self.exams[record.exam] = exam
        return self.exams[record.exam]

    def _prompt(self, record):
        source, external_id = record.source or "exam", f"{record.exam}/{record.question_id}"
        prompt, made = Prompt.objects.get_or_create(source=source, external_id=external_id,
                                                    defaults={"turns": [record.text], "category": record.subject})
        if not made and prompt.turns != [record.text]:
            raise FieldError("text", f"differs from the stored question {external_id} of source {source!r}; "
                                     f"a question's text never changes once imported")
        return prompt

    def _same(self, stored, fields, record):
        """Refuse a question imported again with other content. What the record leaves out is not compared: a
        form set since (the admin) is kept, and so are the students' results of a layout that has none (the
        center layout; import_exam_stats brings them)."""
        left_out = {"answer_form"} if record.answer_form is None else set()
        if not record.student_answers:
            left_out |= {"student_correct_rate", "student_answers"}
        given = {name: value for name, value in fields.items() if name not in left_out}
        differing = [name for name, value in given.items() if _comparable(getattr(stored, name)) != _comparable(value)]
        if differing:
            raise FieldError(differing[0], f"question {record.question_id} of exam {record.exam} is stored with "
                                           f"another {differing[0]}; a question never changes once imported")

    def _check_stored_form(self, stored, record):
        """Warn of a question kept with another answer form than its record's wording implies (imported before
        the wording was read, or set so in the admin since): the stored form scores every answer, so a set kept
        as blanks in order marks "3, 2" wrong. An import never changes a stored question, and cannot tell the two
        cases apart, so the warning says how to settle it."""
        if record.answer_form is not None or stored.answer_form == record.implied_form:
            return
        self.summary.warnings.append(
            f"question {record.question_id} of exam {record.exam} is kept as {stored.answer_form}, but its "
            f"wording implies {record.implied_form}, and answers are scored as {stored.answer_form}. If "
            f"{record.implied_form} is right, set the question's answer form in the admin (Exam questions); if "
            f"{stored.answer_form} is, give \"answer_form\": \"{stored.answer_form}\" in its record.")


def _question_fields(record, figures):
    return {
        "label": record.label, "choices": list(record.choices), "choice_labels": list(record.choice_labels),
        "correct_answer": list(record.correct_answer), "answer_form": record.form, "points": record.points,
        "answer_type": record.answer_type, "knowledge_codes": list(record.knowledge_codes),
        "needs_figure": record.needs_figure, "figures": figures,
        "student_correct_rate": record.student_correct_rate, "student_answers": list(record.student_answers),
    }


def _comparable(value):
    return list(value) if isinstance(value, tuple) else value


# Student statistics -------------------------------------------------------------------------------------

def exam_stats_import(*, path, campaign_slug, file_format=None):
    """Import the students' results: per exam their average (and the exam's scale), per question their correct
    rate. Each names an exam (and question) of the campaign; all or nothing. A figure given again replaces the
    stored one (a source's correction)."""
    summary = ImportSummary()
    path = Path(path)
    with transaction.atomic():
        campaign = campaign_for_import(slug=campaign_slug, create=False)
        kinds.for_campaign(campaign).check_exam_import(campaign)
        exams = {exam.key: exam for exam in Exam.objects.filter(campaign=campaign)}
        for line, record in read_records(path, file_format):
            summary.records += 1
            with located(path, line):
                _store_stats(exams, exam_stats_record(record), summary)
    return summary


def _store_stats(exams, record, summary):
    exam = exams.get(record.exam)
    if exam is None:
        raise FieldError("exam", f"the campaign has no exam {record.exam!r}; its exams: "
                                 f"{', '.join(sorted(exams)) or 'none yet (import_exam first)'}")
    if record.question_id:
        _store_question_stats(exam, record, summary)
        return
    exam.student_average = record.student_average
    exam.scale = record.scale or exam.scale  # left out: the scale stored (100 unless an earlier record set it)
    if exam.student_average > exam.scale:
        raise FieldError("student_average", f"{exam.student_average:g} is not on the exam's scale "
                                            f"(0–{exam.scale:g}; give \"scale\" for another)")
    exam.save(update_fields=["student_average", "scale"])
    summary.created["exam averages"] += 1


def _store_question_stats(exam, record, summary):
    """A question's correct rate and, when given, the students' answers, each named by the question's choices."""
    question = ExamQuestion.objects.filter(exam=exam, question_id=record.question_id).first()
    if question is None:
        raise FieldError("question_id", f"exam {exam.key} has no question {record.question_id!r}")
    question.student_correct_rate = record.correct_rate
    fields = ["student_correct_rate"]
    if record.answers:
        choices = question_choices(question.choices, question.choice_labels)
        question.student_answers = list(with_choices(record.answers, choices))
        fields.append("student_answers")
        summary.created["question answer distributions"] += 1
    question.save(update_fields=fields)
    summary.created["question correct rates"] += 1
