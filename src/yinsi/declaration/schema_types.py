"""The building blocks of every declaration section: ids, texts, durations, the base model."""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    model_validator,
)

Id = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64),
    Field(description="Stable English id: lower case letters, digits and underscores."),
]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class Model(BaseModel):
    """Base of every declaration model: unknown keys are errors, not silently dropped."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)


# ---------------------------------------------------------------- durations

_DURATION = re.compile(r"^\s*(\d+)\s*(d|w|m|y|days?|weeks?|months?|years?)\s*$", re.IGNORECASE)
_UNIT = {"d": "days", "w": "weeks", "m": "months", "y": "years"}


class Duration(Model):
    """A retention period such as ``5y``, ``1m``, ``30d`` (years, months, weeks, days)."""

    amount: int = Field(ge=0)
    unit: Literal["days", "weeks", "months", "years"]

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, value: Any) -> Any:
        if isinstance(value, str):
            match = _DURATION.match(value)
            if not match:
                raise ValueError(
                    f"invalid duration {value!r}: write a number and a unit, e.g. 5y, 1m, 30d"
                )
            return {"amount": int(match[1]), "unit": _UNIT[match[2][0].lower()]}
        return value

    @property
    def label(self) -> str:
        unit = {"days": "日", "weeks": "周", "months": "个月", "years": "年"}[self.unit]
        return f"{self.amount}{unit}"

    @property
    def approx_days(self) -> int:
        per = {"days": 1, "weeks": 7, "months": 30, "years": 365}[self.unit]
        return self.amount * per

    def after(self, start: date) -> date:
        """The calendar date this period after ``start`` (month ends clamp: Jan 31 + 1m = Feb 28)."""
        if self.unit in ("days", "weeks"):
            return start + timedelta(days=self.amount * (7 if self.unit == "weeks" else 1))
        months = self.amount * (12 if self.unit == "years" else 1)
        year, month = divmod(start.month - 1 + months, 12)
        year += start.year
        last = calendar.monthrange(year, month + 1)[1]
        return date(year, month + 1, min(start.day, last))

    def __str__(self) -> str:
        return f"{self.amount}{self.unit[0]}"


DurationField = Annotated[Duration, PlainSerializer(str, return_type=str)]


def _one_or_many(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


IdList = Annotated[list[Id], BeforeValidator(_one_or_many)]
