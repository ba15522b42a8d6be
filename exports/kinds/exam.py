"""Exam campaigns, the exports side (see exports.kinds).

An exam campaign's answers are scored against each question's correct answer: the figures are the exam report
(exam_report: the report page, the command, the API, the release's scores), not agreement, leaderboards or
human–judge statistics, which refuse with a message saying so rather than computing figures that do not fit
exam answers.
"""

NAME = "exam"

from annotation.errors import HyokaError  # noqa: E402


def _no_figures(what):
    def refuse(campaign, *args, **options):
        raise HyokaError(f"campaign {campaign.slug} is an exam campaign: {what} do not apply to exam answers, "
                         f"which are scored against the correct answers")
    return refuse


# ---------------------------------------------------------------------------------------------------------
# Reports: the exam report (exports.reports.exam) on the page, from the command and the API

from exports.reports.exam import score_cell_text  # noqa: E402
from exports.reports.exam import exam_campaign_report as exam_report  # noqa: E402
from exports.reports.exam_page import exam_page  # noqa: E402

REPORT_TEMPLATE = "exports/report_exam.html"


def report_page(campaign, report_request, *, annotator_names=None):
    """The report page's parts (exports.reports.exam_page): every question, whatever ``report_request`` asks
    of the other kinds (a judge, a level, replicates: none applies to exam answers). The page names no
    annotator (the people are pooled as one examinee), so ``annotator_names`` changes nothing."""
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
# Releases (exports.services.build, exports.card, the datasets pages): the questions, the answers, the scores and
# the report; the tables are written by exports.kinds.exam_tables. The card carries the source's license, and a
# non-commercial source is never published under a license that allows commercial use (check_release_license).

from annotation.exam_selectors import campaign_exam_licenses, campaign_exams_without_license  # noqa: E402
from exports.card import final_labels_section, markdown_table  # noqa: E402
from exports.kinds.exam_tables import (  # noqa: E402, F401
    PREFERENCE_PAIRS, preference_pairs, rows_to_read, table_specs, write_figures, write_judgments, write_verdicts,
)

SUMMARY_JUDGMENTS = (("Questions", "questions"), ("Answers (models' and people's)", "answers"))
SUMMARY_VERDICTS = (("Score rows (exam × examinee × question set)", "scores"),)
CHECK_WITHOUT_SIDE = ""
# Release licenses that keep a non-commercial source non-commercial ("other": the description says the terms).
NON_COMMERCIAL_RELEASE_LICENSES = ("cc-by-nc-4.0", "cc-by-nc-sa-4.0", "other")


def source_is_non_commercial(license):
    """Whether a source license forbids commercial use: an NC license (cc-by-nc-4.0, CC BY-NC-SA 4.0) or one
    that says non-commercial."""
    text = (license or "").lower().replace("_", "-").replace(" ", "-")
    return "nc" in text.split("-") or "noncommercial" in text or "non-commercial" in text


def release_report_page(ctx, index, figures, judgments, judged, raters):
    """The report page of the release's campaign `index` (exports.release_report), computed from the database
    as the campaign's page is (the page's figures are cheap to compute)."""
    from exports.release_report import report_from_database

    return report_from_database(ctx, index)


def check_release_license(campaigns, license):
    """Refuse (HyokaError) a release ``license`` that allows commercial use over a campaign whose exams come from
    a non-commercial source, or from a source whose license was never recorded (a center-examination-jp import
    without --license, an upload with the field empty): a lead who has not said what the source allows is not
    to publish its questions under CC BY by default. The message says how to record the source's license."""
    if license in NON_COMMERCIAL_RELEASE_LICENSES:
        return
    choose = f"choose {' or '.join(NON_COMMERCIAL_RELEASE_LICENSES[:2])} (or other, stating the source's terms)"
    for campaign in campaigns:
        found = [name for name in campaign_exam_licenses(campaign) if source_is_non_commercial(name)]
        if found:
            raise HyokaError(
                f"campaign {campaign.slug} is built on questions under the non-commercial license {found[0]}: its "
                f"release cannot be published under {license}, which allows commercial use; {choose}")
    for campaign in campaigns:
        unknown = campaign_exams_without_license(campaign)
        if unknown:
            named = ", ".join(unknown[:5]) + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else "")
            raise HyokaError(
                f"the source license of campaign {campaign.slug}'s exams {named} is unknown, so its release cannot "
                f"be published under {license}, which allows commercial use: record the source's license first "
                f"(import_exam FILES --campaign {campaign.slug} --license ID, which changes nothing else, or "
                f"\"Source license\" on the campaign's Manage page), or {choose}")


def release_stats(answers):
    """Entries of the release's stats besides those of every kind: the questions."""
    return {"items": answers.questions}


def rubric_fields(rubric):
    """Nothing besides the fields of every kind: each question carries its correct answer."""
    return {}


def listed_sizes(stats):
    """(answer rows, questions) of a release, from its stats: what the datasets list shows."""
    return stats.get("rows", {}).get("answers", 0), stats.get("items", 0)


def built_summary(stats):
    """What the release command says it built, from the release's stats."""
    return f"{stats.get('rows', {}).get('answers', 0)} answers to {stats.get('items', 0)} questions"


def card_campaign(campaign):
    """The card's line on one campaign, after its name: its exams and their source's license."""
    licenses = [name or "unknown" for name in campaign_exam_licenses(campaign)]
    exams = campaign.exams.count()
    return f"questions of {exams} exam{'s' if exams != 1 else ''}; source license: {', '.join(licenses) or 'unknown'}."


def card_collection_notes(ctx):
    """The end of the card's collection section: what an item and an answer are, and the source's license."""
    return ("An item is one multiple-choice exam question (`questions`), answered by models (through generation jobs "
            "or imported replies: one row per sample in `answers`, with the reply the answer was read from) and by "
            "people on the rating page (their current answer; `answers.annotator`). Answers are scored "
            "automatically by exact match against the question's correct answer: the same choice, the same blanks in "
            "the same order, or the same set in any order (`answer_form`). A question without a correct answer is "
            "kept and counted as unscorable, never scored. A reply no answer could be read from is a parse failure "
            "(`parsed` false), never a guess. `prompts` holds each question's text; `responses` holds the "
            "questions' placeholders (model `exam-question`, no text), the models' replies being in "
            "`answers.response`.\n\n" + _source_licenses(ctx))


def _source_licenses(ctx):
    lines = ["**The source's license.** The questions remain under their source's license, whatever this "
             "release's: " + "; ".join(
                 f"{campaign.slug}: {', '.join(name or 'unknown' for name in campaign_exam_licenses(campaign))}"
                 for campaign in ctx.campaigns) + "."]
    if any(source_is_non_commercial(name) for campaign in ctx.campaigns for name in campaign_exam_licenses(campaign)):
        lines.append("The source is for non-commercial use only: so is this release.")
    return " ".join(lines)


def card_sections(ctx, written, figures):
    """The card's section on the scores: the working group's table of each campaign."""
    lines = ["## Scores", "",
             "Per exam: its questions (in brackets, the text-only ones, which need no figure), each examinee's "
             "score (in brackets, on the text-only questions) and the students' average in % of the exam's scale. "
             "The score is points-weighted and normalised by the points of the scorable questions answered "
             "readably (100 × the points of the right answers ÷ those points), the mean over a model's samples; "
             "`humans` pools the people, each one a sample. A score marked [answered x of y] covers x of the y "
             "scorable questions only (a text-only run, unreadable answers): it divides by their points, not the "
             "exam's. Every figure (accuracy, spread over samples, parse "
             "failures, each question's answers, how each examinee tracks the students) is in `exam_report.json` "
             "(as the exam_report command's --json) and the `scores` table."]
    for report in figures["exam_report.json"]["campaigns"]:
        names = [examinee["name"] for examinee in report["meta"]["examinees"]]
        lines += ["", f"### {report['meta']['campaign']}", ""]
        if report["meta"]["reason"]:
            lines.append(f"Not computed: {report['meta']['reason']}.")
            continue
        lines.append(markdown_table(
            ["Subject", "Year", "Questions (text-only)", *names, "Students' average"],
            [(row["subject"] or row["exam"], row["year"], f"{row['questions']} ({row['text_only_questions']})",
              *[score_cell_text(row["scores"].get(name), "—") for name in names], _percent(row["student_average"]))
             for row in report["table"]]))
    return ["\n".join(lines), final_labels_section(
        ctx, "the people's answer (`final_answer`, choice numbers)", "the answers other than the most common one",
        table="questions")]


def _percent(value):
    return "—" if value is None else f"{value:.2f}"
