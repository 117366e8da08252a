"""Goals in the model's terms and how far along they are: pure functions, no Streamlit, no storage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any


@dataclass(frozen=True)
class Metric:
    key: str
    label: str          # what the figure is, for a select box
    unit: str           # how a target reads: "40 digital-only engagers a month"
    share: bool = False


METRICS = {m.key: m for m in (
    Metric("digital_only_30d", "Digital-only engagers in 30 days", "digital-only engagers a month"),
    Metric("digital_share_90d", "Digital-only share over 90 days", "of engagers digital-only over 90 days", share=True),
    Metric("people_90d", "People reached over 90 days", "people reached over 90 days"),
    Metric("returning_digital_90d", "Returning digital-only engagers (90 days)",
           "returning digital-only engagers over 90 days"),
    Metric("new_people_30d", "New people in 30 days", "new people a month"),
    Metric("step", "Ladder step", "on the ladder (step)"),
)}


def fmt_value(metric: str, value: float | None) -> str:
    if value is None:
        return "not available"
    m = METRICS.get(metric)
    if m and m.share:
        return f"{round(100 * value)}%"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def sentence(metric: str, target: float, due: str | date) -> str:
    """E.g. "40 digital-only engagers a month by 2027-03-31"."""
    m = METRICS.get(metric)
    if m is None:
        return f"{metric} {target:g} by {due}"
    if metric == "step":
        return f"step {target:g} on the ladder by {due}"
    return f"{fmt_value(metric, target)} {m.unit} by {due}"


def _day(value: str | date | datetime) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def progress(goal: dict[str, Any], current: float | None, today: date) -> dict[str, Any]:
    """Where a goal stands: current value, where a straight path from the start would be today, on track or not.

    On track means at or above that path (a goal met is on track); no current figure means "not available".
    """
    target, start = float(goal["target"]), goal.get("start_value")
    set_on, due = _day(goal["set_at"]), _day(goal["due"])
    if current is None:
        return {"current": None, "expected": None, "on_track": None, "met": False, "share_done": None,
                "status": "not available"}
    begin = float(start) if start is not None else 0.0
    span = max((due - set_on).days, 1)
    elapsed = min(max((today - set_on).days, 0), span)
    expected = begin + (target - begin) * elapsed / span
    met = current >= target
    on_track = met or current >= expected
    done = None if target == begin else max(0.0, min(1.0, (current - begin) / (target - begin)))
    status = "met" if met else ("on track" if on_track else ("overdue" if today > due else "off track"))
    return {"current": current, "expected": expected, "on_track": on_track, "met": met, "share_done": done,
            "status": status}


STUCK_WEEKS = 13
QUIET_DAYS = 30


def stuck_flags(row: dict[str, Any], goal_statuses: list[str]) -> list[str]:
    """Why a mentee may be stuck, from a data.cohort() row and their goals' statuses (empty when all is well)."""
    flags = []
    as_of = row.get("as_of")
    if as_of is None:
        return ["nothing observed yet"]
    end = _day(as_of)
    since = row.get("step_since")
    if row.get("step") is not None and row["step"] < 4 and since is not None and (end - _day(since)).days >= 7 * STUCK_WEEKS:
        flags.append(f"step {row['step']} since {_day(since):%d %b %Y}")
    prev = row.get("prev_digital_only")
    if prev is not None and row.get("digital_only") is not None and row["digital_only"] < prev:
        flags.append("digital-only reach falling")
    last_post = row.get("last_post")
    if last_post is None or (end + timedelta(days=6) - _day(last_post)).days > QUIET_DAYS:
        flags.append(f"no post in {QUIET_DAYS} days")
    off = sum(s in ("off track", "overdue") for s in goal_statuses)
    if off:
        flags.append(f"{off} goal{'s' * (off != 1)} off track")
    return flags
