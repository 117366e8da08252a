"""Ties: the executive's ties register, editable (add a person, change a ring), and merge or split people."""

from __future__ import annotations

import streamlit as st

from dashboard import data, frame, store
from dashboard import format as fmt
from influence.errors import InfluenceError
from pipeline.ties import HANDLE_COLUMNS, TIE_RINGS

user = frame.user()
exec_id = frame.current_executive()
executive = data.executive(user, exec_id)

st.title("Ties", anchor=False)
st.caption(f"{fmt.md_text(executive['name'] if executive else exec_id)} · who they know, and in which ring. "
           "Everyone not listed here is digital-only. Changes are saved for the next model build.")

path = store.register_path(user, exec_id)
register = store.ties_frame(user, exec_id)
st.subheader("Ties register", anchor=False)
st.caption(f"{register.height} people · file {fmt.md_text(path) if path else 'not configured'}. Add a row to "
           "add a person; change the ring in place; several handles in one cell are separated by `;`.")
config = {
    "name": st.column_config.TextColumn("name", required=True),
    "ring": st.column_config.SelectboxColumn("ring", options=list(TIE_RINGS), required=True,
                                             help="team, organisation or met_in_person"),
    **{c: st.column_config.TextColumn(c) for c in HANDLE_COLUMNS},
    "since": st.column_config.TextColumn("since", help="YYYY-MM-DD"),
    "note": st.column_config.TextColumn("note"),
}
edited = st.data_editor(register, num_rows="dynamic", column_config=config, hide_index=True, width="stretch",
                        key=f"ties_editor_{exec_id}")
if st.button("Save the register", type="primary", icon=":material/save:", key="save_ties"):
    try:
        saved, n = store.save_ties(user, exec_id, edited.to_dicts())
    except InfluenceError as exc:
        st.error(fmt.md_text(str(exc)))
    else:
        st.success(f"Saved {n} ties to {fmt.md_text(saved)}. They count from the next model build "
                   "(`influence model`, or the next scheduled one).")
frame.downloads(edited, f"{exec_id}-ties", key="ties")

st.subheader("Merge or split people", anchor=False)
st.caption("When two accounts are one person (or one person was joined wrongly), say so here. The decision is kept "
           "in the state store, overrides the automatic rules and applies from the next model build.")
accounts = data.audience_accounts(user, exec_id)
keys = [f"{p}\t{a}" for p, a in zip(accounts["platform"].to_list(), accounts["account_id"].to_list(), strict=True)]
labels = {
    k: f"{r['display_name'] or '(no name)'} · {fmt.platform(r['platform'])} {r['handle'] or r['account_id']} · "
       f"{fmt.RING_LABELS.get(r['ring'], r['ring'])}"
    for k, r in zip(keys, accounts.iter_rows(named=True), strict=True)
}
merge_col, split_col = st.columns(2, gap="large")
with merge_col, st.form("merge"):
    st.markdown("**Merge: these two accounts are one person**")
    a = st.selectbox("First account", keys, format_func=labels.get, index=None, key="merge_a")
    b = st.selectbox("Second account", keys, format_func=labels.get, index=None, key="merge_b")
    note = st.text_input("Why", key="merge_note", placeholder="e.g. she confirmed both accounts are hers")
    if st.form_submit_button("Merge", icon=":material/merge:"):
        if not a or not b:
            st.error("Choose two accounts.")
        else:
            try:
                store.merge(user, exec_id, tuple(a.split("\t", 1)), tuple(b.split("\t", 1)), note)
            except InfluenceError as exc:
                st.error(fmt.md_text(str(exc)))
            else:
                st.success("Merge saved: it applies from the next model build.")
with split_col, st.form("split"):
    st.markdown("**Split: detach this account from its person**")
    one = st.selectbox("Account", keys, format_func=labels.get, index=None, key="split_a")
    note = st.text_input("Why", key="split_note", placeholder="e.g. two different people with the same name")
    if st.form_submit_button("Split", icon=":material/call_split:"):
        if not one:
            st.error("Choose an account.")
        else:
            try:
                store.split(user, exec_id, tuple(one.split("\t", 1)), note)
            except InfluenceError as exc:
                st.error(fmt.md_text(str(exc)))
            else:
                st.success("Split saved: it applies from the next model build.")

decisions = store.decisions(user, exec_id)
if decisions.height:
    st.dataframe(decisions, hide_index=True, width="stretch")
    st.caption("Manual decisions about the people around this executive, oldest first.")
