"""PHQ-9, GAD-7 and WHO-5: scoring at every band edge (hand-computed), the API, the
crisis flow for PHQ-9 item 9, history with trends, and bad input storing nothing."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from confidant.runtime import Runtime
from confidant.safety.models import SafetyEvent
from confidant.wellbeing import instruments
from confidant.wellbeing.instruments import GAD7, PHQ9, WHO5, Instrument
from confidant.wellbeing.models import AssessmentResponse
from tests.helpers import assert_error, register, rows_of


def answers_totalling(instrument: Instrument, raw_total: int) -> list[int]:
    """Answers, one per item, whose raw sum is `raw_total` (filled from the first item)."""
    top = max(o.value for o in instrument.options)
    answers = []
    for _ in instrument.items:
        answers.append(min(top, raw_total))
        raw_total -= answers[-1]
    assert raw_total == 0
    return answers


@pytest.mark.parametrize(
    ("total", "severity"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "moderately severe"),
        (19, "moderately severe"),
        (20, "severe"),
        (27, "severe"),
    ],
)
def test_phq9_bands(total: int, severity: str) -> None:
    result = instruments.score(PHQ9, answers_totalling(PHQ9, total))
    assert (result.score, result.max_score, result.severity) == (total, 27, severity)
    assert result.flagged is (total >= 10)


@pytest.mark.parametrize(
    ("total", "severity"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "severe"),
        (21, "severe"),
    ],
)
def test_gad7_bands(total: int, severity: str) -> None:
    result = instruments.score(GAD7, answers_totalling(GAD7, total))
    assert (result.score, result.max_score, result.severity) == (total, 21, severity)


@pytest.mark.parametrize(
    ("raw", "percentage", "flagged"),
    [(0, 0, True), (12, 48, True), (13, 52, False), (25, 100, False)],
)
def test_who5_is_raw_times_four_and_flags_50_or_less(
    raw: int, percentage: int, flagged: bool
) -> None:
    result = instruments.score(WHO5, answers_totalling(WHO5, raw))
    assert (result.score, result.max_score, result.flagged) == (percentage, 100, flagged)
    assert result.severity == ("poor wellbeing" if flagged else "good wellbeing")


async def test_definitions_are_served(client: httpx.AsyncClient) -> None:
    listed = (await client.get("/api/assessments")).json()
    assert [a["id"] for a in listed] == ["phq-9", "gad-7", "who-5"]
    phq = next(a for a in listed if a["id"] == "phq-9")
    assert len(phq["items"]) == 9
    assert [o["value"] for o in phq["options"]] == [0, 1, 2, 3]
    assert phq["maxScore"] == 27
    who = (await client.get("/api/assessments/WHO-5")).json()
    assert [o["value"] for o in who["options"]] == [5, 4, 3, 2, 1, 0]
    assert_error(await client.get("/api/assessments/bdi-ii"), 404)


async def test_a_response_is_scored_stored_encrypted_and_trended(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    account = await register(client)
    url = "/api/assessments/gad-7/responses"
    first = await client.post(url, json={"answers": [2, 2, 2, 2, 1, 1, 1]}, headers=account.headers)
    assert first.status_code == 201, first.text
    body = first.json()
    assert (body["score"], body["severity"], body["crisis"]) == (11, "moderate", False)
    second = await client.post(
        url, json={"answers": [1, 1, 1, 1, 0, 0, 0]}, headers=account.headers
    )
    assert second.json()["severity"] == "minimal"

    history = (await client.get(url, headers=account.headers)).json()
    assert [r["score"] for r in history["items"]] == [4, 11]
    assert history["trend"] == {"latest": 4, "previous": 11, "change": -7, "direction": "improving"}
    assert history["items"][1]["answers"] == [2, 2, 2, 2, 1, 1, 1]

    stranger = await register(client)
    assert (await client.get(url, headers=stranger.headers)).json()["items"] == []
    async with runtime.db.transaction() as session:
        row = await session.scalar(
            select(AssessmentResponse).where(AssessmentResponse.id == body["id"])
        )
    assert row is not None
    assert b"[2,2,2,2" not in row.answers_ct
    assert b"moderate" not in row.result_ct


async def test_who5_trend_counts_a_higher_score_as_better(client: httpx.AsyncClient) -> None:
    account = await register(client)
    url = "/api/assessments/who-5/responses"
    await client.post(url, json={"answers": [2, 2, 2, 2, 2]}, headers=account.headers)
    await client.post(url, json={"answers": [3, 3, 3, 3, 3]}, headers=account.headers)
    trend = (await client.get(url, headers=account.headers)).json()["trend"]
    assert trend == {"latest": 60, "previous": 40, "change": 20, "direction": "improving"}


@pytest.mark.parametrize("item_nine", [1, 3])
async def test_phq9_item_nine_above_zero_starts_the_crisis_flow(
    client: httpx.AsyncClient, runtime: Runtime, item_nine: int
) -> None:
    account = await register(client)
    answers = [0] * 8 + [item_nine]
    response = await client.post(
        "/api/assessments/phq-9/responses", json={"answers": answers}, headers=account.headers
    )
    body = response.json()
    assert body["crisis"] is True
    assert body["crisisResources"]
    async with runtime.db.transaction() as session:
        event = await session.scalar(
            select(SafetyEvent).where(SafetyEvent.user_id == account.user_id)
        )
    assert event is not None
    # item 9 asks about thoughts of being better off dead: passive ideation, by C-SSRS
    assert (event.channel, event.category, event.severity) == (
        "assessment",
        "wish_dead",
        "moderate",
    )


async def test_crisis_resources_are_served_in_the_users_language_and_record_nothing(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    account = await register(client)
    english = (await client.get("/api/crisis-resources", headers=account.headers)).json()
    assert english["resources"] == runtime.crisis.resources_for("en")
    await client.patch(
        "/api/users/me", json={"preferences": {"language": "vi"}}, headers=account.headers
    )
    vietnamese = (await client.get("/api/crisis-resources", headers=account.headers)).json()
    assert vietnamese["resources"] == runtime.crisis.resources_for("vi")
    assert vietnamese["resources"] != english["resources"]
    assert await rows_of(runtime.db, SafetyEvent, account.user_id) == 0
    assert_error(await client.get("/api/crisis-resources"), 401)


async def test_phq9_without_item_nine_is_no_crisis(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    account = await register(client)
    response = await client.post(
        "/api/assessments/phq-9/responses",
        json={"answers": [3, 3, 3, 3, 3, 3, 3, 3, 0]},
        headers=account.headers,
    )
    body = response.json()
    assert (body["score"], body["severity"], body["crisis"]) == (24, "severe", False)
    assert body["crisisResources"] is None
    assert await rows_of(runtime.db, SafetyEvent, account.user_id) == 0


@pytest.mark.parametrize(
    ("assessment", "payload", "status"),
    [
        ("phq-9", {"answers": [0] * 8}, 422),
        ("phq-9", {"answers": [0] * 10}, 422),
        ("phq-9", {"answers": [0] * 8 + [4]}, 422),
        ("phq-9", {"answers": [0] * 8 + [-1]}, 422),
        ("gad-7", {"answers": [0.5] * 7}, 422),
        ("gad-7", {"answers": ["often"] * 7}, 422),
        ("gad-7", {}, 422),
        ("gad-7", {"answers": [0] * 7, "score": 0}, 422),
        ("who-5", {"answers": [6] * 5}, 422),
        ("bdi-ii", {"answers": [0] * 21}, 404),
    ],
)
async def test_incomplete_or_out_of_range_answers_store_nothing(
    client: httpx.AsyncClient, runtime: Runtime, assessment: str, payload: dict, status: int
) -> None:
    account = await register(client)
    response = await client.post(
        f"/api/assessments/{assessment}/responses", json=payload, headers=account.headers
    )
    assert_error(response, status)
    assert await rows_of(runtime.db, AssessmentResponse, account.user_id) == 0
    assert await rows_of(runtime.db, SafetyEvent, account.user_id) == 0


async def test_responses_need_a_signed_in_user(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/assessments/gad-7/responses", json={"answers": [0] * 7})
    assert_error(response, 401)
