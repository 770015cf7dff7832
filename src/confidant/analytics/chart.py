"""A user's mood trend with their questionnaire scores marked, drawn as SVG or PNG.

Pure rendering: no HTTP, no database. Each call builds its own `Figure` through matplotlib's
object-oriented API. pyplot and `rcParams` are never touched, and `rc_context` is avoided
because it writes to the process-wide rcParams, so `render` is safe to call from several worker
threads at once.

The chart has mood (1-10) as a line with points. A day with nothing logged leaves a gap in
the line, not a zero. Questionnaire scores go in a strip above it, one row per instrument,
with a mark on each day one was taken, labelled "12 (moderate)", and a dotted guide down
through the mood plot on that day. Instruments differ by row, by marker shape and by colour
(Okabe-Ito, which is colour-blind safe). A legend sits under the plot.

SVG output is the same bytes for the same input. It also gets an accessible <title> and <desc>
that summarise the data, which `describe` returns as plain text for use as alt text.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise
from typing import Literal
from xml.sax.saxutils import escape

from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

ChartFormat = Literal["svg", "png"]


@dataclass(frozen=True)
class ScoreMark:
    day: date
    instrument: str  # "PHQ-9", "GAD-7", "WHO-5"
    score: int
    max_score: int  # 27, 21, 100
    severity: str  # e.g. "mild"


@dataclass(frozen=True)
class MoodChart:
    title: str  # e.g. "Your mood, 15–21 Nov 2026"
    days: list[date]  # consecutive days, 7 or ~30 of them
    moods: list[float | None]  # average mood 1-10 per day; None = nothing logged that day
    marks: list[ScoreMark]  # assessments taken in the range


MOOD_MIN, MOOD_MAX = 1.0, 10.0
EMPTY_MESSAGE = "No mood logged yet"
WIDTH_IN, HEIGHT_IN, DPI = 8.0, 4.0, 100
SHORT_RANGE_DAYS = 10  # up to this many days the x axis names weekdays

INK = "#1a1a1a"
MOOD_COLOUR = "#0072B2"  # Okabe-Ito blue
MOOD_LINE_GID = "mood-line"  # the <g id> of the mood line in the SVG
MARK_GID_PREFIX = "score-mark-"
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

GRID = "#d9d9d9"

TITLE_SIZE, LABEL_SIZE, TICK_SIZE, MARK_LABEL_SIZE, MESSAGE_SIZE = 14, 12, 11, 10.5, 18
MARKER_SIZE = 10.0  # points
LABEL_GAP_PT = 8.0  # between a mark and its label
PLOT_WIDTH_PT = 480.0  # rough width of the plotting area, to keep mark labels from colliding
CHAR_WIDTH_EM = 0.62  # rough DejaVu Sans advance per character, in ems


@dataclass(frozen=True)
class _Style:
    colour: str
    marker: str
    legend: str


# Okabe-Ito colours; every instrument also gets its own marker shape.
_KNOWN_STYLES = {
    "PHQ-9": _Style("#D55E00", "s", "PHQ-9 (depression)"),  # vermillion square
    "GAD-7": _Style("#CC79A7", "^", "GAD-7 (anxiety)"),  # reddish purple triangle
    "WHO-5": _Style("#009E73", "D", "WHO-5 (wellbeing)"),  # bluish green diamond
}
_SPARE_STYLES = (("#E69F00", "v"), ("#56B4E9", "P"), ("#000000", "X"))


def render(chart: MoodChart, fmt: ChartFormat) -> bytes:
    """The chart as SVG or PNG bytes (800x400 px PNG at 100 dpi). Raises ValueError on bad data."""
    if fmt not in ("svg", "png"):
        raise ValueError(f"unknown chart format {fmt!r}; expected 'svg' or 'png'")
    _validate(chart)
    buffer = io.BytesIO()
    if fmt == "png":
        _draw(chart).savefig(buffer, format="png", dpi=DPI)
        return buffer.getvalue()
    _draw(chart).savefig(buffer, format="svg", metadata={"Date": None})  # no timestamp
    return _label_svg(_stable_ids(buffer.getvalue()), chart.title, describe(chart))


def describe(chart: MoodChart) -> str:
    """A plain-text summary of the chart's figures: the SVG <desc>, or alt text for the PNG."""
    return f"{_describe_moods(chart)} {_describe_marks(chart.marks)}"


# Validation


def _validate(chart: MoodChart) -> None:
    if not chart.days:
        raise ValueError("a chart needs at least one day")
    if len(chart.days) != len(chart.moods):
        raise ValueError(f"{len(chart.days)} days but {len(chart.moods)} moods")
    if any(later - earlier != timedelta(days=1) for earlier, later in pairwise(chart.days)):
        raise ValueError("days must be consecutive and in order")
    for day, mood in zip(chart.days, chart.moods, strict=True):
        if mood is not None and not MOOD_MIN <= mood <= MOOD_MAX:  # NaN fails this too
            raise ValueError(f"mood {mood} on {day} is outside {MOOD_MIN:g}..{MOOD_MAX:g}")
    for mark in chart.marks:
        _validate_mark(mark, chart.days[0], chart.days[-1])


def _validate_mark(mark: ScoreMark, first: date, last: date) -> None:
    if not first <= mark.day <= last:
        raise ValueError(f"{mark.instrument} on {mark.day} is outside {first}..{last}")
    if mark.max_score <= 0 or not 0 <= mark.score <= mark.max_score:
        raise ValueError(f"{mark.instrument} score {mark.score} is outside 0..{mark.max_score}")


# Drawing


def _draw(chart: MoodChart) -> Figure:
    fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI, facecolor="white", layout="constrained")
    FigureCanvasAgg(fig)
    styles = _styles(chart.marks)
    if styles:
        grid = fig.add_gridspec(2, 1, height_ratios=[0.3 * len(styles) + 0.2, 2.4])
        top = fig.add_subplot(grid[0])
        ax = fig.add_subplot(grid[1], sharex=top)
    else:
        top = ax = fig.add_subplot()
    mood_line = _draw_moods(ax, chart)
    _draw_days(ax, chart.days)
    if styles:
        _draw_lane(top, ax, chart, styles)
    if all(mood is None for mood in chart.moods):
        _draw_empty_message(ax)
    top.set_title(chart.title, loc="left", fontsize=TITLE_SIZE, color=INK, parse_math=False)
    handles: list[Artist] = [mood_line, *(_legend_handle(style) for style in styles.values())]
    fig.legend(
        handles=handles,
        loc="outside lower center",
        ncols=len(handles),
        fontsize=TICK_SIZE,
        frameon=False,
        labelcolor=INK,
    )
    return fig


def _draw_moods(ax: Axes, chart: MoodChart) -> Line2D:
    ys = [math.nan if mood is None else mood for mood in chart.moods]  # NaN breaks the line
    (line,) = ax.plot(
        range(len(ys)),
        ys,
        color=MOOD_COLOUR,
        linewidth=2.5,
        marker="o",
        markersize=7,
        label="Mood (1-10)",
        gid=MOOD_LINE_GID,
        zorder=3,
    )
    ax.set_ylim(MOOD_MIN - 0.5, MOOD_MAX + 0.5)
    ax.set_yticks(range(int(MOOD_MIN), int(MOOD_MAX) + 1))
    ax.set_ylabel("Average mood (1-10)", fontsize=LABEL_SIZE, color=INK)
    ax.grid(axis="y", color=GRID, linewidth=0.8)
    ax.set_axisbelow(True)
    ax.tick_params(labelsize=TICK_SIZE, colors=INK)
    return line


def _draw_days(ax: Axes, days: Sequence[date]) -> None:
    ax.set_xlim(-0.5, len(days) - 0.5)
    positions, labels = _day_ticks(days)
    ax.set_xticks(positions, labels)
    ax.set_xticks(range(len(days)), minor=True)


def _day_ticks(days: Sequence[date]) -> tuple[list[int], list[str]]:
    """Every weekday for a short range; otherwise "d Mon" every few days, ending on the last."""
    if len(days) <= SHORT_RANGE_DAYS:
        return list(range(len(days))), [WEEKDAYS[day.weekday()] for day in days]
    step = math.ceil(len(days) / 7)
    positions = list(range(len(days) - 1, -1, -step))[::-1]
    return positions, [_short_date(days[i]) for i in positions]


def _styles(marks: Sequence[ScoreMark]) -> dict[str, _Style]:
    """A style per instrument: known ones in a fixed order, then others as they appear."""
    names = sorted({m.instrument for m in marks}, key=lambda name: _instrument_order(name, marks))
    spares = iter(_SPARE_STYLES)
    styles: dict[str, _Style] = {}
    for name in names:
        known = _KNOWN_STYLES.get(name.upper())
        if known is None:
            colour, marker = next(spares, _SPARE_STYLES[-1])
            known = _Style(colour, marker, name)
        styles[name] = known
    return styles


def _instrument_order(name: str, marks: Sequence[ScoreMark]) -> tuple[int, int]:
    known = list(_KNOWN_STYLES)
    if name.upper() in known:
        return (known.index(name.upper()), 0)
    return (len(known), next(i for i, m in enumerate(marks) if m.instrument == name))


def _draw_lane(lane: Axes, ax: Axes, chart: MoodChart, styles: dict[str, _Style]) -> None:
    """A row per instrument above the mood plot: a mark on each day taken, labelled."""
    rows = {name: row for row, name in enumerate(styles)}
    lane.set_ylim(len(rows) - 0.5, -0.5)  # first row on top
    lane.set_yticks(range(len(rows)), list(rows))
    lane.tick_params(labelsize=TICK_SIZE, colors=INK, labelbottom=False)
    lane.grid(axis="y", color=GRID, linewidth=0.8)
    lane.set_axisbelow(True)
    first = chart.days[0]
    marks = sorted(chart.marks, key=lambda m: (m.day, rows[m.instrument], m.score))
    labels = _place_labels(marks, first, len(chart.days), rows)
    for i, (mark, label) in enumerate(zip(marks, labels, strict=True)):
        x, row, style = (mark.day - first).days, rows[mark.instrument], styles[mark.instrument]
        for axes in (lane, ax):
            axes.axvline(x, color=style.colour, linewidth=1.2, linestyle=":", zorder=1)
        _draw_mark(lane, x, row, style, f"{MARK_GID_PREFIX}{i}")
        if label is not None:
            _annotate(lane, x, row, label)


def _draw_mark(lane: Axes, x: int, row: int, style: _Style, gid: str) -> None:
    lane.plot(
        [x],
        [row],
        linestyle="none",
        marker=style.marker,
        markersize=MARKER_SIZE,
        color=style.colour,
        markeredgecolor=INK,
        markeredgewidth=1.2,
        gid=gid,
        zorder=4,
        clip_on=False,
    )


@dataclass(frozen=True)
class _Label:
    text: str
    ha: Literal["left", "right"]


def _place_labels(
    marks: Sequence[ScoreMark], first: date, n_days: int, rows: dict[str, int]
) -> list[_Label | None]:
    """Each mark's label beside it, in its row, where it overlaps neither another label nor
    another mark: the full label, else the bare score, else none (the <desc> still has it)."""
    days_per_pt = n_days / PLOT_WIDTH_PT
    half_marker = MARKER_SIZE / 2 * days_per_pt
    taken: dict[int, list[tuple[float, float]]] = {row: [] for row in rows.values()}
    for mark in marks:
        x = (mark.day - first).days
        taken[rows[mark.instrument]].append((x - half_marker, x + half_marker))
    placed: list[_Label | None] = []
    for mark in marks:
        x, row_taken = (mark.day - first).days, taken[rows[mark.instrument]]
        label = None
        for text in (_mark_label(mark), str(mark.score)):
            label = label or _fit(text, x, row_taken, n_days, days_per_pt)
        placed.append(label)
    return placed


def _fit(
    text: str, x: int, taken: list[tuple[float, float]], n_days: int, days_per_pt: float
) -> _Label | None:
    """Put `text` right of the mark at `x`, else left of it, if it fits; record the space."""
    width = len(text) * CHAR_WIDTH_EM * MARK_LABEL_SIZE * days_per_pt
    gap = LABEL_GAP_PT * days_per_pt
    sides: tuple[tuple[Literal["left", "right"], float, float], ...] = (
        ("left", x + gap, x + gap + width),
        ("right", x - gap - width, x - gap),
    )
    for ha, low, high in sides:
        inside = -0.5 <= low and high <= n_days - 0.5
        if inside and not any(lo < high and low < hi for lo, hi in taken):
            taken.append((low, high))
            return _Label(text, ha)
    return None


def _annotate(lane: Axes, x: int, row: int, label: _Label) -> None:
    lane.annotate(
        label.text,
        xy=(x, row),
        xytext=(LABEL_GAP_PT if label.ha == "left" else -LABEL_GAP_PT, 0),
        textcoords="offset points",
        ha=label.ha,
        va="center",
        fontsize=MARK_LABEL_SIZE,
        color=INK,
        parse_math=False,
        bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none"},
        zorder=5,
    )


def _legend_handle(style: _Style) -> Line2D:
    return Line2D(
        [],
        [],
        linestyle="none",
        marker=style.marker,
        markersize=MARKER_SIZE,
        color=style.colour,
        markeredgecolor=INK,
        markeredgewidth=1.2,
        label=style.legend,
    )


def _draw_empty_message(ax: Axes) -> None:
    ax.text(
        0.5,
        0.5,
        EMPTY_MESSAGE,
        transform=ax.transAxes,
        ha="center",
        va="center",
        fontsize=MESSAGE_SIZE,
        color=INK,
        bbox={"boxstyle": "round,pad=0.6", "facecolor": "white", "edgecolor": "#7f7f7f"},
        zorder=6,
    )


# Text


def _mark_label(mark: ScoreMark) -> str:
    return f"{mark.score} ({mark.severity})"


def _short_date(day: date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]}"


def _describe_moods(chart: MoodChart) -> str:
    n = len(chart.days)
    span = f"{n} day{'s' if n != 1 else ''}"
    logged = [
        (mood, day) for day, mood in zip(chart.days, chart.moods, strict=True) if mood is not None
    ]
    if not logged:
        return f"{EMPTY_MESSAGE} over {span}."
    average = sum(mood for mood, _ in logged) / len(logged)
    low, low_day = min(logged, key=lambda pair: pair[0])
    high, high_day = max(logged, key=lambda pair: pair[0])
    return (
        f"Average mood {average:.1f} out of 10 over {span} ({len(logged)} logged); "
        f"lowest {low:.1f} on {_short_date(low_day)}, "
        f"highest {high:.1f} on {_short_date(high_day)}."
    )


def _describe_marks(marks: Sequence[ScoreMark]) -> str:
    if not marks:
        return "No questionnaires taken."
    parts = [
        f"{m.instrument} {m.score} of {m.max_score} ({m.severity}) on {_short_date(m.day)}"
        for m in sorted(marks, key=lambda m: (m.day, m.instrument, m.score))
    ]
    return "; ".join(parts) + "."


# SVG post-processing

_SVG_START_TAG = re.compile(rb"<svg\b[^>]*>")
# Ids that matplotlib derives from a hash salted with rcParams["svg.hashsalt"], which is a
# fresh uuid4 per render unless set globally: m<hash> markers, p<hash> clip paths, h<hash>
# hatches, image<hash>, C<n>_<n>_<hash> path collections.
_SALTED_ID = re.compile(rb'\bid="((?:[a-z]*|C[0-9a-f]+_[0-9a-f]+_)[0-9a-f]{10})"')
_XML_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _stable_ids(svg: bytes) -> bytes:
    """Rename the randomly salted ids, and every reference to them, in order of appearance."""
    renames: dict[bytes, bytes] = {}
    for match in _SALTED_ID.finditer(svg):
        old = match.group(1)
        if old not in renames:
            renames[old] = old[:-10] + b"%010x" % len(renames)
    if not renames:
        return svg
    pattern = re.compile(b"|".join(re.escape(old) for old in renames))
    return pattern.sub(lambda match: renames[match.group()], svg)


def _label_svg(svg: bytes, title: str, desc: str) -> bytes:
    """Add role="img", <title> and <desc> to the root element so screen readers announce it."""
    start = _SVG_START_TAG.search(svg)
    if start is None:
        raise RuntimeError("matplotlib wrote SVG without an <svg> element")
    tag = start.group()[:-1] + b' role="img" aria-labelledby="chart-title chart-desc">'
    labels = (
        f'\n <title id="chart-title">{_xml_text(title)}</title>'
        f'\n <desc id="chart-desc">{_xml_text(desc)}</desc>'
    ).encode()
    return svg[: start.start()] + tag + labels + svg[start.end() :]


def _xml_text(text: str) -> str:
    return escape(_XML_UNSAFE.sub("", text))
