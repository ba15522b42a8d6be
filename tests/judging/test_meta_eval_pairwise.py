"""meta_eval on a pairwise campaign: the judge's verdicts against each human vote and the majority, with and
without ties, Cohen's kappa, and its position bias; checked against a plain computation written here."""

import json
from collections import Counter
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from annotation.models import Campaign, Rating
from exports.reports.campaign import campaign_meta_eval
from judging.models import JudgeConfig
from tests.judging.test_ranking_command import PROMPTS, judge_verdicts, voted_campaign  # noqa: F401 (fixtures)

DECISIVE = {"A", "B"}


def run(*args):
    out = StringIO()
    call_command("meta_eval", *args, stdout=out)
    return out.getvalue()


def human_votes():
    """(item, verdict) of the humans on the (CONTEXT, BASE) items, in the item's terms."""
    return [(rating.item_id, rating.verdict) for rating in
            Rating.objects.filter(item__campaign__slug="arena", item__verdicts__isnull=False).distinct()]


def judge_by_item(inconsistent):
    """The imported judge's verdict per item: the two orders combined by hand."""
    result = {}
    for item_id in {item for item, _ in human_votes()}:
        orders = dict(JudgeConfig.objects.get(name="gpt-4o-pair").verdicts.filter(item_id=item_id)
                      .values_list("order", "verdict"))
        if orders["AB"] == orders["BA"]:
            result[item_id] = orders["AB"]
        elif inconsistent == "tie":
            result[item_id] = "tie"
    return result


def majority(verdicts):
    counts = Counter(verdicts).most_common()
    return "tie" if len(counts) > 1 and counts[0][1] == counts[1][1] else counts[0][0]


def kappa(pairs):
    observed = sum(x == y for x, y in pairs) / len(pairs)
    left, right = Counter(x for x, _ in pairs), Counter(y for _, y in pairs)
    expected = sum(left[label] * right[label] for label in left) / len(pairs) ** 2
    return None if expected == 1 else (observed - expected) / (1 - expected)


def reference(inconsistent):
    judge = judge_by_item(inconsistent)
    each = [(judge[item], verdict) for item, verdict in human_votes() if item in judge]
    by_item = {}
    for item, verdict in human_votes():
        by_item.setdefault(item, []).append(verdict)
    major = [(judge[item], majority(verdicts)) for item, verdicts in by_item.items() if item in judge]
    figures = {}
    for name, pairs in (("with_each_vote", each), ("with_majority", major)):
        decisive = [(x, y) for x, y in pairs if x in DECISIVE and y in DECISIVE]
        for suffix, chosen in (("", pairs), ("_without_ties", decisive)):
            figures[name + suffix] = (len(chosen), sum(x == y for x, y in chosen) / len(chosen), kappa(chosen))
    return figures


@pytest.mark.parametrize("inconsistent", ["tie", "drop"])
def test_agreement_matches_a_plain_computation(judge_verdicts, inconsistent):
    report = json.loads(run("--campaign", "arena", "--judge", judge_verdicts, "--json", "--inconsistent",
                            inconsistent))
    agreement = report["agreement"]
    for name, (n, share, kappa_value) in reference(inconsistent).items():
        assert agreement[name]["n"] == n, name
        assert agreement[name]["agreement"] == pytest.approx(share), name
        assert agreement[name]["kappa"] == (None if kappa_value is None else pytest.approx(kappa_value)), name
    if inconsistent == "tie":  # with drop the judge says A throughout: kappa is undefined everywhere
        assert agreement["with_each_vote"]["kappa"] is not None
    meta = report["meta"]
    assert (meta["kind"], meta["inconsistent"], meta["n_inconsistent_pairs"], meta["reason"]) == (
        "pairwise", inconsistent, 2, None)
    assert report["position_bias"]["consistency"] == {"n": 6, "count": 4, "rate": pytest.approx(4 / 6),
                                                      "reason": None}


def test_the_table_names_the_comparisons_and_the_position_bias(judge_verdicts):
    text = run("--campaign", "arena", "--judge", judge_verdicts)
    assert text.startswith("Judge gpt-4o-pair (imported verdicts; verdicts: 12 imported) against the human votes "
                           "of pairwise campaign arena (rubric pairwise-abt: A / B / tie): 12 judge verdicts on 6 items")
    assert "majority, without ties" in text and "Position bias (6 pairs judged in both orders" in text


def test_the_report_api_answers_for_pairwise_campaigns_too(judge_verdicts):
    campaign = Campaign.objects.get(slug="arena")
    report = campaign_meta_eval(campaign, JudgeConfig.objects.get(name=judge_verdicts), level="ordinal")
    assert report["meta"]["kind"] == "pairwise" and report["agreement"]["n_items"] == 6


def test_nothing_to_compare_is_a_one_line_error(voted_campaign):
    JudgeConfig.objects.create(name="idle", is_external=True)
    with pytest.raises(CommandError, match="judge idle has no pairwise verdicts in campaign arena"):
        run("--campaign", "arena", "--judge", "idle")
    with pytest.raises(CommandError, match="no campaign 'nope'"):
        run("--campaign", "nope", "--judge", "idle")
