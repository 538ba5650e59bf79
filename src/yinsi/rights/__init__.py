"""Rights requests (PIPL Chapter IV): requests, identity verification, deadlines, plans.

Pure domain. A request (:mod:`.requests`) is verified (:mod:`.verification`), due on the
Chinese working-day calendar (:mod:`.calendar`, :mod:`.deadlines`), approved or refused on
a declared ground, then planned (:mod:`.walk` finds the subject's records through the data
map, :mod:`.planner` makes idempotent steps) and run durably (:mod:`.executor`) through
the :class:`~yinsi.rights.ports.Connector` port. The service layer that wires storage and
connectors in is :class:`yinsi.services.rights.RightsService`.

Every name is imported on first use (:mod:`yinsi._lazy`).
"""

from typing import TYPE_CHECKING

from yinsi._lazy import attach

if TYPE_CHECKING:
    from yinsi.rights.calendar import CalendarError, HolidayFileError, HolidayYear, WorkingCalendar
    from yinsi.rights.deadlines import (
        DeadlineStatus,
        DueDate,
        RequestDeadline,
        Triage,
        classify,
        due_date,
        request_deadline,
        sort_by_due,
        triage,
        working_days_between,
    )
    from yinsi.rights.holds import LegalHold
    from yinsi.rights.plan import Action, Step, StepStatus
    from yinsi.rights.ports import Connector, ConnectorError, EraseOutcome, HoldFacts, Record
    from yinsi.rights.requests import (
        Due,
        InvalidRequest,
        InvalidTransition,
        Refusal,
        Requester,
        RequestError,
        RightsRequest,
        Status,
        Transition,
    )
    from yinsi.rights.verification import Challenge, Method, VerificationFailed
else:
    __getattr__, __dir__ = attach(
        __name__,
        {
            "calendar": (
                "CalendarError",
                "HolidayFileError",
                "HolidayYear",
                "WorkingCalendar",
            ),
            "deadlines": (
                "DeadlineStatus",
                "DueDate",
                "RequestDeadline",
                "Triage",
                "classify",
                "due_date",
                "request_deadline",
                "sort_by_due",
                "triage",
                "working_days_between",
            ),
            "holds": ("LegalHold",),
            "plan": (
                "Action",
                "Step",
                "StepStatus",
            ),
            "ports": (
                "Connector",
                "ConnectorError",
                "EraseOutcome",
                "HoldFacts",
                "Record",
            ),
            "requests": (
                "Due",
                "InvalidRequest",
                "InvalidTransition",
                "Refusal",
                "Requester",
                "RequestError",
                "RightsRequest",
                "Status",
                "Transition",
            ),
            "verification": (
                "Challenge",
                "Method",
                "VerificationFailed",
            ),
        },
    )

__all__ = [
    "Action",
    "CalendarError",
    "Challenge",
    "Connector",
    "ConnectorError",
    "DeadlineStatus",
    "Due",
    "DueDate",
    "EraseOutcome",
    "HoldFacts",
    "HolidayFileError",
    "HolidayYear",
    "InvalidRequest",
    "InvalidTransition",
    "LegalHold",
    "Method",
    "Record",
    "Refusal",
    "RequestDeadline",
    "RequestError",
    "Requester",
    "RightsRequest",
    "Status",
    "Step",
    "StepStatus",
    "Transition",
    "Triage",
    "VerificationFailed",
    "WorkingCalendar",
    "classify",
    "due_date",
    "request_deadline",
    "sort_by_due",
    "triage",
    "working_days_between",
]
