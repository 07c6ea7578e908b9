"""Who is acting and under which request id: set by middleware, CLI commands and tasks."""

from __future__ import annotations

import contextvars
import uuid
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    user: object | None = None
    label: str = ""
    request_id: str = ""
    ip: str | None = None
    # The id this server gave the request; request_id is the client's X-Request-ID instead
    # when it sent a well-formed one (the change log and the response carry that one).
    server_request_id: str = ""


_current: contextvars.ContextVar[Actor] = contextvars.ContextVar(
    "sqm_actor",
    default=Actor(),  # noqa: B039 - a frozen dataclass
)


def current() -> Actor:
    return _current.get()


@contextmanager
def acting_as(
    user=None,
    label: str = "",
    request_id: str | None = None,
    ip: str | None = None,
    server_request_id: str | None = None,
):
    """Attribute every change and audit entry in the block to USER (or LABEL, e.g. `cli`).

    Inside a request the request ids and address carry over, so a service called by a view
    logs its changes under the request's X-Request-ID.
    """
    outer = _current.get()
    own_id = server_request_id or outer.server_request_id or uuid.uuid4().hex
    actor = Actor(
        user=user,
        label=label or (getattr(user, "username", "") if user else ""),
        request_id=request_id or outer.request_id or own_id,
        ip=ip or outer.ip,
        server_request_id=own_id,
    )
    token = _current.set(actor)
    try:
        yield actor
    finally:
        _current.reset(token)
