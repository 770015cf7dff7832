"""The mood chart: accessible, deterministic SVG; PNG at the promised size; gaps for days with
nothing logged; score marks; the empty chart; bad input; and rendering from several threads."""

from __future__ import annotations

import html
import io
import math
import re
import threading
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date, timedelta

import pytest
from PIL import Image

from confidant.analytics.chart import (
    MARK_GID_PREFIX,
    MOOD_LINE_GID,
    MoodChart,
    ScoreMark,
    describe,
    render,
)

SVG = "{http://www.w3.org/2000/svg}"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
WEEK_START = date(2026, 11, 15)  # a Sunday

PHQ9 = ScoreMark(date(2026, 11, 18), "PHQ-9", 12, 27, "moderate")
GAD7 = ScoreMark(date(2026, 11, 18), "GAD-7", 8, 21, "mild")
WHO5 = ScoreMark(date(2026, 11, 19), "WHO-5", 64, 100, "adequate")


def days_from(first: date, count: int) -> list[date]:
    return [first + timedelta(days=i) for i in range(count)]


def week(
    moods: list[float | None] | None = None, marks: list[ScoreMark] | None = None
) -> MoodChart:
    return MoodChart(
        title="Your mood, 15–21 Nov 2026",  # an en dash: DejaVu Sans has it, so no glyph warning
        days=days_from(WEEK_START, 7),
        moods=[6.0, 5.5, None, 4.0, 7.2, 8.5, 6.1] if moods is None else moods,
        marks=[PHQ9, GAD7, WHO5] if marks is None else marks,
    )


def month() -> MoodChart:
    days = days_from(date(2026, 10, 23), 30)
    moods: list[float | None] = [None if i % 6 == 2 else 1 + (i * 7 % 10) for i in range(30)]
    marks = [
        ScoreMark(days[i], instrument, score, top, severity)
        for i in (0, 10, 17, 29)
        for instrument, score, top, severity in (
            ("PHQ-9", 12, 27, "moderate"),
            ("GAD-7", 16, 21, "severe"),
            ("WHO-5", 48, 100, "poor"),
        )
    ]
    return MoodChart("Your mood, 23 Oct – 21 Nov 2026", days, moods, marks)


def empty() -> MoodChart:
    return week(moods=[None] * 7, marks=[])


def parse(svg: bytes) -> ET.Element:
    return ET.fromstring(svg)


def drawn_texts(svg: bytes) -> list[str]:
    """matplotlib draws text as glyph paths and writes each string as a comment before it."""
    return [html.unescape(text) for text in re.findall(r"<!-- (.*?) -->", svg.decode())]


def group(root: ET.Element, gid: str) -> ET.Element:
    found = root.find(f".//{SVG}g[@id='{gid}']")
    assert found is not None, f"no <g id={gid!r}> in the SVG"
    return found


def mood_line_segments(svg: bytes) -> int:
    (path,) = group(parse(svg), MOOD_LINE_GID).findall(f"{SVG}path")  # the marker is in <defs>
    return len(re.findall(r"\bM\b", path.attrib["d"]))


def mood_points(svg: bytes) -> int:
    return len(list(group(parse(svg), MOOD_LINE_GID).iter(f"{SVG}use")))


# SVG: accessible and valid


def test_svg_parses_with_title_and_desc_carrying_the_figures() -> None:
    root = parse(render(week(), "svg"))

    assert root.tag == f"{SVG}svg"
    assert root.attrib["role"] == "img"
    title, desc = root[0], root[1]  # first thing in the document, before any drawing
    assert title.tag == f"{SVG}title"
    assert title.text == "Your mood, 15–21 Nov 2026"
    assert desc.tag == f"{SVG}desc"
    # (6.0 + 5.5 + 4.0 + 7.2 + 8.5 + 6.1) / 6 = 6.2166...
    assert desc.text == (
        "Average mood 6.2 out of 10 over 7 days (6 logged); "
        "lowest 4.0 on 18 Nov, highest 8.5 on 20 Nov. "
        "GAD-7 8 of 21 (mild) on 18 Nov; PHQ-9 12 of 27 (moderate) on 18 Nov; "
        "WHO-5 64 of 100 (adequate) on 19 Nov."
    )
    assert describe(week()) == desc.text


def test_svg_title_and_desc_are_xml_escaped() -> None:
    chart = replace(
        week(marks=[replace(PHQ9, severity='<moderate> & "worse"')]),
        title='Mood <script>alert("x")</script> & more $x$',
    )

    root = parse(render(chart, "svg"))

    assert root[0].text == 'Mood <script>alert("x")</script> & more $x$'
    assert 'PHQ-9 12 of 27 (<moderate> & "worse") on 18 Nov' in (root[1].text or "")
    assert root.find(f".//{SVG}script") is None


# PNG


def test_png_opens_at_800_by_400() -> None:
    with Image.open(io.BytesIO(render(week(), "png"))) as image:
        assert image.format == "PNG"
        assert image.size == (800, 400)
        # Not blank: the mood line's blue is in it.
        colours = image.convert("RGB").getcolors(1 << 20) or []
        assert any(rgb == (0x00, 0x72, 0xB2) for _, rgb in colours)


def test_different_moods_give_a_different_png_and_the_same_moods_the_same() -> None:
    first = render(week(), "png")
    changed = render(week(moods=[6.0, 5.5, None, 4.0, 7.2, 8.5, 3.0]), "png")

    assert render(week(), "png") == first
    assert changed != first


# The mood line


def test_a_day_with_nothing_logged_breaks_the_line() -> None:
    whole = render(week(moods=[6.0, 5.5, 5.0, 4.0, 7.2, 8.5, 6.1]), "svg")
    one_gap = render(week(), "svg")  # None on the third day
    two_gaps = render(week(moods=[6.0, None, 5.0, 4.0, None, 8.5, 6.1]), "svg")

    assert mood_line_segments(whole) == 1
    assert mood_line_segments(one_gap) == 2
    assert mood_line_segments(two_gaps) == 3
    assert mood_points(one_gap) == 6  # a point per logged day, none for the gap
    assert mood_points(two_gaps) == 5


def test_a_single_logged_day_between_gaps_still_shows_its_point() -> None:
    svg = render(week(moods=[None, None, None, 7.0, None, None, None], marks=[]), "svg")

    assert mood_points(svg) == 1
    assert "No mood logged yet" not in drawn_texts(svg)


def test_x_labels_are_weekdays_for_a_week_and_dates_for_a_month() -> None:
    week_texts = drawn_texts(render(week(), "svg"))
    month_texts = drawn_texts(render(month(), "svg"))

    assert ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"] == [
        text for text in week_texts if text in {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}
    ]
    assert {"27 Oct", "1 Nov", "6 Nov", "11 Nov", "16 Nov", "21 Nov"} <= set(month_texts)
    assert not {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"} & set(month_texts)


# Score marks


def test_score_marks_are_drawn_and_labelled() -> None:
    svg = render(week(), "svg")
    root = parse(svg)
    texts = drawn_texts(svg)

    for i in range(3):
        assert len(list(group(root, f"{MARK_GID_PREFIX}{i}").iter(f"{SVG}use"))) == 1
    assert root.find(f".//{SVG}g[@id='{MARK_GID_PREFIX}3']") is None
    assert {"12 (moderate)", "8 (mild)", "64 (adequate)"} <= set(texts)
    assert {"PHQ-9", "GAD-7", "WHO-5"} <= set(texts)  # a row per instrument
    assert {"PHQ-9 (depression)", "GAD-7 (anxiety)", "WHO-5 (wellbeing)"} <= set(texts)  # legend


def test_instruments_differ_by_marker_shape_and_colour() -> None:
    root = parse(render(week(), "svg"))
    shapes, colours = set(), set()
    for i in range(3):
        (use,) = group(root, f"{MARK_GID_PREFIX}{i}").iter(f"{SVG}use")
        marker = root.find(f".//{SVG}path[@id='{use.attrib[XLINK_HREF][1:]}']")
        assert marker is not None
        shapes.add(marker.attrib["d"])
        colours.add(re.findall(r"fill: (#[0-9a-f]{6})", use.attrib["style"])[0])

    assert len(shapes) == 3
    assert len(colours) == 3


def test_a_chart_without_marks_has_no_score_rows() -> None:
    svg = render(week(marks=[]), "svg")

    assert not {"PHQ-9", "GAD-7", "WHO-5", "12 (moderate)"} & set(drawn_texts(svg))
    assert parse(svg)[1].text == (
        "Average mood 6.2 out of 10 over 7 days (6 logged); "
        "lowest 4.0 on 18 Nov, highest 8.5 on 20 Nov. No questionnaires taken."
    )


# The empty chart


def test_the_empty_chart_says_no_mood_logged_yet() -> None:
    svg = render(empty(), "svg")

    assert "No mood logged yet" in drawn_texts(svg)
    assert parse(svg)[1].text == "No mood logged yet over 7 days. No questionnaires taken."
    assert mood_points(svg) == 0
    assert "No mood logged yet" not in drawn_texts(render(week(), "svg"))
    with Image.open(io.BytesIO(render(empty(), "png"))) as image:
        assert image.size == (800, 400)


def test_marks_without_moods_still_say_no_mood_logged_yet() -> None:
    svg = render(week(moods=[None] * 7, marks=[WHO5]), "svg")

    assert {"No mood logged yet", "64 (adequate)"} <= set(drawn_texts(svg))


# Determinism and threads


def test_the_same_input_gives_identical_svg_bytes() -> None:
    first = render(week(), "svg")
    render(month(), "svg")  # nothing carries over from another chart
    again = render(week(), "svg")

    assert again == first
    assert b"<dc:date>" not in first
    assert render(month(), "svg") == render(month(), "svg")


@pytest.mark.slow
def test_rendering_from_four_threads_at_once_matches_rendering_alone() -> None:
    charts = [week(), month(), empty(), week(moods=[9.0, 8.0, 7.0, None, 5.0, 4.0, 3.0])]
    alone = [(render(chart, "svg"), render(chart, "png")) for chart in charts]
    start = threading.Barrier(len(charts))

    def render_repeatedly(chart: MoodChart) -> list[tuple[bytes, bytes]]:
        start.wait(timeout=60)
        return [(render(chart, "svg"), render(chart, "png")) for _ in range(2)]

    with ThreadPoolExecutor(max_workers=len(charts)) as pool:
        together = list(pool.map(render_repeatedly, charts))

    for expected, results in zip(alone, together, strict=True):
        assert all(result == expected for result in results)


# Bad input


def with_days(count: int) -> list[date]:
    return days_from(WEEK_START, count)


@pytest.mark.parametrize(
    ("chart", "message"),
    [
        (MoodChart("t", with_days(7), [5.0] * 6, []), "7 days but 6 moods"),
        (MoodChart("t", with_days(7), [5.0] * 8, []), "7 days but 8 moods"),
        (MoodChart("t", [], [], []), "at least one day"),
        (MoodChart("t", with_days(3), [5.0, 0.9, 5.0], []), "outside 1..10"),
        (MoodChart("t", with_days(3), [5.0, 10.1, 5.0], []), "outside 1..10"),
        (MoodChart("t", with_days(3), [5.0, math.nan, 5.0], []), "outside 1..10"),
        (MoodChart("t", [WEEK_START, WEEK_START + timedelta(days=2)], [5.0, 5.0], []), "consec"),
        (MoodChart("t", with_days(2)[::-1], [5.0, 5.0], []), "consecutive"),
        (week(marks=[replace(PHQ9, day=date(2026, 11, 22))]), "outside 2026-11-15..2026-11-21"),
        (week(marks=[replace(PHQ9, score=28)]), "outside 0..27"),
        (week(marks=[replace(PHQ9, score=-1)]), "outside 0..27"),
        (week(marks=[replace(PHQ9, max_score=0, score=0)]), "outside 0..0"),
    ],
)
@pytest.mark.parametrize("fmt", ["svg", "png"])
def test_bad_input_raises_value_error(chart: MoodChart, message: str, fmt: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        render(chart, fmt)  # type: ignore[arg-type]


def test_moods_at_the_ends_of_the_scale_are_fine() -> None:
    svg = render(week(moods=[1.0, 10.0, 1, 10, None, 5.5, 1.0], marks=[]), "svg")

    assert mood_points(svg) == 6


def test_an_unknown_format_raises_value_error() -> None:
    with pytest.raises(ValueError, match="unknown chart format 'jpeg'"):
        render(week(), "jpeg")  # type: ignore[arg-type]
