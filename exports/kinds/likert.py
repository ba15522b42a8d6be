"""Likert campaigns, the exports side (see exports.kinds)."""

NAME = "likert"


# ---------------------------------------------------------------------------------------------------------
# Reports: a score per axis; agreement per axis, the judge's scores against the humans' per axis

from exports.reports.agreement import likert_agreement as agreement_report  # noqa: E402, F401
from exports.reports.leaderboard import likert_leaderboard as leaderboard_report  # noqa: E402, F401
from exports.reports.lengths import likert_lengths as lengths_report  # noqa: E402, F401
from exports.reports.likert_page import likert_report as report_page  # noqa: E402, F401
from exports.reports.meta_eval import likert_meta_eval as meta_eval_report  # noqa: E402, F401
from exports.reports.text import agreement_text, meta_eval_text  # noqa: E402, F401

from exports.reports.exam import no_exam_report  # noqa: E402

REPORT_TEMPLATE = "exports/report.html"
exam_report = no_exam_report("likert")


def checklist_part(ticks):
    """What this kind adds to the checklist report (exports.reports.checklists): figures per checklist item
    ({item pk: dict}) and "meta" entries. Nothing per item here, the ticks being compared with the rater's score
    (exports.checklist_selectors); no answers per response, and no reason to give."""
    return {}, {"n_side_unknown": None, "reason": None}
# ---------------------------------------------------------------------------------------------------------
# Releases (exports.services.build, exports.card, the datasets pages): the tables, figures, statistics and
# card sections of a release of likert campaigns. The tables are written by exports.kinds.likert_tables.
# (One block, its imports included, beside the kind's other parts.)

from exports import statistics  # noqa: E402
from exports.builders import write_table  # noqa: E402
from exports.kinds import likert_tables  # noqa: E402
from exports.card import (  # noqa: E402
    campaign_figures_section, estimate_text, final_labels_section, interval_text, judges_section, markdown_table,
)
# The passes and tables of the contract, as the tables module names them.
from exports.kinds.likert_tables import (  # noqa: E402, F401
    PREFERENCE_PAIRS, preference_pairs, rows_to_read, table_specs, write_judgments, write_verdicts,
)

# The summary's rows counted from the tables, (label, table): the human judgments, and the judges'.
SUMMARY_JUDGMENTS = (("Items", "items"), ("Rating rows (item × annotator × axis)", "ratings"))
SUMMARY_VERDICTS = (("Judge verdict rows", "verdicts"),)
# checks.side of a checklist answer: a rating answers for its one response, so it names no side.
CHECK_WITHOUT_SIDE = ""


def write_figures(ctx, human, judged):
    """The figures of the release, {file name: figures}, and the WrittenFiles of the leaderboard table."""
    leaderboard, leaderboard_rows = statistics.leaderboard_figures(ctx, human, judged)
    return {"agreement.json": statistics.agreement_figures(ctx, human),
            "meta_eval.json": statistics.meta_eval_figures(ctx, human, judged),
            "leaderboard.json": leaderboard}, write_table(ctx, likert_tables.LEADERBOARD, leaderboard_rows)


def release_report_page(ctx, index, figures, human, judged, raters):
    """The report page of the release's campaign `index` (exports.release_report), drawn from the release's own
    figures (exports.statistics.likert_report_figures): report.html shows the numbers of agreement.json,
    meta_eval.json and leaderboard.json. `raters`: the campaign's RaterCounts."""
    from exports.release_report import release_request

    figures = statistics.likert_report_figures(ctx, index, figures, human, judged, raters)
    return report_page(ctx.campaigns[index], release_request(), figures=figures)


def check_release_license(campaigns, license):
    """Any license: the responses and ratings are the lead's to license (an exam source's may not be)."""


def release_stats(human):
    """Entries of the release's stats besides those of every kind."""
    return {}


def rubric_fields(rubric):
    """Fields of the rubric in rubric.json besides those of every kind (the axes)."""
    return {}


def listed_sizes(stats):
    """(human judgment rows, items) of a release, from its stats: what the datasets list shows."""
    rows = stats.get("rows", {})
    return rows.get("ratings", 0), rows.get("items", 0)


def built_summary(stats):
    """What the release command says it built, from the release's stats."""
    rows = stats.get("rows", {})
    return f"{rows.get('ratings', 0)} rating rows, {rows.get('items', 0)} items"


def card_campaign(campaign):
    """The card's line on one campaign, after its name."""
    if campaign.per_turn_scores:
        return (f"rubric `{campaign.rubric.key}`; each turn scored: the annotators scored every axis once per turn "
                "of the conversation, and the `ratings` table gives each such score its `turn` (1, 2, ...; null "
                "for a score of the whole conversation). The `items` table holds scores of the whole conversation "
                "only; the figures give agreement per axis and turn, and boards per turn.")
    return f"rubric `{campaign.rubric.key}`."


def card_collection_notes(ctx):
    """The end of the card's collection section: each rubric, axis by axis."""
    blocks = []
    for rubric in {campaign.rubric.key: campaign.rubric for campaign in ctx.campaigns}.values():
        lines = [f"### Rubric `{rubric.key}`: {rubric.name}", ""]
        for axis in ctx.axes_by_rubric.get(rubric.pk, []):
            lines.append(f"- **{axis.key}** ({axis.label_ja} / {axis.label_en}), {axis.min_score}–{axis.max_score}: "
                         f"{axis.criterion_en or axis.criterion_ja}")
            for point, text in sorted(axis.points.items(), key=lambda item: int(item[0])):
                descriptor = text.get("en") or text.get("ja") if isinstance(text, dict) else text
                lines.append(f"  - {point}: {descriptor}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks + ["The full rubric, with Japanese and English texts, is in `rubric.json`."])


def card_sections(ctx, written, figures):
    """The card's sections on the figures and the preference pairs."""
    return [_agreement(figures["agreement.json"]), _final_labels(ctx), _meta_eval(figures["meta_eval.json"]),
            _leaderboard(figures["leaderboard.json"]), _preference_pairs(ctx.release, written)]


def _final_labels(ctx):
    return final_labels_section(
        ctx, "a score per axis (`final_<axis>`: " + ", ".join(f"`final_{key}`" for key in ctx.axis_keys) + ")",
        "the largest range of the scores given on one axis")


def _agreement(agreement):
    def axes_table(campaign):
        rows = [(key, axis.get("n_items", 0), estimate_text(axis.get("alpha")), interval_text(axis.get("alpha")),
                 estimate_text(axis.get("exact_agreement")), estimate_text(axis.get("within_one_agreement")),
                 estimate_text(axis.get("mean_kappa")))
                for key, axis in campaign["axes"].items()]
        return markdown_table(["Axis", "Items", "Alpha", "95% CI", "Exact", "±1", "Kappa"], rows)

    return campaign_figures_section(
        "Agreement among annotators",
        "Krippendorff's alpha (ordinal) with a 95% bootstrap interval over items, the share of pairs of "
        "annotators giving the same score (exact) or scores one apart (±1), and the mean "
        "quadratic-weighted Cohen's kappa. All figures are in `agreement.json`.",
        agreement["campaigns"], axes_table)


def _meta_eval(meta_eval):
    def axes_table(judge):
        rows = []
        for key, axis in judge["axes"].items():
            instance = axis.get("instance") or {}
            rows.append((key, instance.get("n_items", 0), estimate_text(instance.get("pearson")),
                         estimate_text(instance.get("spearman")), estimate_text(instance.get("kendall_tau_b")),
                         estimate_text(instance.get("mae")), estimate_text(axis.get("alpha_humans")),
                         estimate_text(axis.get("alpha_with_judge"))))
        return markdown_table(["Axis", "Items", "Pearson", "Spearman", "Kendall", "MAE", "Alpha (humans)",
                               "Alpha (+judge)"], rows)

    return judges_section(
        "LLM judges against the humans",
        "Per judge and axis: the judge's score against the mean human score of each item (Pearson, "
        "Spearman, Kendall's tau-b, mean absolute error), and alpha of the humans without and with the "
        "judge as one more rater. All figures, with intervals and the human ceiling, are in `meta_eval.json`.",
        meta_eval["campaigns"], axes_table)


def _leaderboard(figures):
    """Per campaign, each axis's board over every turn: the humans' mean [interval] and rank per model, each
    judge's beside, and on safety axes the violation and acceptable-answer rates with their counts."""
    lines = ["## Leaderboard", "",
             "Per model and axis, the mean score (an item's score: the mean of its raters, or the median of a "
             "judge's samples) with a 95% bootstrap interval over the model's items, and a rank that respects the "
             "intervals (1 + the models whose interval lies wholly above). On safety axes, the violation rate "
             f"(scores of {figures_threshold(figures, 'violation_max')} or less) and the acceptable-answer rate "
             f"(scores of {figures_threshold(figures, 'acceptable_min')} or more), as llm-jp-judge defines them, with "
             "their counts. Every figure, per turn where scores carry one and with the system-level correlations, "
             "is in `leaderboard.json` and the `leaderboard` table."]
    for campaign in figures["campaigns"]:
        lines += ["", f"### {campaign['campaign']}"]
        for name, judge in campaign["judges"].items():
            lines.append(f"\n{name}: API errors " + ("count as score 1 (llm-jp-judge's convention)."
                                                      if judge["api_error_as_lowest"] else "are not scores."))
        groups = ["humans", *campaign["judges"]]
        for board in campaign["boards"]:
            if board["turn"] is not None:
                continue
            lines += ["", f"**{board['axis']}**", "", markdown_table(
                ["Model", *[f"{group} mean" for group in groups], *[f"{group} rank" for group in groups]],
                [(row["model"], *[_mean_text(row["standings"][group]["mean"]) for group in groups],
                  *[row["standings"][group]["rank"] or "–" for group in groups]) for row in board["rows"]])]
            if board["rows"] and board["rows"][0]["safety"]:
                lines += ["", markdown_table(
                    ["Model", *[f"{group} {name}" for group in groups for name in ("violation", "acceptable")]],
                    [(row["model"], *[_rate_text(row["safety"][group][name]) for group in groups
                                      for name in ("violation", "acceptable")]) for row in board["rows"]])]
    return "\n".join(lines)


def figures_threshold(figures, name):
    found = [campaign[name] for campaign in figures["campaigns"]]
    return f"{found[0]:g}" if found else "–"


def _mean_text(estimate):
    text = estimate_text(estimate)
    return text if estimate["low"] is None else f"{text} {interval_text(estimate)}"


def _rate_text(rate):
    return f"{estimate_text(rate['rate'])} ({rate['count']}/{rate['total']})"


def _preference_pairs(release, written):
    return ("## Preference pairs\n\n"
            f"`preference_pairs` holds {written.get('preference_pairs', 0):,} pairs: for each prompt and campaign, "
            "every two responses whose mean human `overall` scores (or, for a rubric without an overall axis, the "
            f"mean of all their scores) differ by at least {release.dpo_threshold:g}; the better one is `chosen`. "
            "`prompt`, `chosen` and `rejected` hold the first turn; for a conversation of several turns "
            "(`n_turns`), the full texts are in `prompts` and `responses`, by id.")
