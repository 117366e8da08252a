"""Plain sentences from the figures: the three questions of PRODUCT.md answered for one executive.

Pure functions from frames to Markdown-safe text (anything from the internet goes through `md_text`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl

from dashboard import format as fmt
from dashboard.data import WindowFigures

QUESTIONS = (
    "How valuable is networked leadership in my role right now?",
    "Which spheres do I reach, and which reach me?",
    "What does it take to lead my networked initiatives, and what moved my numbers this month?",
)


@dataclass(frozen=True)
class Month:
    start: date
    label: str
    new_people: int
    new_digital_only: int
    previous: int | None


def _month_before(month: date) -> date:
    return (month - timedelta(days=1)).replace(day=1)


def this_month(monthly: pl.DataFrame, as_of: date | None = None) -> Month | None:
    """New people in the month of ``as_of`` (the latest data) from data.new_people_monthly(), a month without any
    counting 0; when the data ends in the first week of a month, the month before, so a month of one day does
    not pass for "this month". Without ``as_of``, the latest month listed."""
    if monthly.is_empty():
        return None
    counts = {r["month"]: (int(r["new_people"]), int(r["new_digital_only"])) for r in monthly.iter_rows(named=True)}
    if as_of is None:
        month = max(counts)
    else:
        month = as_of.replace(day=1) if as_of.day >= 7 else _month_before(as_of.replace(day=1))
    new, digital = counts.get(month, (0, 0))
    before = _month_before(month)
    previous = counts.get(before, (0, 0))[0] if before >= min(counts) else None
    return Month(start=month, label=f"{month:%B %Y}", new_people=new, new_digital_only=digital, previous=previous)


def snippet(text: str | None, limit: int = 90) -> str:
    """A post's text shortened to one line, escaped for Markdown."""
    flat = " ".join(str(text or "").split())
    if len(flat) > limit:
        flat = flat[: limit - 1].rstrip() + "…"
    return fmt.md_text(flat)


def _value(now: WindowFigures, before: WindowFigures | None) -> str:
    share = fmt.percent(now.digital_share)
    text = (f"{share} of the {now.people:,} people who engaged in the {now.window_days} days to "
            f"{now.end_day:%d %b %Y} know the executive only digitally ({now.digital_only:,} people)")
    if before is not None and before.digital_share is not None and now.digital_share is not None:
        move = round(100 * (now.digital_share - before.digital_share))
        text += (f", {'up' if move > 0 else 'down'} {abs(move)} points on the window before" if move
                 else ", the same share as the window before")
    step_name = fmt.STEP_NAMES[now.step][0]
    text += f". That places them at step {now.step} of 4, {step_name}"
    text += (": most of their reach now travels through people they have never met." if now.step == 4 and
             (now.digital_share or 0) >= 0.5 else ".")
    return text


def _spheres(spheres: pl.DataFrame | None, influences: pl.DataFrame | None) -> str:
    if spheres is None:
        return ("Not built yet: the spheres model has not run on this warehouse, so the communities the executive "
                "reaches cannot be named.")
    if spheres.is_empty():
        return "No spheres were found among the people engaging: too few people engage yet."
    top = spheres.head(2).iter_rows(named=True)
    names = " and ".join(f"*{fmt.md_text(s['label'])}* ({s['people']:,} people, "
                         f"{fmt.percent(s['digital_only_share'])} digital-only)" for s in top)
    text = f"Their audience spans {spheres.height} sphere{'s' * (spheres.height != 1)}; the largest are {names}."
    if influences is not None and influences.height:
        placed = influences.filter(pl.col("sphere_id").is_not_null())
        if placed.height:
            counts = placed.group_by("sphere").len().sort(["len", "sphere"], descending=[True, False])
            first = counts.row(0, named=True)
            verb = "is" if first["len"] == 1 else "are"
            text += (f" Of the {influences.height} accounts they reshare, quote or answer, {first['len']} {verb} in "
                     f"*{fmt.md_text(first['sphere'])}*, the sphere that reaches them most")
            outside = influences.height - placed.height
            text += (f"; {outside} {'is' if outside == 1 else 'are'} in none of their audience's spheres." if outside
                     else ".")
        else:
            text += (f" None of the {influences.height} accounts they reshare, quote or answer belongs to their "
                     "audience's spheres: their influences come from elsewhere.")
    return text


def _moved(ladder: pl.DataFrame, month: Month | None, posts: pl.DataFrame) -> str:
    reason = str(ladder["reason"][-1]) if ladder.height else ""
    needs = reason.split(";", 1)[1].strip() if ";" in reason else ""
    text = f"Next: {fmt.md_text(needs)}." if needs else "They are at the top step: keep the digital-only share and the returning people."
    if month is not None:
        text += (f" In {month.label}, {month.new_people:,} {'person' if month.new_people == 1 else 'people'} "
                 "engaged for the first time "
                 f"({month.new_digital_only:,} of them digital-only)")
        if month.previous is not None:
            text += f", against {month.previous:,} the month before"
        text += "."
    if posts.height and int(posts["people"][0]) > 0:
        p = posts.row(0, named=True)
        text += (f" The post that drew the most people was “{snippet(p['text'])}” ({p['created_at']:%d %b}, "
                 f"{fmt.platform(p['platform'])}): {p['people']:,} people, {p['digital_only']:,} digital-only.")
    return text


def three_questions(now: WindowFigures, before: WindowFigures | None, ladder: pl.DataFrame, month: Month | None,
                    posts: pl.DataFrame, spheres: pl.DataFrame | None,
                    influences: pl.DataFrame | None) -> list[tuple[str, str]]:
    return [(QUESTIONS[0], _value(now, before)), (QUESTIONS[1], _spheres(spheres, influences)),
            (QUESTIONS[2], _moved(ladder, month, posts))]
