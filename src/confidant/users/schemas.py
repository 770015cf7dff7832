from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, AnyHttpUrl, Field, StringConstraints

from confidant.auth.schemas import TokensOut
from confidant.kit.schemas import ApiInput, ApiModel, Email, Phone

# Human range: outside it a value is a typo or a unit mix-up, and is refused with 422.
HEIGHT_CM_RANGE = (40.0, 275.0)
WEIGHT_KG_RANGE = (2.0, 650.0)

BloodType = Literal["A+", "A-", "B+", "B-", "AB+", "AB-", "O+", "O-", "unknown"]
ShareableField = Literal[
    "name",
    "bloodType",
    "allergies",
    "conditions",
    "medications",
    "emergencyContacts",
    "heightCm",
    "weightKg",
    "bmi",
]
DEFAULT_SHAREABLE: list[ShareableField] = ["bloodType", "allergies", "emergencyContacts"]

ShortText = Annotated[str, StringConstraints(min_length=1, max_length=200)]
TextList = Annotated[list[ShortText], Field(max_length=50)]
HeightCm = Annotated[float, Field(ge=HEIGHT_CM_RANGE[0], le=HEIGHT_CM_RANGE[1])]
WeightKg = Annotated[float, Field(ge=WEIGHT_KG_RANGE[0], le=WEIGHT_KG_RANGE[1])]


class EmergencyContact(ApiInput):
    name: ShortText
    phone: Phone
    relation: Annotated[str, StringConstraints(max_length=100)] | None = None


class MedicalCardFields(ApiInput):
    """What a person edits. Every field optional, so the same model serves PATCH."""

    height_cm: HeightCm | None = None
    weight_kg: WeightKg | None = None
    blood_type: BloodType | None = None
    allergies: TextList | None = None
    conditions: TextList | None = None
    medications: TextList | None = None
    emergency_contacts: Annotated[list[EmergencyContact], Field(max_length=10)] | None = None
    shareable: Annotated[list[ShareableField], Field(max_length=9)] | None = None


class MedicalCardOut(ApiModel):
    height_cm: float | None
    weight_kg: float | None
    blood_type: BloodType
    allergies: list[str]
    conditions: list[str]
    medications: list[str]
    emergency_contacts: list[EmergencyContact]
    shareable: list[ShareableField]
    bmi: float | None = Field(description="Computed by the server from height and weight")
    bmi_category: str | None = Field(description="WHO adult BMI category")
    updated_at: datetime


Theme = Literal["system", "light", "dark"]
Language = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")]


def _known_time_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError("unknown IANA time zone") from exc
    return name


TimeZone = Annotated[str, StringConstraints(max_length=64), AfterValidator(_known_time_zone)]


PauseSeconds = Annotated[float, Field(ge=0.5, le=3.0)]


class Preferences(ApiModel):
    theme: Theme = "system"
    notifications: bool = True
    language: Language = "en"
    time_zone: TimeZone = "UTC"
    remember_chats: bool = Field(
        default=True, description="Let the companion search your past chat messages"
    )
    auto_fine_tune: bool = Field(
        default=True,
        description="Train your personal adapter by itself once you have written enough new text",
    )
    call_pause_seconds: PauseSeconds = Field(
        default=0.8, description="In a call, how long a pause ends your turn"
    )
    call_never_interrupt: bool = Field(
        default=False, description="In a call, wait for a long pause before answering"
    )


class PreferencesPatch(ApiInput):
    theme: Theme | None = None
    notifications: bool | None = None
    language: Language | None = None
    time_zone: TimeZone | None = None
    remember_chats: bool | None = None
    auto_fine_tune: bool | None = None
    call_pause_seconds: PauseSeconds | None = None
    call_never_interrupt: bool | None = None


class Stats(ApiModel):
    streak_days: int
    level: int
    xp: int


class Profile(ApiModel):
    name: str | None
    email: str | None
    phone: str | None
    avatar_url: str | None


class MeOut(ApiModel):
    id: str
    role: str
    profile: Profile
    preferences: Preferences
    stats: Stats
    medical_card: MedicalCardOut
    created_at: datetime


class MePatch(ApiInput):
    name: ShortText | None = None
    email: Email | None = None
    phone: Phone | None = None
    avatar_url: Annotated[AnyHttpUrl, Field()] | None = None
    preferences: PreferencesPatch | None = None
    medical_card: MedicalCardFields | None = None


class EmergencyCardOut(ApiModel):
    """The public emergency view: only the fields the owner marked shareable."""

    name: str | None = None
    blood_type: BloodType | None = None
    allergies: list[str] | None = None
    conditions: list[str] | None = None
    medications: list[str] | None = None
    emergency_contacts: list[EmergencyContact] | None = None
    height_cm: float | None = None
    weight_kg: float | None = None
    bmi: float | None = None
    bmi_category: str | None = None


# A new account's tokens and its medical card: auth signs in, users keeps the card.
class RegisterOut(TokensOut):
    medical_card: MedicalCardOut
