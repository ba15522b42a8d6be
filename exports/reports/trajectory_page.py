"""The trajectory page of a model series: small multiples of every trajectory (raw faint and dashed, smoothed
solid), then per trajectory a larger chart with the smoothed trajectories of the series compared with it (the
same task, metric and source; other sizes of the family, say: SeriesReport.matching) and the measures raw and
smoothed side by side.
Charts are inline SVG (exports.svg_charts), drawn on the server."""

import math
from dataclasses import dataclass
from urllib.parse import urlencode

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from annotation.trajectory_rule import DEFAULT_WINDOW, TypeRule
from exports import svg_charts
from exports.reports.trajectory import series_trajectory_report

MAX_COMPARED = 6
TYPE_LABELS = {"gradual": gettext_lazy("Gradual"), "two-stage": gettext_lazy("Two-stage"),
               "late-onset": gettext_lazy("Late-onset"), "unclassified": gettext_lazy("Unclassified")}


@dataclass(frozen=True)
class PageRequest:
    window: int = DEFAULT_WINDOW
    compare: tuple = ()
    x: str = "step"
    rule: TypeRule = TypeRule()


def page_request(form):
    """What the page was asked for (exports.forms.TrajectoryOptionsForm): what is empty or bad takes its
    default, and the form holds the errors that the page shows."""
    window, x, compare, rule = form.options()
    return PageRequest(window, compare[:MAX_COMPARED], x, rule)


def trajectory_page(series_name, request):
    report = series_trajectory_report(series_name, window=request.window, rule=request.rule,
                                      compare=request.compare)
    has_tokens = all(checkpoint.tokens is not None for checkpoint in report.checkpoints)
    x = request.x if has_tokens else "step"
    xs = [getattr(checkpoint, x) for checkpoint in report.checkpoints]
    x_title = _("Tokens seen") if x == "tokens" else _("Training step")
    tasks = [_task_section(index, task, xs, x_title, report, x) for index, task in enumerate(report.tasks)]
    return {"report": report, "tasks": tasks, "x": x, "compared": report.compared, "window": request.window,
            "rule": report.rule.as_dict(), "has_tokens": has_tokens, "rule_changed": report.rule != TypeRule(),
            "api_query": _api_query(request), "without_tokens": _without_tokens(report.compared, x)}


def _without_tokens(compared, x):
    """(series, checkpoints without tokens, checkpoints) of the compared series whose checkpoints lack a token
    count, when the axis is tokens: those checkpoints are left out of the charts, and the page says so."""
    if x != "tokens":
        return []
    counts = [(other.series.name, sum(c.tokens is None for c in other.checkpoints), len(other.checkpoints))
              for other in compared]
    return [count for count in counts if count[1]]


def _api_query(request):
    """The query string of the JSON of what the page shows: the window, the series compared and the thresholds
    that differ from the defaults."""
    default = TypeRule().as_dict()
    changed = {name: value for name, value in request.rule.as_dict().items() if value != default[name]}
    return urlencode({"window": request.window, "compare": list(request.compare), **changed}, doseq=True)


def _task_section(index, task, xs, x_title, report, x):
    matching = report.matching(task)
    scale = _scale([task.raw.scores] + [other.raw.scores for _, other in matching])
    name = f"{task.task} · {task.metric}" + (f" · {task.source}" if task.source not in ("imported", "outcomes") else "")
    raw, smoothed = (svg_charts.Line(_("raw"), xs, task.raw.scores, 0, faint=True),
                     svg_charts.Line(_("smoothed"), xs, task.smoothed.scores, 0))
    small = svg_charts.line_chart([raw, smoothed], title=name, x_title=x_title, y_title=task.metric, y_scale=scale,
                                  width=260, height=150, legend=False, dots=False)
    lines = [svg_charts.Line(_("this series, raw"), xs, task.raw.scores, 0, faint=True),
             svg_charts.Line(_("this series, smoothed"), xs, task.smoothed.scores, 0)]
    for colour, (series, other) in enumerate(matching, start=1):
        lines.append(_compared_line(series, other, x, colour))
    large = svg_charts.line_chart(lines, title=name, x_title=x_title, y_title=task.metric, y_scale=scale)
    return {"anchor": f"trajectory-{index}", "name": name, "task": task, "small": small, "large": large,
            "type_label": str(TYPE_LABELS[task.reading.type])}


def _compared_line(series, task, x, colour):
    """A compared series' smoothed trajectory against the page's axis; checkpoints without a value there (no
    token count) are left out, not drawn at 0."""
    points = [(getattr(checkpoint, x), score) for checkpoint, score in zip(series.checkpoints, task.smoothed.scores)
              if getattr(checkpoint, x) is not None]
    return svg_charts.Line(series.series.name, [p[0] for p in points], [p[1] for p in points], colour)


def _scale(score_lists):
    """0–1 for shares; whole numbers around the values otherwise (a 1–5 rating scale, a score out of 100)."""
    values = [value for scores in score_lists for value in scores if value is not None]
    if not values or (min(values) >= 0 and max(values) <= 1):
        return (0, 1)
    return (math.floor(min(values)), math.ceil(max(values)))
