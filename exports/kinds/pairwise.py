"""Pairwise campaigns, the exports side (see exports.kinds)."""

NAME = "pairwise"


# ---------------------------------------------------------------------------------------------------------
# Reports: a verdict per pair; agreement on the verdicts, rankings, the judge's verdicts against the humans'

from annotation.errors import HyokaError  # noqa: E402
from exports.checklist_stats import pair_checklist_figures  # noqa: E402
from exports.reports.agreement import verdict_agreement as agreement_report  # noqa: E402, F401
from exports.reports.lengths import pairwise_lengths as lengths_report  # noqa: E402, F401
from exports.reports.meta_eval import pairwise_meta_eval as meta_eval_report  # noqa: E402, F401
from exports.reports.pairwise_page import pairwise_report as report_page  # noqa: E402, F401
from exports.reports.text import pairwise_meta_eval_text as meta_eval_text  # noqa: E402, F401
from exports.reports.text import verdict_agreement_text as agreement_text  # noqa: E402, F401

from exports.reports.exam import no_exam_report  # noqa: E402

REPORT_TEMPLATE = "exports/report_pairwise.html"
exam_report = no_exam_report("pairwise")
CHECKLIST_REASON = ("pairwise votes have no score to compare the ticks with; each item is answered for each "
                    "response instead, and tracks the preference when the response ticked is the preferred one")


def leaderboard_report(campaign, judge=None, **options):
    """Pairs have no scores to average: their models are ranked from the votes (exports.reports.ranking)."""
    raise HyokaError(f"campaign {campaign.slug} compares pairs: it has no scores to average; rank its models with "
                     f"the ranking command or /api/campaigns/{campaign.slug}/ranking/")


def checklist_part(ticks):
    """Votes answer each checklist item for each response: per item, the tick rates per response and how well
    the item tracks the preference (exports.checklist_stats.pair_checklist_figures); in "meta", the answers
    that name no response and why the ticks are not compared with a score."""
    per_item = {found.checklist_item: found.as_dict() for found in pair_checklist_figures(ticks)}
    unknown = sum(figures["n_side_unknown"] for figures in per_item.values())
    return per_item, {"n_side_unknown": unknown, "reason": CHECKLIST_REASON}
# ---------------------------------------------------------------------------------------------------------
# Releases (exports.services.build, exports.card, the datasets pages): the tables, figures, statistics and
# card sections of a release of pairwise campaigns. The tables are written by exports.kinds.pairwise_tables.
# (One block, its imports included, beside the kind's other parts.)

from exports import statistics  # noqa: E402
from exports.builders import write_table  # noqa: E402
from exports.card import (  # noqa: E402
    campaign_figures_section, estimate_text, final_labels_section, interval_text, judges_section, markdown_table,
)
from exports.kinds import pairwise_tables  # noqa: E402
# The passes and tables of the contract, as the tables module names them.
from exports.kinds.pairwise_tables import (  # noqa: E402, F401
    PREFERENCE_PAIRS, preference_pairs, rows_to_read, table_specs, write_judgments, write_verdicts,
)

# The summary's rows counted from the tables, (label, table): the human judgments, and the judges'.
SUMMARY_JUDGMENTS = (("Human votes", "votes"), ("Pairs (items)", "items"))
SUMMARY_VERDICTS = (("Judge verdicts", "verdicts"), ("Ranking rows", "rankings"))
# checks.side of a checklist answer that names no response (ticked before answers were per response).
CHECK_WITHOUT_SIDE = "?"


def write_figures(ctx, votes, judged):
    """The figures of the release, {file name: figures}, and the WrittenFiles of the rankings table."""
    agreement = statistics.pairwise_agreement_figures(ctx, votes)
    rankings, ranking_rows = statistics.ranking_figures(ctx, votes, judged)
    tables = write_table(ctx, pairwise_tables.RANKINGS, ranking_rows)
    return {"agreement.json": agreement, "rankings.json": rankings}, tables


def release_report_page(ctx, index, figures, judgments, judged, raters):
    """The report page of the release's campaign `index` (exports.release_report), computed from the database
    as the campaign's page is (rankings.json keeps the judges' rankings, not the page's figures)."""
    from exports.release_report import report_from_database

    return report_from_database(ctx, index)


def check_release_license(campaigns, license):
    """Any license: the responses and ratings are the lead's to license (an exam source's may not be)."""


def release_stats(votes):
    """Entries of the release's stats besides those of every kind: the pairs voted on."""
    return {"items": len(votes.item_pk)}


def rubric_fields(rubric):
    """Fields of the rubric in rubric.json besides those of every kind: its verdicts."""
    return {"verdicts": list(rubric.verdicts)}


def listed_sizes(stats):
    """(human judgment rows, items) of a release, from its stats: what the datasets list shows."""
    return stats.get("rows", {}).get("votes", 0), stats.get("items", 0)


def built_summary(stats):
    """What the release command says it built, from the release's stats."""
    return f"{stats.get('rows', {}).get('votes', 0)} votes on {stats.get('items', 0)} pairs"


def card_campaign(campaign):
    """The card's line on one campaign, after its name."""
    return f"pairwise rubric `{campaign.rubric.key}`, verdicts {' / '.join(campaign.rubric.verdicts)}."


def card_collection_notes(ctx):
    """The end of the card's collection section: what an item and a verdict are."""
    return ("An item is a pair of responses to one prompt, A (`model_a`) and B (`model_b`). Annotators and judges "
            "may be shown the pair in either order (`position`, `order`: AB puts A first); every verdict is given in "
            "the item's terms, so A always means `model_a`'s response. A judge asked in both orders has one row per "
            "order. The verdicts: A or B (that response is better), tie, both (both are good), neither (neither is "
            "good). The rubrics are in `rubric.json`.")


def card_sections(ctx, written, figures):
    """The card's sections on the figures and the preference pairs."""
    rankings = figures["rankings.json"]
    return [_agreement(figures["agreement.json"]), _final_labels(ctx), _rankings(rankings),
            _judges_against_humans(rankings), _preference_pairs(written)]


def _final_labels(ctx):
    return final_labels_section(
        ctx, "a verdict in the item's terms (`final_verdict`: A, B, tie, both or neither)",
        "the votes against the most common verdict")


def _agreement(agreement):
    def verdict_table(campaign):
        verdict = campaign["verdict"]
        counts = ", ".join(f"{name} {count}" for name, count in verdict["verdict_counts"].items())
        return markdown_table(
            ["Items", "Voted by 2+", "Votes", "Alpha", "95% CI", "Pairs agreeing", "Votes per verdict"],
            [(verdict["n_items"], verdict["n_pairable_items"], verdict["n_votes"], estimate_text(verdict["alpha"]),
              interval_text(verdict["alpha"]), estimate_text(verdict["pair_agreement"]), counts)])

    return campaign_figures_section(
        "Agreement among annotators",
        "Krippendorff's alpha over the verdicts as categories (nominal), with a 95% bootstrap interval over "
        "items, and the share of pairs of votes on the same item that agree. All figures, with each "
        "annotator's, are in `agreement.json`.",
        agreement["campaigns"], verdict_table)


def _rankings(rankings):
    lines = ["## Rankings", "",
             "Per model: win, tie and loss rates over the votes it took part in (tie, both and neither count as "
             "ties), and a Bradley–Terry rating on the Elo scale (1000 + 400 log10 of the strength, mean 1000; a tie "
             "is half a win) with a 95% bootstrap interval over votes. The rank is 1 + the number of models whose "
             "interval lies wholly above. The table `rankings` holds the humans' and each judge's rankings (a judge's "
             "verdicts on one item make one vote: the most common, a tie when split; a pair the judge saw differently "
             "in the two orders is kept as offsetting votes or left out, as the judge's `inconsistent` setting says, "
             "and `rankings.json` gives that setting and how many pairs it touched); `rankings.json` adds the "
             "counts per pair of models."]
    for campaign in rankings["campaigns"]:
        lines += ["", f"### {campaign['campaign']}: humans", "", _standings_table(campaign["humans"])]
    return "\n".join(lines)


def _standings_table(result):
    if result["reason"]:
        return f"Not computed: {result['reason']}."
    rows = [(model["rank"] or "—", model["model"], _rating(model["rating"]), model["n_votes"],
             _share(model["win_rate"]), _share(model["tie_rate"]), _share(model["loss_rate"]))
            for model in result["models"]]
    return markdown_table(["Rank", "Model", "Rating [95% CI]", "Votes", "Win", "Tie", "Loss"], rows)


def _rating(estimate):
    if estimate.get("value") is None:
        return "—"
    if estimate.get("low") is None:
        return f"{estimate['value']:.0f}"
    return f"{estimate['value']:.0f} [{estimate['low']:.0f}, {estimate['high']:.0f}]"


def _share(value):
    return "—" if value is None else f"{value:.1%}"


def _judges_against_humans(rankings):
    def agreement_and_ranking(judge):
        found = judge["agreement"]
        rows = [(label, found[key]["n"], _number(found[key]["agreement"]), _number(found[key]["kappa"]))
                for key, label in (("with_majority", "majority, with ties"),
                                   ("with_majority_without_ties", "majority, without ties"),
                                   ("with_each_vote", "each vote, with ties"),
                                   ("with_each_vote_without_ties", "each vote, without ties"))]
        return (markdown_table(["Compared with", "Pairs", "Agreement", "Kappa"], rows) + "\n\n"
                + _standings_table(judge["ranking"]))

    return judges_section(
        "LLM judges against the humans",
        "Per judge: its ranking, and how often its verdict on an item matches the humans' majority and each "
        "human vote, with ties and without (pairs where either side is not A or B left out), with Cohen's "
        "kappa. The verdicts of a judge's latest job are used, or its imported ones. All figures are in "
        "`rankings.json`.",
        rankings["campaigns"], agreement_and_ranking)


def _number(value):
    return "—" if value is None else f"{value:.3f}"


def _preference_pairs(written):
    return ("## Preference pairs\n\n"
            f"`preference_pairs` holds {written.get('preference_pairs', 0):,} pairs, one per compared pair (item) "
            "whose human majority prefers one response: its most common verdict is A or B, and strictly more "
            "common than every other verdict. Items where a tie, both or neither is the most common verdict, and "
            "split items (two verdicts equally common, e.g. one vote for A and one for B) are left out. The "
            "preferred response is `chosen`; `n_votes` counts every vote on the item, `votes_chosen` and "
            "`votes_rejected` those for each side, and `margin` is (votes_chosen − votes_rejected) / n_votes. "
            "`prompt`, `chosen` and `rejected` hold the first turn; for a conversation of several turns "
            "(`n_turns`), the full texts are in `prompts` and `responses`, by id.")
