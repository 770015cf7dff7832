"""Body-mass index and its WHO adult category, always computed here, never accepted."""

from __future__ import annotations

# Upper bounds (exclusive) of the WHO adult BMI classes.
WHO_CLASSES: tuple[tuple[float, str], ...] = (
    (16.0, "severe_thinness"),
    (17.0, "moderate_thinness"),
    (18.5, "mild_thinness"),
    (25.0, "normal"),
    (30.0, "pre_obese"),
    (35.0, "obese_class_1"),
    (40.0, "obese_class_2"),
)


def body_mass_index(height_cm: float | None, weight_kg: float | None) -> float | None:
    if not height_cm or not weight_kg:
        return None
    metres = height_cm / 100
    return round(weight_kg / (metres * metres), 1)


def who_category(bmi: float | None) -> str | None:
    if bmi is None:
        return None
    for upper, name in WHO_CLASSES:
        if bmi < upper:
            return name
    return "obese_class_3"
