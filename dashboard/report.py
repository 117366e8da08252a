"""A self-contained HTML report for one executive and period: figures, sentences, charts as inline SVG.

No script, no external file, no network: it opens offline in any browser and prints well. Every piece of text
is HTML-escaped (post text and names come from the internet). Built from data.py and store.py calls only, so
the same access rules apply.
"""

from __future__ import annotations

import html
from datetime import UTC, date, datetime

import polars as pl

from dashboard import data, narrative, store
from dashboard import format as fmt
from dashboard.charts import RING_COLOURS, RING_ORDER
from dashboard.frame import Filters
from dashboard.goals import sentence
from influence.users import User

W, H, PAD = 720, 240, 36


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def svg_stacked_bars(reach: pl.DataFrame, title: str) -> str:
    """Weekly engagers stacked by ring as an SVG (the same figure as the Overview's chart)."""
    weeks = sorted(set(reach["week"].to_list()))
    if not weeks:
        return "<p>No weeks in this period.</p>"
    by = {(r["week"], r["ring"]): int(r["engagers"] or 0) for r in reach.iter_rows(named=True)}
    totals = [sum(by.get((w, ring), 0) for ring in RING_ORDER) for w in weeks]
    top = max(max(totals), 1)
    bw = (W - 2 * PAD) / len(weeks)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H + 40}" role="img" '
             f'aria-label="{_e(title)}"><title>{_e(title)}</title>',
             f'<line x1="{PAD}" y1="{H}" x2="{W - PAD}" y2="{H}" stroke="#999"/>',
             f'<text x="{PAD - 4}" y="{PAD}" font-size="10" text-anchor="end">{top}</text>',
             f'<text x="{PAD - 4}" y="{H}" font-size="10" text-anchor="end">0</text>']
    for i, w in enumerate(weeks):
        y = H
        for ring, colour in zip(RING_ORDER, RING_COLOURS, strict=True):
            v = by.get((w, ring), 0)
            h = (H - PAD) * v / top
            if h:
                parts.append(f'<rect x="{PAD + i * bw:.1f}" y="{y - h:.1f}" width="{max(bw - 1, 0.5):.1f}" '
                             f'height="{h:.1f}" fill="{colour}"><title>{_e(w)} {_e(fmt.RING_LABELS[ring])}: '
                             f'{v}</title></rect>')
            y -= h
    for i in (0, len(weeks) - 1):
        anchor = "start" if i == 0 else "end"
        x = PAD + i * bw + (0 if i == 0 else bw)
        parts.append(f'<text x="{x:.1f}" y="{H + 14}" font-size="10" text-anchor="{anchor}">'
                     f'{weeks[i]:%d %b %Y}</text>')
    lx = PAD
    for ring, colour in zip(RING_ORDER, RING_COLOURS, strict=True):
        parts.append(f'<rect x="{lx}" y="{H + 24}" width="10" height="10" fill="{colour}"/>'
                     f'<text x="{lx + 14}" y="{H + 33}" font-size="11">{_e(fmt.RING_LABELS[ring])}</text>')
        lx += 130
    parts.append("</svg>")
    return "".join(parts)


def svg_line(frame: pl.DataFrame, x: str, y: str, title: str, colour: str = RING_COLOURS[3]) -> str:
    rows = [(r[x], r[y]) for r in frame.iter_rows(named=True) if r[y] is not None]
    if len(rows) < 2:
        return "<p>Not enough data in this period.</p>"
    lo, hi = min(v for _, v in rows), max(v for _, v in rows)
    span = (hi - lo) or 1
    step = (W - 2 * PAD) / (len(rows) - 1)
    pts = " ".join(f"{PAD + i * step:.1f},{H - (H - PAD) * (v - lo) / span:.1f}" for i, (_, v) in enumerate(rows))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H + 20}" role="img" aria-label="{_e(title)}">'
            f'<title>{_e(title)}</title><line x1="{PAD}" y1="{H}" x2="{W - PAD}" y2="{H}" stroke="#999"/>'
            f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{pts}"/>'
            f'<text x="{PAD - 4}" y="{PAD}" font-size="10" text-anchor="end">{_e(f"{hi:,.0f}")}</text>'
            f'<text x="{PAD - 4}" y="{H}" font-size="10" text-anchor="end">{_e(f"{lo:,.0f}")}</text>'
            f'<text x="{PAD}" y="{H + 14}" font-size="10">{_e(f"{rows[0][0]:%d %b %Y}")}</text>'
            f'<text x="{W - PAD}" y="{H + 14}" font-size="10" text-anchor="end">{_e(f"{rows[-1][0]:%d %b %Y}")}</text>'
            "</svg>")


CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:800px;margin:2em auto;color:#222;
line-height:1.45;padding:0 1em}h1{margin-bottom:0}.sub{color:#666;margin-top:.2em}
.figs{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));gap:.6em;margin:1em 0}
.fig{border:1px solid #ddd;border-radius:6px;padding:.5em .7em}.fig b{display:block;font-size:1.5em}
.fig span{color:#666;font-size:.85em}.cap{color:#666;font-size:.85em;margin-top:-.3em}
table{border-collapse:collapse;width:100%;font-size:.9em}td,th{border-bottom:1px solid #eee;padding:.3em;text-align:left}
svg{width:100%;height:auto}.q{border-left:3px solid #3f6fa8;padding-left:.8em;margin:.8em 0}
"""


def build(user: User | None, exec_id: str, filters: Filters) -> str:
    """The report as one HTML document (str)."""
    executive = data.executive(user, exec_id)
    name = executive["name"] if executive else exec_id
    head = data.headline(user, exec_id)
    ladder = data.ladder(user, exec_id)
    reach = data.weekly_reach(user, exec_id, filters.platform_subset)
    since = filters.since(reach["week"].max() if reach.height else None)
    if since:
        reach = reach.filter(pl.col("week") >= since)
    cumulative = data.cumulative_digital(user, exec_id)
    if since:
        cumulative = cumulative.filter(pl.col("week") >= since)
    month = narrative.this_month(data.new_people_monthly(user, exec_id), head.current.end_day if head else None)
    posts = data.top_posts(user, exec_id, since, list(filters.platforms))
    built = data.built_at()
    built_text = f"{built.astimezone(UTC):%d %b %Y %H:%M} UTC" if built else "(unknown)"
    out = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{_e(name)}: influence report"
           f"</title><meta name='viewport' content='width=device-width'><style>{CSS}</style></head><body>",
           f"<h1>{_e(name)}</h1><p class='sub'>Influence report · {_e(filters.describe())} · generated "
           f"{datetime.now(UTC):%d %b %Y %H:%M} UTC from the warehouse built {_e(built_text)}</p>"]
    if head is None:
        out.append("<p>Nothing observed for this executive yet.</p></body></html>")
        return "".join(out)
    now, before = head.current, head.previous
    figs = [("People reached", fmt.count(now.people)), ("Digital-only people", fmt.count(now.digital_only)),
            ("Digital-only share", fmt.percent(now.digital_share)), ("New people", fmt.count(now.new_people)),
            ("Ladder step", f"{now.step} of 4")]
    out.append(f"<p>Headline figures for the {now.window_days} days to {now.end_day:%d %b %Y}, all platforms.</p>"
               "<div class='figs'>" + "".join(f"<div class='fig'><b>{_e(v)}</b><span>{_e(k)}</span></div>"
                                             for k, v in figs) + "</div>")
    out.append(f"<p><i>{_e(ladder['reason'][-1])}</i></p>")
    spheres = data.spheres(user, exec_id) if data.has_marts("spheres") else None
    influences = data.influences(user, exec_id) if data.has_marts("influences", "spheres") else None
    for q, a in narrative.three_questions(now, before, ladder, month, posts, spheres, influences):
        out.append(f"<div class='q'><b>{_e(q)}</b><br>{_e(a.replace(chr(92), '').replace('*', ''))}</div>")
    out.append("<h2>Weekly engagers by ring</h2>" + svg_stacked_bars(reach, "Weekly engagers by ring"))
    out.append("<p class='cap'>Distinct people engaging each week, stacked by relationship ring; orange is "
               "digital-only.</p>")
    out.append("<h2>Digital-only people reached so far</h2>"
               + svg_line(cumulative, "week", "digital_only_people", "Digital-only people reached so far"))
    out.append("<p class='cap'>Running total of digital-only people who have engaged at least once.</p>")
    out.append("<h2>Posts that drew the most people</h2><table><tr><th>posted</th><th>platform</th><th>post</th>"
               "<th>people</th><th>digital-only</th><th>likes</th></tr>")
    for p in posts.head(10).iter_rows(named=True):
        link = p["url"] if isinstance(p["url"], str) and p["url"].startswith(("https://", "http://")) else None
        text = _e(fmt.one_line(p["text"], 100))
        cell = f"<a href='{_e(link)}' rel='noopener noreferrer'>{text}</a>" if link else text
        out.append(f"<tr><td>{p['created_at']:%Y-%m-%d}</td><td>{_e(fmt.platform(p['platform']))}</td><td>{cell}</td>"
                   f"<td>{p['people']}</td><td>{p['digital_only']}</td>"
                   f"<td>{_e(fmt.count_on(p['platform'], p['like_count']))}</td></tr>")
    out.append("</table>")
    goals = store.goals(user, exec_id)
    if goals:
        out.append("<h2>Goals</h2><ul>")
        for g in goals:
            out.append(f"<li>{_e(sentence(g['metric'], g['target'], g['due']))}: <b>{_e(g['status'])}</b></li>")
        out.append("</ul>")
    reviews = store.reviews(user, exec_id)
    if reviews:
        out.append("<h2>Reviews</h2>")
        for r in reviews[:5]:
            out.append(f"<p><b>{_e(r['review_date'])}</b> · {_e(r['author'])}<br>{_e(r['note'])}</p>")
    out.append("</body></html>")
    return "".join(out)


def file_name(exec_id: str, filters: Filters, today: date | None = None) -> str:
    return f"influence-{exec_id}-{filters.period}-{(today or datetime.now(UTC).date()):%Y%m%d}.html"
