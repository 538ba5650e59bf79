"""What yinsi tells people, through :class:`~yinsi.services.delivery.DeliveryService`:
the answer to a rights request, due-date reminders for the privacy team, incident
notices to the affected users and the report to the regulator.

Contacts come from the data map: the ``mobile_number`` and ``email`` elements held for
the subject in a dataset found by user id (read through the connectors, never stored).
App push needs only the user id. A subject with no usable channel is recorded
``no_channel`` with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from yinsi.declaration import Declaration
from yinsi.declaration.datamap import DataMap
from yinsi.delivery import Channel, EmailMessage, Purpose, PushMessage, SmsMessage
from yinsi.lifecycle.incidents import Incident
from yinsi.rights.calendar import WorkingCalendar
from yinsi.rights.deadlines import triage
from yinsi.rights.ports import Connector, ConnectorError
from yinsi.rights.requests import RightsRequest, Status
from yinsi.services.delivery import DeliveryService, Message
from yinsi.settings.delivery import DeliverySettings
from yinsi.storage.deliveries import DeliveryRecord

if TYPE_CHECKING:
    from yinsi.services.rights import RightsService

__all__ = [
    "ANSWERED",
    "Contacts",
    "answer_message",
    "answer_notice",
    "incident_notices",
    "reach",
    "regulator_reports",
    "remind_due",
    "reminders",
]

ANSWERED = frozenset({Status.COMPLETED, Status.PARTIALLY_COMPLETED, Status.REFUSED})
CONTACT_ELEMENTS = ("mobile_number", "email")
"""The elements an answer is sent to (SMS, e-mail)."""
NO_CONTACT = "数据地图中没有该用户的手机号或电子邮箱"
_CHANNEL_WORDS = ((Channel.SMS, "短信"), (Channel.EMAIL, "邮件"), (Channel.PUSH, "推送"))


@dataclass(frozen=True, slots=True)
class Contacts:
    """Reads a subject's phone and e-mail from the app's stores.

    ``known``: addresses read before a deletion erased them (:meth:`before_erasure`), by
    subject and element, so the subject can still be told the deletion is done; they live
    in memory for one run only, never stored."""

    data_map: DataMap
    connectors: Mapping[str, Connector]
    known: Mapping[tuple[str, str], str] = field(default_factory=dict)

    def before_erasure(self, subject_ids: Sequence[str]) -> Contacts:
        """These contacts with the subjects' addresses read now (a deletion comes next)."""
        known = dict(self.known)
        for subject_id in subject_ids:
            for element in CONTACT_ELEMENTS:
                try:
                    found = self.of(subject_id, element)
                except ConnectorError:
                    continue  # read again when the notice is sent: it says why then
                if found:
                    known[(subject_id, element)] = found
        return Contacts(self.data_map, self.connectors, known)

    def of(self, subject_id: str, element: str) -> str | None:
        remembered = self.known.get((subject_id, element))
        if remembered is not None:
            return remembered
        for ds in self.data_map.datasets:
            field = next((f for f in ds.fields if f.element == element), None)
            if field is None or ds.subject is None or ds.subject.identity != "user_id":
                continue
            for record in self.connectors[ds.store].find(ds, {ds.subject.column: [subject_id]}):
                value = record.values.get(field.name)
                if value:
                    return str(value)
        return None


def reach(
    delivery: DeliveryService,
    contacts: Contacts,
    subject_id: str,
    channels: Sequence[Channel],
    build: Mapping[Channel, Callable[[str], Message]],
) -> Message | str:
    """The message for the first channel that is configured and has an address (read
    only when needed; push needs none); else why nobody can be reached."""
    reason = NO_CONTACT
    for channel in channels:
        if not delivery.configured(channel):
            if channel is not Channel.PUSH:
                reason = f"未配置可用渠道（YINSI_DELIVERY__{channel.name}__PROVIDER 等）"
            continue
        if channel is Channel.PUSH:
            return build[channel](subject_id)
        element = "mobile_number" if channel is Channel.SMS else "email"
        try:
            address = contacts.of(subject_id, element)
        except ConnectorError as exc:
            return f"无法读取联系方式：{exc}"
        if address:
            return build[channel](address)
        reason = NO_CONTACT
    return reason


def answer_notice(
    delivery: DeliveryService, contacts: Contacts, request: RightsRequest, app_name: str
) -> DeliveryRecord | None:
    """Tell the subject their request is answered (completed, partly, refused) by SMS, else
    e-mail; the SMS points to the app, the e-mail carries the answer."""
    if request.status not in ANSWERED:
        return None
    found = answer_message(delivery, contacts, request, app_name)
    if isinstance(found, str):
        return delivery.no_channel(
            request.app_id, request.id, Purpose.REQUEST_ANSWER, request.subject_id, found
        )
    return delivery.send(request.app_id, request.id, found, subject_id=request.subject_id)


def answer_message(
    delivery: DeliveryService, contacts: Contacts, request: RightsRequest, app_name: str
) -> Message | str:
    """The answer notice of :func:`answer_notice` to send, or why nobody can be reached
    (sending nothing, recording nothing: a run records a ``no_channel`` in its last
    commit, :meth:`DeliveryService.no_channel` with its unit of work)."""
    done = "已办理完毕" if request.status is not Status.REFUSED else "未能办理"
    text = (
        f"【{app_name}】您提交的{request.kind.label}申请{done}，请在App“个人信息权利”中查看答复。"
    )
    body = f"{text}\n\n答复：\n{request.answer or '（见App内答复）'}\n\n申请编号：{request.id}"
    build: dict[Channel, Callable[[str], Message]] = {
        Channel.SMS: lambda phone: SmsMessage(
            phone, Purpose.REQUEST_ANSWER, text, {"kind": request.kind.label, "result": done}
        ),
        Channel.EMAIL: lambda to: EmailMessage(
            to, Purpose.REQUEST_ANSWER, f"{app_name}：您的{request.kind.label}申请{done}", body
        ),
    }
    return reach(delivery, contacts, request.subject_id, (Channel.SMS, Channel.EMAIL), build)


def incident_channels(declaration: Declaration) -> list[Channel]:
    """The channels the declaration's ``incident.notify_via`` names (短信, 邮件, 推送…), in
    its order, then the others (push, SMS, e-mail) for users the named ones cannot reach."""
    named = [
        channel
        for via in declaration.incident.notify_via
        for channel, word in _CHANNEL_WORDS
        if word in via
    ]
    return list(dict.fromkeys([*named, Channel.PUSH, Channel.SMS, Channel.EMAIL]))


def incident_notices(
    delivery: DeliveryService,
    contacts: Contacts,
    incident: Incident,
    subjects: Sequence[str],
    declaration: Declaration,
    notice: str,
) -> list[DeliveryRecord]:
    """Send the notice to every affected subject through the declared channels."""
    name = declaration.app.name
    short = f"【{name}】个人信息安全事件告知：{incident.title}。详情及建议请查看App内公告。"
    title = f"{name}个人信息安全事件告知"
    build: dict[Channel, Callable[[str], Message]] = {
        Channel.SMS: lambda phone: SmsMessage(
            phone, Purpose.INCIDENT_NOTICE, short, {"title": incident.title}
        ),
        Channel.EMAIL: lambda to: EmailMessage(to, Purpose.INCIDENT_NOTICE, title, notice),
        Channel.PUSH: lambda user: PushMessage(user, Purpose.INCIDENT_NOTICE, title, notice),
    }
    channels = incident_channels(declaration)
    records = []
    for subject in subjects:
        found = reach(delivery, contacts, subject, channels, build)
        if isinstance(found, str):
            records.append(
                delivery.no_channel(
                    incident.app_id,
                    incident.id,
                    Purpose.INCIDENT_NOTICE,
                    subject,
                    found,
                    channels[0],
                )
            )
        else:
            records.append(delivery.send(incident.app_id, incident.id, found, subject_id=subject))
    return records


def regulator_reports(
    delivery: DeliveryService, incident: Incident, addresses: Sequence[str], report: str
) -> list[DeliveryRecord]:
    """E-mail the regulator report (Markdown attached) to each configured address."""
    subject = f"个人信息安全事件报告：{incident.title}（{incident.id}）"
    attachment = (f"{incident.id}-report.md", report.encode("utf-8"), "text/markdown")
    if not addresses:
        reason = "未配置监管部门邮箱：设置 YINSI_DELIVERY__REGULATOR_EMAILS"
        return [
            delivery.no_channel(
                incident.app_id, incident.id, Purpose.REGULATOR_REPORT, None, reason, Channel.EMAIL
            )
        ]
    return [
        delivery.send(
            incident.app_id,
            incident.id,
            EmailMessage(to, Purpose.REGULATOR_REPORT, subject, report, attachment),
        )
        for to in addresses
    ]


def reminders(
    delivery: DeliveryService,
    requests: Sequence[RightsRequest],
    *,
    app_id: str,
    today: date,
    calendar: WorkingCalendar,
    addresses: Sequence[str],
    days: int,
) -> tuple[int, list[DeliveryRecord]]:
    """E-mail the privacy team the open requests overdue or due within ``days`` working
    days; returns how many requests were listed and the records (none listed: no mail)."""
    if not addresses:
        raise ValueError("no one to remind: set YINSI_DELIVERY__STAFF_EMAILS (a JSON list)")
    delivery.require(Channel.EMAIL)
    dated = [r for r in requests if r.due is not None and not r.status.closed]
    split = triage(
        dated,
        today,
        key=lambda r: r.due.date if r.due else today,
        due_soon_days=days,
        calendar=calendar,
    )
    listed = [*split.overdue, *split.due_soon]
    if not listed:
        return 0, []
    late = {r.id for r in split.overdue}
    lines = [
        f"- {r.id}  {r.kind.label}  {r.status.label}  截止 {r.due.date if r.due else '—'}"
        + ("  【已逾期】" if r.id in late else "")
        for r in listed
    ]
    body = f"以下个人信息权利申请已逾期或将在{days}个工作日内到期（{today}）：\n\n" + "\n".join(
        lines
    )
    title = f"权利申请到期提醒：{len(late)} 件逾期，{len(listed) - len(late)} 件将到期"
    return len(listed), [
        delivery.send(app_id, f"reminder:{today}", EmailMessage(to, Purpose.REMINDER, title, body))
        for to in addresses
    ]


def remind_due(
    rights: RightsService, delivery: DeliveryService, settings: DeliverySettings
) -> tuple[int, list[DeliveryRecord]]:
    """:func:`reminders` for the rights service's app, with the configured staff list and
    window (``YINSI_DELIVERY__STAFF_EMAILS``, ``YINSI_DELIVERY__REMINDER_DAYS``)."""
    return reminders(
        delivery,
        rights.requests(),
        app_id=rights.data_map.app,
        today=rights.today(),
        calendar=rights.calendar,
        addresses=settings.staff_emails,
        days=settings.reminder_days,
    )
