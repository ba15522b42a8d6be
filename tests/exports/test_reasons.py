"""Why a figure is undefined, on the report pages in the page's language: the reasons the statistics give
(in English, as the JSON reports and the commands keep them) are shapes exports.reports.reasons knows."""

import numpy as np
import pytest
from django.urls import reverse
from django.utils import translation

from annotation import agreement
from exports.reports.reasons import translated_reason


def alpha_reason(items, annotators, scores):
    item, annotator, score = (np.array(values) for values in (items, annotators, scores))
    return agreement.alpha_point(agreement.axis_ratings(item, annotator, score, score), "ordinal").reason


def statistics_reasons():
    """Reasons as the pure statistics give them, from degenerate inputs."""
    x, constant = np.array([1.0, 2.0, 3.0]), np.array([2.0, 2.0, 2.0])
    axis = agreement.axis_ratings(np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1]), np.array([3, 3, 4, 4]),
                                  np.array([3, 3, 4, 4]))
    return [
        agreement.unscored_axis_agreement("overall").alpha.reason,
        alpha_reason([0, 1], [0, 0], [3, 4]),
        alpha_reason([0, 1], [0, 1], [3, 4]),
        alpha_reason([0, 0], [0, 1], [3, 4]),
        agreement.alpha_point(axis, "ordinal", without=0).reason,
        agreement.mean_quadratic_kappa(axis, 5)[0].reason,
        agreement.constant_input_reason(x[:2], x[:2], "the reference scores", "the scores under test"),
        agreement.constant_input_reason(constant, x, "this annotator's scores", "the others' mean scores"),
        agreement.constant_input_reason(x, constant, "the models' human means", "the models' judge means",
                                        unit="models"),
    ]


@pytest.mark.parametrize("reason", statistics_reasons())
def test_every_reason_the_statistics_give_is_said_in_japanese(reason):
    assert reason and reason.isascii()
    with translation.override("ja"):
        said = translated_reason(reason)

    assert not said.isascii(), f"no Japanese for {reason!r}"
    assert all(number in said for number in "".join(c if c.isdigit() else " " for c in reason).split())


def test_english_pages_keep_the_reason_and_unknown_reasons_are_shown_as_given():
    with translation.override("en"):
        assert translated_reason("no scores on this axis") == "no scores on this axis"
    with translation.override("ja"):
        assert translated_reason("a reason nobody wrote a shape for") == "a reason nobody wrote a shape for"
        assert translated_reason(None) is None
        assert translated_reason("campaign jp-2 has no ratings yet") == "キャンペーン jp-2 にはまだ評価がありません"


def test_the_report_of_an_unrated_campaign_says_why_in_japanese(client, lead, campaign):
    client.force_login(lead)

    html = client.get(reverse("campaign_report", args=[campaign.slug])).content.decode()

    assert "この軸にはスコアがありません" in html
    assert "no scores on this axis" not in html
