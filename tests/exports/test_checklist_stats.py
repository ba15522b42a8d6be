"""exports.checklist_stats: tick counts, tick rate, agreement of the tick with the score's side of the midpoint
(by hand) and the point-biserial correlation (against scipy); on pairwise votes, tick rates per response and how
the item tracks the preference (by hand, and against a vote-by-vote count written here). No database."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from exports.checklist_stats import checklist_figures, pair_checklist_figures


def ticks(*rows):
    return pd.DataFrame(rows, columns=["checklist_item", "checked", "score"])


HAND = ticks(("mountains", True, 5), ("mountains", True, 4), ("mountains", False, 2), ("mountains", True, 2),
             ("mountains", False, 3), ("polite", True, np.nan), ("polite", False, np.nan))


def test_counts_rates_and_agreement_with_the_midpoint_by_hand():
    mountains, polite = checklist_figures(HAND, midpoint=3.0)
    assert (mountains.n_answered, mountains.n_ticked, mountains.tick_rate, mountains.n_scored) == (5, 3, 0.6, 5)
    # Ticked with 5, 4 (agree), ticked with 2 (disagrees), not ticked with 2 (agrees), not ticked with 3 (at
    # the midpoint: disagrees): 3 of 5.
    assert mountains.agreement_with_score.value == pytest.approx(3 / 5)
    assert (polite.n_answered, polite.n_ticked, polite.tick_rate, polite.n_scored) == (2, 1, 0.5, 0)
    assert polite.agreement_with_score.value is None and polite.point_biserial.value is None


def test_point_biserial_equals_scipy():
    rng = np.random.default_rng(4)
    score = rng.integers(1, 6, 200).astype(float)
    checked = rng.random(200) < (score / 6)
    (figures,) = checklist_figures(pd.DataFrame({"checklist_item": 7, "checked": checked, "score": score}), 3.0)
    expected = stats.pointbiserialr(checked, score).statistic
    assert figures.point_biserial.value == pytest.approx(expected, abs=1e-12)
    assert figures.agreement_with_score.value == pytest.approx(np.mean(checked == (score >= 3.0)))


def test_a_tick_everyone_gives_has_no_correlation_and_says_why():
    (figures,) = checklist_figures(ticks(("x", True, 1), ("x", True, 5), ("x", True, 3)), 3.0)
    assert figures.point_biserial.value is None and "ticks are all the same" in figures.point_biserial.reason
    assert figures.tick_rate == 1.0


def test_without_a_midpoint_only_counts_are_given():
    (figures,) = checklist_figures(ticks(("x", True, np.nan), ("x", False, np.nan)), None)
    assert figures.tick_rate == 0.5 and figures.agreement_with_score.value is None


def test_a_missing_column_is_refused():
    with pytest.raises(ValueError, match="lacks the column"):
        checklist_figures(pd.DataFrame({"checklist_item": [1], "checked": [True]}), 3.0)


def answers(*rows):
    return pd.DataFrame(rows, columns=["rating", "checklist_item", "side", "checked", "verdict"])


# Votes 1-6 on the item "mountains": 1 prefers A and ticks only A (tracks); 2 prefers B and ticks only A (does
# not); 3 prefers B, ticks B, leaves A unanswered (tracks); 4 ticks both (not decisive); 5 a tie with one tick
# (not decisive); 6 ticks nothing yes. Vote 7 answered before sides existed.
PAIR_HAND = answers(
    (1, "mountains", "A", True, "A"), (1, "mountains", "B", False, "A"),
    (2, "mountains", "A", True, "B"), (2, "mountains", "B", False, "B"),
    (3, "mountains", "B", True, "B"),
    (4, "mountains", "A", True, "A"), (4, "mountains", "B", True, "A"),
    (5, "mountains", "A", True, "tie"), (5, "mountains", "B", False, "tie"),
    (6, "mountains", "A", False, "A"), (6, "mountains", "B", False, "A"),
    (7, "mountains", "", True, "A"),
    (1, "polite", "B", False, "A"),
)


def test_pairwise_tick_rates_per_response_and_preference_tracking_by_hand():
    mountains, polite = pair_checklist_figures(PAIR_HAND)
    assert (mountains.n_answered_a, mountains.n_ticked_a, mountains.tick_rate_a) == (5, 4, 0.8)
    assert (mountains.n_answered_b, mountains.n_ticked_b, mountains.tick_rate_b) == (6, 2, pytest.approx(1 / 3))
    assert mountains.n_side_unknown == 1
    assert mountains.n_preference == 3 and mountains.tracks_preference.value == pytest.approx(2 / 3)
    assert (polite.n_answered_a, polite.tick_rate_a, polite.n_answered_b, polite.tick_rate_b) == (0, None, 1, 0.0)
    assert polite.n_preference == 0 and polite.tracks_preference.value is None
    assert "exactly one response" in polite.tracks_preference.reason


def test_preference_tracking_equals_a_vote_by_vote_count():
    rng = np.random.default_rng(11)
    rows = []
    for vote in range(600):
        verdict = rng.choice(["A", "B", "tie"], p=[0.45, 0.4, 0.15])
        for item in ("x", "y", "z"):
            for side in ("A", "B"):
                draw = rng.random()
                if draw < 0.15:
                    continue  # unanswered
                # Item x leans towards the preferred response, y is noise, z is mostly ticked for both.
                lean = {"x": 0.8 if side == verdict else 0.3, "y": 0.5, "z": 0.9}[item]
                rows.append((vote, item, side, bool(rng.random() < lean), verdict))
    table = answers(*rows).sample(frac=1, random_state=3)  # the order of the rows must not matter
    figures = {f.checklist_item: f for f in pair_checklist_figures(table)}
    for item in ("x", "y", "z"):
        yes_sides = {}
        for vote, name, side, checked, verdict in rows:
            if name == item and checked:
                yes_sides.setdefault(vote, (verdict, []))[1].append(side)
        decisive = [(verdict, sides[0]) for verdict, sides in yes_sides.values()
                    if len(sides) == 1 and verdict in ("A", "B")]
        hits = sum(1 for verdict, side in decisive if side == verdict)
        assert figures[item].n_preference == len(decisive)
        assert figures[item].tracks_preference.value == pytest.approx(hits / len(decisive))
        for side, rate in (("A", figures[item].tick_rate_a), ("B", figures[item].tick_rate_b)):
            answered = [checked for _, name, s, checked, _ in rows if name == item and s == side]
            assert rate == pytest.approx(sum(answered) / len(answered))
    assert figures["x"].tracks_preference.value > 0.7 and figures["y"].tracks_preference.value < 0.65


def test_a_pairwise_table_without_sides_is_refused():
    with pytest.raises(ValueError, match="lacks the column"):
        pair_checklist_figures(pd.DataFrame({"rating": [1], "checklist_item": [1], "checked": [True]}))


def side_answers(*rows):
    return pd.DataFrame(rows, columns=["checklist_item", "item", "side", "checked"])


def test_a_judges_agreement_with_the_humans_per_item_by_hand():
    from exports.checklist_stats import judge_checklist_agreement

    human = side_answers(("names", 1, "", True), ("names", 1, "", True), ("names", 1, "", False),
                    ("names", 2, "", False), ("names", 2, "", False),
                    ("polite", 1, "A", True), ("polite", 1, "B", False), ("polite", 1, "B", True))
    judge = side_answers(("names", 1, "", True), ("names", 2, "", True), ("names", 3, "", True),
                    ("polite", 1, "A", False), ("polite", 1, "B", True), ("alone", 9, "", True))

    found = {row.checklist_item: row for row in judge_checklist_agreement(human, judge)}

    # names: item 1, judge yes against yes, yes, no: 2 of 3 pairs; item 2, judge yes against no, no: 0 of 2;
    # item 3 has no human answer. Humans among themselves: item 1 has 3 pairs, 1 alike (yes, yes); item 2 has
    # 1 pair, alike: 2 of 4.
    assert (found["names"].n_pairs, found["names"].agreement_with_humans.value) == (5, pytest.approx(2 / 5))
    assert (found["names"].n_human_pairs, found["names"].human_agreement.value) == (4, pytest.approx(2 / 4))
    # polite, per side: A judge no vs human yes (0 of 1); B judge yes vs no, yes (1 of 2). Humans: B has one
    # pair, not alike.
    assert (found["polite"].n_pairs, found["polite"].agreement_with_humans.value) == (3, pytest.approx(1 / 3))
    assert (found["polite"].n_human_pairs, found["polite"].human_agreement.value) == (1, 0.0)
    assert found["alone"].n_pairs == 0 and found["alone"].agreement_with_humans.value is None
    assert list(found) == ["names", "polite", "alone"]
