from annotation.errors import HyokaError
from annotation.exam_selectors import campaign_for_exam_report
from annotation.management.base import HyokaCommand
from exports.reports.campaign import campaign_exam_report
from exports.reports.text import exam_report_text, json_text


class Command(HyokaCommand):
    help = (
        "The report of an exam campaign: per exam and examinee (each model that answered, through generation jobs "
        "or imported answers, and the people who answered on the rating page, pooled as 'humans', each annotator "
        "a sample) the questions, the scorable ones (a question without a correct answer is counted, never "
        "scored), accuracy (exact match: the same choice, the same blanks in the same order, the same set) and "
        "the points-weighted score normalised by the points of the scorable questions answered (an exam of 53 "
        "points is not read out of 100), the same on the text-only questions (those that need no figure), the "
        "spread over samples, and the students' average beside, in % of the exam's scale. First the working "
        "group's table (subject, year, questions (text-only), each examinee's score (text-only score), the "
        "students' average), then each exam's figures (parse failures counted, left out of accuracy and score "
        "except in the 'failures wrong' columns), then how each examinee tracks the students (the correlation of "
        "its correctness with the students' correct rate, and how often its wrong answer is the students' most "
        "common one). With --text-only, every figure covers the text-only questions only. With --json, prints "
        "one JSON object: \"meta\", \"exams\", \"questions\", \"tracking\" and \"table\". Exits with status 1 and "
        "one line when the campaign is unknown, is not an exam campaign, or has no questions or answers yet."
    )

    def add_arguments(self, parser):
        parser.add_argument("--campaign", required=True, help="Slug of an exam campaign.")
        parser.add_argument("--text-only", action="store_true",
                            help="Only the questions that need no figure (as a text-only run of a model sees them).")
        parser.add_argument("--json", action="store_true", help="Print the report as one JSON object.")

    def handle(self, *args, **options):
        campaign = campaign_for_exam_report(options["campaign"])
        report = campaign_exam_report(campaign, text_only=options["text_only"])
        if report["meta"]["reason"]:
            raise HyokaError(report["meta"]["reason"])
        self.stdout.write(json_text(report) if options["json"] else exam_report_text(report))
