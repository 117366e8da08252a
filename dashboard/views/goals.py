"""Goals and reviews: goals in the model's terms, progress against them, dated review notes with frozen figures."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial

import streamlit as st

from dashboard import access, data, frame, store
from dashboard import format as fmt
from dashboard.goals import METRICS, fmt_value, sentence
from influence.errors import InfluenceError

user = frame.user()
exec_id = frame.current_executive()
executive = data.executive(user, exec_id)
editor = access.can_edit_goals(user)

st.title("Goals and reviews", anchor=False)
st.caption(f"{fmt.md_text(executive['name'] if executive else exec_id)} · goals are set by the digital mentor in the "
           "figures the model computes; each review freezes the figures of its day.")



def saved(write: Callable[[], object], failed: str, *clear: str) -> bool:
    """Run a write to the state store; if it fails, say so (``failed``) and why, and keep what was typed (False).
    Once it succeeded, the named form fields are emptied for the next entry."""
    try:
        write()
    except InfluenceError as exc:
        st.error(fmt.md_text(f"{failed}: {exc}"))
        return False
    for key in clear:
        st.session_state.pop(key, None)
    return True


figures = data.goal_figures(user, exec_id)
st.subheader("Goals", anchor=False)
goals = store.goals(user, exec_id)
if not goals:
    st.caption("No goals yet." + (" Set the first one below." if editor else " Your mentor sets them."))
for g in goals:
    with st.container(border=True):
        left, right = st.columns([3, 1])
        left.markdown(f"**{fmt.md_text(sentence(g['metric'], g['target'], g['due']))}**")
        status = g["status"]
        icon = {"met": ":green[:material/check_circle:]", "on track": ":green[:material/trending_up:]",
                "off track": ":orange[:material/warning:]", "overdue": ":red[:material/error:]"}.get(
            status, ":gray[:material/help:]")
        right.markdown(f"{icon} {status}")
        if g["share_done"] is not None:
            st.progress(g["share_done"])
        expected = "" if g["expected"] is None else f"; on a straight path it would be {fmt_value(g['metric'], g['expected'])} today"
        st.caption(f"Now {fmt_value(g['metric'], g['current'])} (as of {figures['as_of']}), "
                   f"{fmt_value(g['metric'], g['start_value'])} when set on {g['set_at'][:10]} by "
                   f"{fmt.md_text(g['set_by'])}{expected}.")
        if (editor and st.button("Retire this goal", key=f"retire_{g['id']}", type="tertiary")
                and saved(partial(store.retire_goal, user, exec_id, g["id"]), "the goal was not retired")):
            st.rerun()

if editor:
    # (not cleared on submit: a goal or note that could not be saved stays in the form, beside the error;
    # cleared by hand once saved)
    with st.form("new_goal"):
        st.markdown("**New goal**")
        c1, c2, c3 = st.columns([2, 1, 1])
        metric = c1.selectbox("Figure", list(METRICS), format_func=lambda m: METRICS[m].label, key="goal_metric")
        target = c2.number_input("Target", min_value=0.0, value=40.0, step=1.0, key="goal_target",
                                 help="For a share, 0.5 means 50%.")
        due = c3.date_input("By", value=datetime.now(UTC).date() + timedelta(days=120), key="goal_due")
        if st.form_submit_button("Add goal", icon=":material/flag:") and saved(
                partial(store.add_goal, user, exec_id, metric, target, due), "the goal was not saved",
                "goal_metric", "goal_target", "goal_due"):
            st.rerun()

st.subheader("Reviews", anchor=False)
if editor:
    with st.form("new_review"):
        st.markdown("**Record a review**: today's figures are frozen with it")
        day = st.date_input("Review date", value=datetime.now(UTC).date(), key="review_date")
        note = st.text_area("Notes", key="review_note", placeholder="What we discussed, what to try next")
        if st.form_submit_button("Save the review", icon=":material/save:"):
            if not note.strip():
                st.error("Write a note first.")
            elif saved(partial(store.add_review, user, exec_id, day, note.strip()), "the review was not saved",
                       "review_note", "review_date"):
                st.rerun()

reviews = store.reviews(user, exec_id)
if not reviews:
    st.caption("No reviews yet.")
for i, r in enumerate(reviews):
    earlier = reviews[i + 1]["snapshot"]["figures"] if i + 1 < len(reviews) else None
    with st.container(border=True):
        st.markdown(f"**{r['review_date']}** · {fmt.md_text(r['author'])}")
        st.markdown(fmt.md_text(r["note"]))
        snap = r["snapshot"]["figures"]
        cells = []
        for key, metric in METRICS.items():
            now = snap.get(key)
            text = f"{metric.label}: {fmt_value(key, now)}"
            if earlier is not None and now is not None and earlier.get(key) is not None:
                delta = now - earlier[key]
                if delta:
                    text += f" ({'+' if delta > 0 else '−'}{fmt_value(key, abs(delta))} since the review before)"
            cells.append(text)
        st.caption(" · ".join(cells) + f". Frozen {r['snapshot']['frozen_at'][:16].replace('T', ' ')} UTC "
                   f"from data as of {snap.get('as_of')}.")
