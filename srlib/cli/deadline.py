"""``--stop-by``: a wall-clock time after which a long command starts no further unit of work.

A background campaign is stopped at the end of a working period; a unit (one ablation or league
training) stopped half-way is lost unless its checkpoint is kept. With ``--stop-by 14:05`` a
command starts a unit only when its estimated wall time ends before 14:05 (UTC), so that it stops
on a unit boundary and everything it trained is on disk.
"""
from __future__ import annotations

import datetime as dt

from ..errors import InvalidValueError

__all__ = ["parse_stop_by", "seconds_left", "fits"]

#: Estimated wall time is multiplied by this before it is compared with the time left.
MARGIN = 1.15


def parse_stop_by(text: str, now: dt.datetime | None = None) -> dt.datetime:
    """``'HH:MM'`` (UTC, the next such time from ``now``) or an ISO date-time -> an aware UTC datetime."""
    now = now or dt.datetime.now(dt.timezone.utc)
    value = str(text).strip()
    try:
        if len(value) <= 5 and ":" in value:
            hours, minutes = (int(v) for v in value.split(":"))
            when = now.replace(hour=hours, minute=minutes, second=0, microsecond=0)
            return when if when > now else when + dt.timedelta(days=1)
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        raise InvalidValueError(f"--stop-by {text}: expected HH:MM (UTC) or an ISO date-time such as "
                                "2026-12-06T14:05") from None
    return when.replace(tzinfo=dt.timezone.utc) if when.tzinfo is None else when.astimezone(dt.timezone.utc)


def seconds_left(deadline: dt.datetime | None, now: dt.datetime | None = None) -> float:
    """Seconds from ``now`` to ``deadline`` (infinite without one)."""
    if deadline is None:
        return float("inf")
    return (deadline - (now or dt.datetime.now(dt.timezone.utc))).total_seconds()


def fits(estimate_s: float, deadline: dt.datetime | None, now: dt.datetime | None = None) -> bool:
    """Whether a unit estimated at ``estimate_s`` wall seconds (times :data:`MARGIN`) ends before ``deadline``."""
    return estimate_s * MARGIN <= seconds_left(deadline, now)
