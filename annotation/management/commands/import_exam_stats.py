from annotation.management.base import HyokaCommand
from annotation.readers import FORMATS
from annotation.services.exam_imports import exam_stats_import


class Command(HyokaCommand):
    help = (
        "Import students' results into an exam campaign, from JSONL or CSV: {exam, student_average, scale?} per "
        "exam (the average on the exam's scale: the record's, else the exam's stored one, 100 unless set), "
        "{exam, question_id, correct_rate?, answer_distribution?} per question (a share between 0 and 1, and/or "
        "the students' answers as the gakucho layout gives them, [{type_id, answer_type, response_rate_percent, "
        "correct}], in JSONL). All or nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="A .jsonl or .csv file.")
        parser.add_argument("--campaign", required=True, help="The exam campaign's slug.")
        parser.add_argument("--format", choices=FORMATS, help="Override the format read from the file suffix.")

    def handle(self, *args, file, campaign, format, **options):
        summary = exam_stats_import(path=file, campaign_slug=campaign, file_format=format)
        self.stdout.write(f"{file}: {summary.describe()}")
