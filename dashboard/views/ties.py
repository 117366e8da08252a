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
name = executive["name"] if executive else exec_id

st.title("Ties", anchor=False)
st.caption(f"{fmt.md_text(name)} · who they know, and in which ring. "
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


def account_picker(label: str, key: str) -> tuple[str, str] | None:
    """A search box and the accounts around the executive it finds (by name, handle or id); the chosen account."""
    text = st.text_input(f"Find the {label.lower()}", key=f"{key}_find", placeholder="part of a name, handle or id")
    found = data.find_accounts(user, exec_id, text)
    options = [f"{p}\t{a}" for p, a in zip(found["platform"].to_list(), found["account_id"].to_list(), strict=True)]
    labels = {
        k: f"{r['display_name'] or '(no name)'} · {fmt.platform(r['platform'])} {r['handle'] or r['account_id']} · "
           f"{fmt.RING_LABELS.get(r['ring'], r['ring'])}"
        for k, r in zip(options, found.iter_rows(named=True), strict=True)
    }
    chosen = st.selectbox(label, options, format_func=labels.get, index=None, key=key,
                          placeholder="choose an account" if options else "no account found")
    if not options:
        st.caption(f"No account of the people around {fmt.md_text(name)} has “{fmt.md_text(text.strip())}” in its "
                   "name, handle or id." if text.strip() else "Nobody around this executive has an account yet.")
    elif found.height >= data.FOUND_LIMIT:
        st.caption(f"The first {data.FOUND_LIMIT} by name" + (" of those matching" if text.strip() else "")
                   + ": type part of a name, handle or id to find others.")
    if chosen is None:
        return None
    platform, account_id = chosen.split("\t", 1)
    return platform, account_id


merge_col, split_col = st.columns(2, gap="large")
with merge_col, st.container(border=True):
    st.markdown("**Merge: these two accounts are one person**")
    a = account_picker("First account", "merge_a")
    b = account_picker("Second account", "merge_b")
    note = st.text_input("Why", key="merge_note", placeholder="e.g. she confirmed both accounts are hers")
    if st.button("Merge", icon=":material/merge:", key="merge"):
        if not a or not b:
            st.error("Choose two accounts.")
        else:
            try:
                store.merge(user, exec_id, a, b, note)
            except InfluenceError as exc:
                st.error(fmt.md_text(str(exc)))
            else:
                st.success("Merge saved: it applies from the next model build.")
with split_col, st.container(border=True):
    st.markdown("**Split: detach this account from its person**")
    one = account_picker("Account", "split_a")
    note = st.text_input("Why", key="split_note", placeholder="e.g. two different people with the same name")
    if st.button("Split", icon=":material/call_split:", key="split"):
        if not one:
            st.error("Choose an account.")
        else:
            try:
                store.split(user, exec_id, one, note)
            except InfluenceError as exc:
                st.error(fmt.md_text(str(exc)))
            else:
                st.success("Split saved: it applies from the next model build.")

decisions = store.decisions(user, exec_id)
if decisions.height:
    st.dataframe(decisions, hide_index=True, width="stretch")
    st.caption("Manual decisions about the people around this executive, oldest first.")
