"""Exam campaigns, the exports side (see exports.kinds).

An exam campaign's answers are scored against each question's correct answer: the figures are the exam report
(exam_report), not agreement, leaderboards or human–judge statistics. Until the exam report and the exam
release are built here, each of these refuses with a message saying so, rather than computing figures that do
not fit exam answers.
"""

NAME = "exam"

from annotation.errors import HyokaError  # noqa: E402


def _no_figures(what):
    def refuse(campaign, *args, **options):
        raise HyokaError(f"campaign {campaign.slug} is an exam campaign: {what} do not apply to exam answers, "
                         f"which are scored against the correct answers")
    return refuse


def _not_yet(ctx_or_value, *args, **options):
    raise HyokaError("exam campaigns cannot be released yet: the exam release (questions, answers, scores, "
                     "report) is still to come")


# ---------------------------------------------------------------------------------------------------------
# Reports: the exam report (exports.reports.exam) on the page, from the command and the API

from exports.reports.exam import exam_campaign_report as exam_report  # noqa: E402
from exports.reports.exam_page import exam_page  # noqa: E402

REPORT_TEMPLATE = "exports/report_exam.html"


def report_page(campaign, report_request):
    """The report page's parts (exports.reports.exam_page): every question, whatever ``report_request`` asks
    of the other kinds (a judge, a level, replicates: none applies to exam answers)."""
    return exam_page(campaign, exam_report(campaign))


agreement_report = _no_figures("agreement figures")
meta_eval_report = _no_figures("human–judge figures")
leaderboard_report = _no_figures("leaderboards")
lengths_report = _no_figures("length figures")


def agreement_text(report):
    return ""


def meta_eval_text(report):
    return ""


def checklist_part(ticks):
    """Exam questions have no checklists to tick: nothing per item."""
    return {}, {}


# ---------------------------------------------------------------------------------------------------------
# Releases
rows_to_read = write_judgments = preference_pairs = write_verdicts = write_figures = table_specs = _not_yet
release_stats = rubric_fields = card_campaign = card_collection_notes = card_sections = _not_yet
PREFERENCE_PAIRS = None
CHECK_WITHOUT_SIDE = ""
SUMMARY_JUDGMENTS = (("Human answers", "answers"),)
SUMMARY_VERDICTS = ()


def listed_sizes(stats):
    return stats.get("rows", {}).get("answers", 0), stats.get("items", 0)


def built_summary(stats):
    return f"{stats.get('items', 0)} questions"
