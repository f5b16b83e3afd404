"""Email and text messages behind one interface.

`services.messages` is a `QueuedMessages` (messaging/queue.py): each message is a queue row
first, and the queue's delivery hands it to a transport:

- `NotifyMessages`: GOV.UK Notify (notifications-python-client), template ids from settings.
- `OutboxMessages`: development and tests only; writes to the outbox table that
  `govsignin outbox` reads. Production refuses it (config.Settings.production_problems).
"""

from __future__ import annotations

from typing import Protocol

import anyio
from sqlalchemy.ext.asyncio import async_sessionmaker

from govsignin.messaging.models import OutboxMessage
from govsignin.messaging.templates import TEMPLATES, render_body
from govsignin.web import metrics


class Messages(Protocol):
    async def send_email(self, to: str, template: str, personalisation: dict, lang: str = "en", *,
                         withhold: bool = False) -> None: ...

    async def send_sms(self, to: str, template: str, personalisation: dict, lang: str = "en", *,
                       withhold: bool = False) -> None: ...


class OutboxMessages:
    def __init__(self, sessionmaker: async_sessionmaker):
        self.sessionmaker = sessionmaker

    async def _record(self, channel, to, template, personalisation, lang):
        async with self.sessionmaker() as db, db.begin():
            db.add(
                OutboxMessage(
                    channel=channel, recipient=to, template=template,
                    personalisation=personalisation, body=render_body(template, personalisation, lang),
                )
            )
        metrics.message_sent(channel)

    async def send_email(self, to, template, personalisation, lang="en"):
        await self._record("email", to, template, personalisation, lang)

    async def send_sms(self, to, template, personalisation, lang="en"):
        await self._record("sms", to, template, personalisation, lang)


class NotifyMessages:
    def __init__(self, api_key: str, template_ids: dict[str, str]):
        from notifications_python_client.notifications import NotificationsAPIClient

        self.client = NotificationsAPIClient(api_key)
        self.template_ids = template_ids

    def _template_id(self, template: str, lang: str) -> str:
        try:
            return self.template_ids[f"{template}:{lang}"]
        except KeyError:
            raise RuntimeError(f"No GOV.UK Notify template id configured for {template} ({lang})") from None

    async def send_email(self, to, template, personalisation, lang="en"):
        await anyio.to_thread.run_sync(
            lambda: self.client.send_email_notification(
                email_address=to, template_id=self._template_id(template, lang), personalisation=personalisation
            )
        )
        metrics.message_sent("email")

    async def send_sms(self, to, template, personalisation, lang="en"):
        await anyio.to_thread.run_sync(
            lambda: self.client.send_sms_notification(
                phone_number=to, template_id=self._template_id(template, lang), personalisation=personalisation
            )
        )
        metrics.message_sent("sms")


def create_messages(settings, sessionmaker) -> Messages:
    from govsignin.messaging.queue import QueuedMessages

    if settings.messaging == "notify" and settings.notify_api_key:
        transport = NotifyMessages(settings.notify_api_key, settings.notify_template_ids)
    else:
        transport = OutboxMessages(sessionmaker)
    return QueuedMessages(settings, sessionmaker, transport)


__all__ = ["Messages", "OutboxMessages", "NotifyMessages", "create_messages", "TEMPLATES"]
