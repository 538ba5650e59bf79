"""What the routes share: the database, yinsi, the repositories, sessions, the SMS sender."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from sqlalchemy.engine import Engine

from lending_app.privacy import Evidence, Privacy
from lending_app.repository import Accounts
from lending_app.repository_credit import Credit
from lending_app.sessions import Sessions
from lending_app.sms import SmsSender


@dataclass
class AppState:
    db: Engine
    privacy: Privacy
    accounts: Accounts
    credit: Credit
    sessions: Sessions
    sms: SmsSender

    def evidence(self, request: Request, user_id: str | None) -> Evidence:
        client = request.client.host if request.client else None
        return self.privacy.evidence(user_id or "", client, request.headers.get("user-agent"))
