"""Celery tasks queued once the caller's transaction commits, as one message to the broker per transaction.

A deal registration asks for three tasks after it commits: the outbox's dispatch (prm.events), its partner's stage
recompute (partners.lifecycle) and the notification e-mails (prm.notifications). Each send through Celery costs the
request about half a millisecond of CPU (building the message, the producer, the LPUSH), so three of them were a
tenth or more of the registration's CPU. Here the sends a transaction asks for are kept on one commit callback; at commit a
single send goes out as it is, and several go out as one prm.tasks.sends_forward message, whose task on a worker
sends each of them with its own queue and tenant header (Celery's routes apply there as they would here).

The rules of Django's on_commit hold: nothing is sent for work that rolls back, since a send joins only the callback
of its own transaction and savepoint, which a rollback of either discards with it. Sending is robust as before: a
broker that cannot take the message is logged, and what was to be sent is left to the periodic runs that cover it
(the outbox's sweep, the nightly stage run).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction

logger = logging.getLogger(__name__)

FORWARD_TASK = "prm.tasks.sends_forward"


@dataclass
class Send:
    task: str
    kwargs: dict
    schema: str
    queue: str | None
    inline: Callable[[dict], None] | None = None  # run here at commit with the kwargs, instead of sent (no worker)

    def message(self) -> list:
        """What sends_forward takes for this send (JSON)."""
        return [self.task, self.kwargs, self.schema, self.queue]


def send_after_commit(task: str, kwargs: dict, *, schema: str, queue: str | None = None, join: bool = False,
                      once_per_transaction: bool = False, inline: Callable[[dict], None] | None = None) -> dict:
    """Queue Celery task `task` (by name) with `kwargs` for tenant `schema` once the transaction commits (at once
    outside one). Returns the kwargs it will be sent with.

    join: when this transaction, at this savepoint level, already sends the same task to the same schema and queue,
    nothing more is queued and the kwargs of that send are returned, for the caller to add to (a list of ids) until
    the commit. once_per_transaction: the same, looking at every level, for a task that takes whatever the
    transaction left (the outbox's dispatch); its send is then dropped only with the savepoint that first asked.
    inline: run at commit in this process with the kwargs instead of sending them, after the sends of the same
    commit (KYOSO_EMAIL_DELIVERY=inline: no worker); an error it raises is raised, as a task's would fail."""
    key, level = (task, schema, queue), _level(connection.savepoint_ids)
    batch = None
    for entry in connection.run_on_commit:  # (savepoint ids, callback, robust)
        sends = pending_sends(entry[1])
        if sends is None:
            continue
        same_level = _level(entry[0]) == level
        if join or once_per_transaction:
            for send in sends:
                if (send.task, send.schema, send.queue) == key and (once_per_transaction or same_level):
                    return send.kwargs
        if same_level:
            batch = sends
    if batch is not None:
        batch.append(Send(task, kwargs, schema, queue, inline))
        return kwargs
    pending = [Send(task, kwargs, schema, queue, inline)]

    def send_pending() -> None:
        send_now(pending)

    send_pending.kyoso_sends = pending  # type: ignore[attr-defined]  # found above by the next send
    transaction.on_commit(send_pending)
    return kwargs


def _level(savepoint_ids) -> set:
    """The savepoints whose rollback would discard a callback registered here. An atomic block without a savepoint
    of its own (savepoint=False) counts as None in Django's list; it cannot roll back alone (the whole transaction
    does), so it is no level of its own: a deal registration's signal, recorded in one, joins the registration's
    sends."""
    return {sid for sid in savepoint_ids if sid is not None}


def pending_sends(callback) -> list[Send] | None:
    """The sends a commit callback of send_after_commit holds (None for any other callback): the next send looks
    for them there, and tests read them."""
    return getattr(callback, "kyoso_sends", None)


def send_now(sends: list[Send]) -> None:
    """Send these tasks: one as it is, several as one sends_forward message; then run the inline ones here. A broker
    failure is logged, not raised: the transaction has committed already."""
    from prm.celery import app

    queued = [send for send in sends if send.inline is None]
    try:
        if len(queued) == 1:
            _send(app, queued[0])
        elif queued:
            _send(app, Send(FORWARD_TASK, {"sends": [send.message() for send in queued]}, "public",
                            settings.KYOSO_AFTER_COMMIT_QUEUE or None))
    except Exception:  # noqa: BLE001 — what was to be sent is covered by the periodic runs
        logger.exception("could not queue %s after commit; the periodic runs will cover them",
                         ", ".join(f"{send.task} ({send.schema})" for send in queued))
    for send in sends:
        if send.inline is not None:
            send.inline(send.kwargs)


def forward(messages: list[list]) -> int:
    """The worker's side of a sends_forward message: send each task it carries. Returns how many were sent."""
    from prm.celery import app

    sent = 0
    for task, kwargs, schema, queue in messages:
        try:
            _send(app, Send(task, kwargs, schema, queue))
            sent += 1
        except Exception:  # noqa: BLE001 — one that fails does not keep the others from going
            logger.exception("could not forward %s (%s); the periodic runs will cover it", task, schema)
    return sent


def _send(app, send: Send) -> None:
    # ignore_result: nobody reads what it returns, and a sender waiting for a result subscribes to its channel first
    # (a Redis round trip more in the request that commits).
    app.send_task(send.task, kwargs=send.kwargs, queue=send.queue, headers={"_schema_name": send.schema},
                  ignore_result=True)
