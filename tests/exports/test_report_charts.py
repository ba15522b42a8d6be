"""The server-drawn SVG charts: valid SVG, and every mark where its number puts it."""

import xml.etree.ElementTree as ElementTree

import pytest

from exports import svg_charts
from exports.svg_charts import Interval

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup):
    root = ElementTree.fromstring(markup)
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    return root


def marks(root, tag, attribute):
    return [element for element in root.iter(f"{SVG}{tag}") if element.get(attribute) is not None]


def title_of(element):
    return element.find(f"{SVG}title").text


def test_stacked_bars_split_each_row_by_share():
    root = parse(svg_charts.stacked_bars([("gpt-4o", [1, 0, 3]), ("calm2-7b", [2, 2, 0])], [1, 2, 3],
                                         title="関連性: share of each score"))
    assert root.find(f"{SVG}title").text == "関連性: share of each score"
    segments = marks(root, "rect", "data-count")
    assert [(s.get("data-category"), s.get("data-count")) for s in segments] == [("1", "1"), ("3", "3"), ("1", "2"),
                                                                                  ("2", "2")]
    first, second = float(segments[0].get("width")), float(segments[1].get("width"))
    assert second == pytest.approx(3 * first, abs=0.02)
    assert float(segments[1].get("x")) == pytest.approx(float(segments[0].get("x")) + first, abs=0.02)
    assert float(segments[2].get("width")) == pytest.approx(float(segments[3].get("width")), abs=0.02)
    assert float(segments[0].get("y")) < float(segments[2].get("y"))
    assert title_of(segments[1]) == "gpt-4o: 3: 3 (75%)"
    assert "n=4" in [text.text for text in root.iter(f"{SVG}text")]


def test_a_row_without_scores_is_an_empty_outline_and_labels_are_escaped():
    markup = svg_charts.stacked_bars([("<model & co>", [0, 0])], ["a", "b"], title="t")
    root = parse(markup)
    assert marks(root, "rect", "data-count") == []
    assert "<model & co>" in [text.text for text in root.iter(f"{SVG}text")]
    assert "&lt;model &amp; co&gt;" in markup


def test_a_long_label_is_shortened_in_the_middle_and_kept_whole_in_its_title():
    label = "llm-jp-13b-instruct-full-jaster-dolly-oasst-v1.0-with-a-very-long-suffix · 人手"
    root = parse(svg_charts.stacked_bars([(label, [1]), ("gpt-4o · 人手", [2])], [1], title="t"))
    text = next(text for text in root.iter(f"{SVG}text") if text.get("class") == "chart__label")
    shown = text.find(f"{SVG}title").tail
    assert shown.startswith("llm-jp-13b") and shown.endswith("suffix · 人手") and "…" in shown
    assert title_of(text) == label
    short = [text for text in root.iter(f"{SVG}text") if text.get("class") == "chart__label"][1]
    assert short.text == "gpt-4o · 人手" and short.find(f"{SVG}title") is None


def test_interval_chart_places_dots_and_whiskers_on_the_scale():
    root = parse(svg_charts.interval_chart(
        [("gpt-4o", [Interval(3.0, 2.0, 4.0), Interval(5.0)]), ("calm2-7b", [None, Interval(1.0, 0.0, 9.0)])],
        ["humans", "judge"], scale=(1, 5), title="means", width=640))
    dots = marks(root, "circle", "data-value")
    assert [d.get("data-value") for d in dots] == ["3", "5", "1"]
    ticks = {text.text: float(text.get("x")) for text in root.iter(f"{SVG}text") if text.get("class") == "chart__tick"}
    left, right = ticks["1"], ticks["5"]
    assert left >= 80 and right == 640 - 24  # the plot spans the width after the label column
    x = [float(d.get("cx")) for d in dots]
    assert x[0] == pytest.approx(left + (right - left) / 2) and x[1] == pytest.approx(right)
    assert x[2] == pytest.approx(left)
    assert float(dots[0].get("cy")) < float(dots[1].get("cy")) < float(dots[2].get("cy"))
    whisker = next(line for line in root.iter(f"{SVG}line") if line.get("stroke-width") == "2")
    assert float(whisker.get("x1")) == pytest.approx(left + (right - left) / 4)
    assert float(whisker.get("x2")) == pytest.approx(left + 3 * (right - left) / 4)
    assert title_of(dots[0]) == "gpt-4o (humans): 3.00 [2.00, 4.00]"
    ticks = [text.text for text in root.iter(f"{SVG}text") if text.get("class") == "chart__tick"]
    assert ticks == ["1", "2", "3", "4", "5"]


def test_heatmap_writes_each_count_and_outlines_the_diagonal():
    root = parse(svg_charts.heatmap([[4, 1], [0, 2]], [1, 2], [1, 2], title="confusion", row_title="humans",
                                    column_title="judge"))
    cells = marks(root, "rect", "data-count")
    assert [c.get("data-count") for c in cells] == ["4", "1", "0", "2"]
    assert [c.get("stroke-width") for c in cells] == ["2", None, None, "2"]
    assert float(cells[1].get("x")) > float(cells[0].get("x")) and float(cells[2].get("y")) > float(cells[0].get("y"))
    assert title_of(cells[1]) == "humans 1, judge 2: 1"
    assert cells[2].get("fill") == "#ffffff" and cells[0].get("fill") == "#2b4b6f"
    values = [text.text for text in root.iter(f"{SVG}text") if text.get("class") == "chart__value"]
    assert values == ["4", "1", "0", "2"]


def test_score_colours_run_from_red_to_indigo():
    assert svg_charts.score_colours(5) == ["#b23d37", "#e08f6a", "#eee3c8", "#7ea3c4", "#2b4b6f"]
    ten = svg_charts.score_colours(10)
    assert len(set(ten)) == 10 and (ten[0], ten[-1]) == ("#b23d37", "#2b4b6f")
