"""Campaign kinds, the exports side: the report page's sections, the release tables and row counts, and the
dataset card's sections of each kind. See annotation.kinds for the seam; every module here defines the names
in ``CONTRACT``."""

from annotation.kinds import lookups
from exports.kinds import exam, likert, pairwise

KINDS = {module.NAME: module for module in (likert, pairwise, exam)}

# What a release of the kind's campaigns is made of (exports.services.build, exports.card, the datasets pages).
RELEASE_CONTRACT = (
    "rows_to_read", "write_judgments", "PREFERENCE_PAIRS", "preference_pairs", "write_verdicts", "write_figures",
    "table_specs", "release_stats", "rubric_fields", "CHECK_WITHOUT_SIDE", "SUMMARY_JUDGMENTS", "SUMMARY_VERDICTS",
    "card_campaign", "card_collection_notes", "card_sections", "listed_sizes", "built_summary",
    "check_release_license", "release_report_page",
)
# What the report page, the JSON reports and the commands' text of them take from the kind (exports.reports).
REPORT_CONTRACT = (
    "REPORT_TEMPLATE", "report_page", "agreement_report", "agreement_text", "meta_eval_report", "meta_eval_text",
    "checklist_part", "leaderboard_report", "lengths_report", "exam_report",
)

CONTRACT = ("NAME", *RELEASE_CONTRACT, *REPORT_CONTRACT)


for_name, for_rubric, for_campaign = lookups(KINDS)


def for_release(release):
    """The kind of a release's campaigns (a release holds campaigns of one kind), or for a release of model
    series exports.series_release, which answers the same questions about its contents (listed_sizes,
    built_summary)."""
    campaign = release.campaigns.first()
    if campaign is None:
        from exports import series_release

        return series_release
    return for_campaign(campaign)
