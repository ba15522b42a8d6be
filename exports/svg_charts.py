"""Charts as inline SVG, drawn on the server: no JavaScript, no library, nothing fetched. Pure Python.

Each function takes plain numbers and labels and returns the markup of one <svg> element (text escaped),
with a <title> naming the chart and a <title> on every mark, so a pointer or a screen reader gets the
number behind it. Sizes are in CSS pixels; the page's stylesheet may scale the charts down (viewBox).
Colours are set here, so a chart reads the same wherever it is shown.
"""

from dataclasses import dataclass
from html import escape

INK = "#1f2933"
MUTED = "#5f6b76"
GRID = "#e3e0d8"
SERIES_COLOURS = ("#2b4b6f", "#c8742c", "#2f6b4f", "#8a3b8f")  # indigo (humans), persimmon (judge), ...
CATEGORY_COLOURS = SERIES_COLOURS + ("#b23d37", "#5b8db8", "#8c7a2e", "#4d4d4d")  # categories of a scatter
# Low scores red, the middle sand, high scores indigo.
_SCORE_ANCHORS = ((178, 61, 55), (224, 143, 106), (238, 227, 200), (126, 163, 196), (43, 75, 111))
_HIGH = _SCORE_ANCHORS[-1]
_FONT_SIZE = 12
_LABEL_WIDTH = (80, 260)  # the row labels' column: as wide as the longest label, within these bounds
_CHAR_WIDTH = 7.0  # rough width of a Latin character at 12px, for fitting labels


@dataclass(frozen=True)
class Interval:
    """A value with an optional interval (low and high both set, or both None)."""

    value: float
    low: float | None = None
    high: float | None = None


def score_colours(count: int) -> list[str]:
    """`count` colours for the points of a scale, from red (lowest) through sand to indigo (highest)."""
    if count == 1:
        return [_hex(_SCORE_ANCHORS[-1])]
    colours = []
    for index in range(count):
        position = index / (count - 1) * (len(_SCORE_ANCHORS) - 1)
        anchor = min(int(position), len(_SCORE_ANCHORS) - 2)
        colours.append(_hex(_mix(_SCORE_ANCHORS[anchor], _SCORE_ANCHORS[anchor + 1], position - anchor)))
    return colours


def stacked_bars(rows: list[tuple[str, list[int]]], categories: list, *, title: str, colours: list[str] | None = None,
                 width: int = 760, row_height: int = 22, category_name: str = "") -> str:
    """One horizontal bar per row, split into the shares of each category (each bar is 100%).

    `rows` are (label, counts per category); a row whose counts are all 0 gets an empty outline.
    """
    colours = colours or score_colours(len(categories))
    plot_left = _label_column([label for label, _ in rows])
    plot_width = width - plot_left - 56
    legend_height = 26
    height = legend_height + len(rows) * (row_height + 6) + 4
    parts = [_legend([f"{category_name}{category}" for category in categories], colours, plot_left, 6)]
    for index, (label, counts) in enumerate(rows):
        y = legend_height + index * (row_height + 6)
        parts.append(_row_label(label, plot_left - 8, y + row_height / 2, plot_left))
        parts.extend(_bar_segments(label, counts, categories, colours, plot_left, plot_width, y, row_height,
                                   category_name))
        parts.append(_text(f"n={sum(counts)}", plot_left + plot_width + 6, y + row_height / 2, anchor="start",
                           fill=MUTED, css="chart__note"))
    return _svg(title, width, height, parts)


def _bar_segments(label, counts, categories, colours, left, width, y, height, category_name):
    total = sum(counts)
    if not total:
        return [f'<rect x="{left}" y="{y}" width="{width}" height="{height}" fill="none" stroke="{GRID}"/>']
    parts, x = [], float(left)
    for category, count, colour in zip(categories, counts, colours):
        if not count:
            continue
        segment = width * count / total
        share = count / total
        tip = f"{label}: {category_name}{category}: {count} ({share:.0%})"
        parts.append(f'<rect x="{_n(x)}" y="{y}" width="{_n(segment)}" height="{height}" fill="{colour}" '
                     f'data-category="{escape(str(category))}" data-count="{count}"><title>{escape(tip)}</title></rect>')
        if segment >= 30:
            parts.append(_text(f"{share:.0%}", x + segment / 2, y + height / 2, fill=_text_colour(colour),
                               css="chart__value"))
        x += segment
    return parts


def interval_chart(rows: list[tuple[str, list[Interval | None]]], series: list[str], *, scale: tuple[float, float],
                   title: str, width: int = 760, row_height: int = 30) -> str:
    """Dots with whiskers: one row per label, one dot per series (offset vertically), on a shared scale.

    `rows` are (label, one Interval or None per series); a value outside `scale` is clipped to the edge.
    """
    low_end, high_end = scale
    plot_left = _label_column([label for label, _ in rows])
    plot_width = width - plot_left - 24
    top, axis_height = 26, 22
    height = top + len(rows) * row_height + axis_height

    def x_of(value):
        share = (min(max(value, low_end), high_end) - low_end) / (high_end - low_end or 1)
        return plot_left + share * plot_width

    parts = [_legend(series, list(SERIES_COLOURS), plot_left, 6)]
    parts += _scale_axis(low_end, high_end, x_of, top, top + len(rows) * row_height)
    offsets = [(index - (len(series) - 1) / 2) * min(8, row_height / (len(series) + 1)) for index in range(len(series))]
    for index, (label, points) in enumerate(rows):
        middle = top + index * row_height + row_height / 2
        parts.append(_row_label(label, plot_left - 8, middle, plot_left))
        for name, point, offset, colour in zip(series, points, offsets, SERIES_COLOURS):
            if point is not None:
                parts.append(_dot_with_whisker(f"{label} ({name})", point, x_of, middle + offset, colour))
    return _svg(title, width, height, parts)


def _scale_axis(low_end, high_end, x_of, top, bottom):
    parts = []
    step = _tick_step(high_end - low_end)
    tick = low_end
    while tick <= high_end + 1e-9:
        x = x_of(tick)
        parts.append(f'<line x1="{_n(x)}" y1="{top}" x2="{_n(x)}" y2="{bottom}" stroke="{GRID}"/>')
        parts.append(_text(f"{tick:g}", x, bottom + 12, fill=MUTED, css="chart__tick"))
        tick += step
    return parts


def _tick_step(span):
    """Whole steps on a scale of 3 points or more (Likert scales), finer ones below."""
    for step in (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100):
        if span / step <= 10 and (step >= 1 or span < 3):
            return step
    return span / 10


def _dot_with_whisker(name, point, x_of, y, colour):
    tip = f"{name}: {point.value:.2f}"
    parts = []
    if point.low is not None and point.high is not None:
        tip += f" [{point.low:.2f}, {point.high:.2f}]"
        x1, x2 = x_of(point.low), x_of(point.high)
        parts.append(f'<line x1="{_n(x1)}" y1="{_n(y)}" x2="{_n(x2)}" y2="{_n(y)}" stroke="{colour}" stroke-width="2"/>')
        parts += [f'<line x1="{_n(x)}" y1="{_n(y - 4)}" x2="{_n(x)}" y2="{_n(y + 4)}" stroke="{colour}" stroke-width="2"/>'
                  for x in (x1, x2)]
    parts.append(f'<circle cx="{_n(x_of(point.value))}" cy="{_n(y)}" r="4.5" fill="{colour}" stroke="#fff" '
                 f'data-value="{point.value:.6g}"><title>{escape(tip)}</title></circle>')
    return f'<g class="chart__point">{"".join(parts)}</g>'


@dataclass(frozen=True)
class Point:
    """A point of a scatter: its coordinates, its series (an index into the chart's series) and its tip."""

    x: float
    y: float
    series: int
    tip: str


def scatter(points: list[Point], series: list[str], *, title: str, x_title: str, y_title: str, width: int = 520,
            height: int = 440) -> str:
    """Points on two axes from 0 to the largest coordinate (shared, so the diagonal y = x, drawn, is where both
    are equal), one colour per series."""
    left, right, top, bottom = 56, 16, 28, height - 40
    size = min(width - left - right, bottom - top)
    end = max([max(point.x, point.y) for point in points] + [1.0])

    def x_of(value):
        return left + value / end * size

    def y_of(value):
        return bottom - value / end * size

    parts = [_legend(series, list(CATEGORY_COLOURS), left, 6)]
    step = _tick_step(end) if end <= 100 else 10 ** (len(str(int(end))) - 1)
    tick = 0.0
    while tick <= end + 1e-9:
        parts.append(f'<line x1="{_n(x_of(tick))}" y1="{_n(y_of(0))}" x2="{_n(x_of(tick))}" y2="{_n(y_of(end))}" '
                     f'stroke="{GRID}"/>')
        parts.append(f'<line x1="{_n(x_of(0))}" y1="{_n(y_of(tick))}" x2="{_n(x_of(end))}" y2="{_n(y_of(tick))}" '
                     f'stroke="{GRID}"/>')
        parts.append(_text(f"{tick:g}", x_of(tick), bottom + 12, fill=MUTED, css="chart__tick"))
        parts.append(_text(f"{tick:g}", left - 6, y_of(tick), anchor="end", fill=MUTED, css="chart__tick"))
        tick += step
    parts.append(f'<line x1="{_n(x_of(0))}" y1="{_n(y_of(0))}" x2="{_n(x_of(end))}" y2="{_n(y_of(end))}" '
                 f'stroke="{MUTED}" stroke-dasharray="4 4"/>')
    parts.append(_text(x_title, left + size / 2, bottom + 30, css="chart__axis-title"))
    parts.append(_text(y_title, 14, top + size / 2, css="chart__axis-title",
                       extra=f' transform="rotate(-90 14 {_n(top + size / 2)})"'))
    colours = CATEGORY_COLOURS * (len(series) // len(CATEGORY_COLOURS) + 1)
    for point in points:
        parts.append(f'<circle cx="{_n(x_of(point.x))}" cy="{_n(y_of(point.y))}" r="3.5" fill="{colours[point.series]}" '
                     f'fill-opacity="0.75" data-x="{point.x:g}" data-y="{point.y:g}"><title>{escape(point.tip)}'
                     f'</title></circle>')
    return _svg(title, width, height, parts)


def heatmap(counts: list[list[int]], row_labels: list, column_labels: list, *, title: str, row_title: str,
            column_title: str, cell: int = 34) -> str:
    """A matrix of counts as shaded cells with the count written in each; the diagonal (row label equal to
    column label) is outlined. Rows run top to bottom, columns left to right."""
    left, top = 58, 44
    width = left + len(column_labels) * cell + 12
    height = top + len(row_labels) * cell + 12
    largest = max((count for row in counts for count in row), default=0) or 1
    parts = [
        _text(column_title, left + len(column_labels) * cell / 2, 12, css="chart__axis-title"),
        _text(row_title, 12, top + len(row_labels) * cell / 2, css="chart__axis-title",
              extra=f' transform="rotate(-90 12 {_n(top + len(row_labels) * cell / 2)})"'),
    ]
    parts += [_text(label, left + j * cell + cell / 2, top - 10, fill=MUTED, css="chart__tick")
              for j, label in enumerate(column_labels)]
    for i, (row_label, row) in enumerate(zip(row_labels, counts)):
        parts.append(_text(row_label, left - 10, top + i * cell + cell / 2, anchor="end", fill=MUTED, css="chart__tick"))
        for j, (column_label, count) in enumerate(zip(column_labels, row)):
            parts.append(_heat_cell(count, largest, left + j * cell, top + i * cell, cell, row_label == column_label,
                                    f"{row_title} {row_label}, {column_title} {column_label}: {count}"))
    return _svg(title, width, height, parts)


def _heat_cell(count, largest, x, y, size, diagonal, tip):
    colour = _hex(_mix((255, 255, 255), _HIGH, (count / largest) ** 0.7)) if count else "#ffffff"
    stroke = f' stroke="{INK}" stroke-width="2"' if diagonal else f' stroke="{GRID}"'
    return (f'<g><rect x="{x}" y="{y}" width="{size}" height="{size}" fill="{colour}"{stroke} data-count="{count}">'
            f'<title>{escape(tip)}</title></rect>'
            f'{_text(str(count), x + size / 2, y + size / 2, fill=_text_colour(colour), css="chart__value")}</g>')


@dataclass(frozen=True)
class Line:
    """A line of a line chart: y per x (None where there is no value: the line breaks there), its colour (an
    index into the chart's colours) and whether it is drawn faint and dashed (raw values under smoothed ones)."""

    name: str
    xs: list
    ys: list
    colour: int = 0
    faint: bool = False


def line_chart(lines: list[Line], *, title: str, x_title: str, y_title: str, y_scale: tuple[float, float] = (0, 1),
               width: int = 520, height: int = 260, legend: bool = True, dots: bool = True) -> str:
    """Lines over a shared x axis (steps, tokens) and y scale; with ``dots``, a dot with a tip at every value of
    a line that is not faint. Small multiples: small width and height, legend=False, dots=False."""
    legend_height = 22 if legend else 6
    left, right, top, bottom = 44, 14, legend_height + 6, height - 34
    xs = [x for line in lines for x in line.xs]
    x_low, x_high = (min(xs), max(xs)) if xs else (0, 1)
    y_low, y_high = y_scale

    def x_of(value):
        return left + (value - x_low) / ((x_high - x_low) or 1) * (width - left - right)

    def y_of(value):
        return bottom - (min(max(value, y_low), y_high) - y_low) / ((y_high - y_low) or 1) * (bottom - top)

    colours = CATEGORY_COLOURS * (max([line.colour for line in lines] + [0]) // len(CATEGORY_COLOURS) + 1)
    parts = [_legend([line.name for line in lines if not line.faint],
                     [colours[line.colour] for line in lines if not line.faint], left, 4)] if legend else []
    parts += _line_axes(x_low, x_high, y_low, y_high, x_of, y_of, left, width - right, top, bottom)
    parts.append(_text(x_title, left + (width - left - right) / 2, height - 8, css="chart__axis-title"))
    parts.append(_text(y_title, 10, top + (bottom - top) / 2, css="chart__axis-title",
                       extra=f' transform="rotate(-90 10 {_n(top + (bottom - top) / 2)})"'))
    for line in lines:
        parts += _line_marks(line, colours[line.colour], x_of, y_of, dots)
    return _svg(title, width, height, parts)


def _line_axes(x_low, x_high, y_low, y_high, x_of, y_of, left, right, top, bottom):
    parts = []
    step = _tick_step(y_high - y_low)
    tick = y_low
    while tick <= y_high + 1e-9:
        parts.append(f'<line x1="{left}" y1="{_n(y_of(tick))}" x2="{right}" y2="{_n(y_of(tick))}" stroke="{GRID}"/>')
        parts.append(_text(f"{tick:g}", left - 6, y_of(tick), anchor="end", fill=MUTED, css="chart__tick"))
        tick += step
    for tick in (x_low, (x_low + x_high) / 2, x_high):
        parts.append(_text(_short_number(tick), x_of(tick), bottom + 12, fill=MUTED, css="chart__tick"))
    return parts


def _line_marks(line, colour, x_of, y_of, dots):
    segments, current = [], []
    for x, y in zip(line.xs, line.ys):
        if y is None:
            if current:
                segments.append(current)
            current = []
        else:
            current.append((x, y))
    if current:
        segments.append(current)
    style = ' stroke-dasharray="3 3" stroke-opacity="0.55"' if line.faint else ""
    parts = [f'<polyline fill="none" stroke="{colour}" stroke-width="{1.25 if line.faint else 2}"{style} '
             f'points="{" ".join(f"{_n(x_of(x))},{_n(y_of(y))}" for x, y in segment)}"/>' for segment in segments]
    if dots and not line.faint:
        parts += [f'<circle cx="{_n(x_of(x))}" cy="{_n(y_of(y))}" r="2.5" fill="{colour}" data-x="{x:g}" '
                  f'data-y="{y:.6g}"><title>{escape(f"{line.name}: {_short_number(x)} → {y:.3f}")}</title></circle>'
                  for segment in segments for x, y in segment]
    return [f'<g class="chart__line" data-line="{escape(line.name)}">{"".join(parts)}</g>']


def _short_number(value):
    """12000 → 12k, 3500000 → 3.5M, 2e12 → 2T: step and token counts on an axis."""
    for size, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.3g}{suffix}"
    return f"{value:g}"


# ---------------------------------------------------------------------------------------------------------
# Pieces


def _svg(title, width, height, parts):
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {_n(height)}" '
            f'width="{width}" height="{_n(height)}" role="img" aria-label="{escape(title)}" '
            f'font-size="{_FONT_SIZE}"><title>{escape(title)}</title>{"".join(parts)}</svg>')


def _legend(names, colours, left, top):
    parts, x = [], float(left)
    for name, colour in zip(names, colours):
        parts.append(f'<rect x="{_n(x)}" y="{top}" width="12" height="12" fill="{colour}"/>')
        parts.append(_text(name, x + 16, top + 6, anchor="start", css="chart__legend"))
        x += 16 + _CHAR_WIDTH * _display_width(name) + 14
    return f'<g class="chart__legend">{"".join(parts)}</g>'


def _label_column(labels):
    """Width of the row labels' column: the longest label plus a margin, within _LABEL_WIDTH."""
    widest = max((_CHAR_WIDTH * _display_width(label) for label in labels), default=0)
    return int(min(max(widest + 16, _LABEL_WIDTH[0]), _LABEL_WIDTH[1]))


def _row_label(label, right, middle, column):
    shown = _fit(label, column - 14)
    title = f"<title>{escape(label)}</title>" if shown != label else ""
    return _text(shown, right, middle, anchor="end", css="chart__label", inner_title=title)


def _text(content, x, y, *, anchor="middle", fill=INK, css="", extra="", inner_title=""):
    css_attribute = f' class="{css}"' if css else ""
    return (f'<text x="{_n(x)}" y="{_n(y)}" text-anchor="{anchor}" dominant-baseline="central" fill="{fill}"'
            f'{css_attribute}{extra}>{inner_title}{escape(str(content))}</text>')


def _fit(label, width):
    """The label, shortened to about `width` pixels with an ellipsis in the middle: model names differ at
    both ends (family first, size and suffixes last)."""
    if _CHAR_WIDTH * _display_width(label) <= width:
        return label
    budget = width / _CHAR_WIDTH - 1
    head, tail = "", ""
    for character in label:  # about two fifths of the room for the beginning
        if _display_width(head + character) > budget * 0.4:
            break
        head += character
    for character in reversed(label[len(head):]):
        if _display_width(head + character + tail) > budget:
            break
        tail = character + tail
    return head + "…" + tail


def _display_width(text):
    """Width in Latin characters: CJK and other wide characters count double."""
    return sum(2 if ord(character) > 0x2E7F else 1 for character in str(text))


def _text_colour(background):
    red, green, blue = (int(background[index:index + 2], 16) for index in (1, 3, 5))
    return "#ffffff" if 0.299 * red + 0.587 * green + 0.114 * blue < 150 else INK


def _mix(start, end, share):
    return tuple(round(a + (b - a) * share) for a, b in zip(start, end))


def _hex(rgb):
    return "#" + "".join(f"{channel:02x}" for channel in rgb)


def _n(number):
    """A coordinate: at most two decimals, no trailing zeros."""
    return f"{number:.2f}".rstrip("0").rstrip(".")
