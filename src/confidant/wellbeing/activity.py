"""Questionnaires count as tracked activity: registered here, so tracking imports no
wellbeing code."""

from __future__ import annotations

from confidant.tracking.activity import register_timed_activity
from confidant.tracking.stats import Kind
from confidant.wellbeing.models import AssessmentResponse

register_timed_activity(Kind.ASSESSMENT, AssessmentResponse.user_id, AssessmentResponse.created_at)
