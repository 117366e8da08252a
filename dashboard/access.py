"""Who may see which executive: plain functions, callable without Streamlit.

The rules (README, "Dashboard"): an ``executive`` user sees only the executive they are bound to; a ``mentor``
sees the mentees the config lists for their mentor id; an ``admin`` sees everyone. ``dashboard/data.py`` calls
``require`` before every query about one executive, and every write goes through ``dashboard/store.py``, which
calls it too: hiding a page or a picker entry is a convenience, never the protection.
"""

from __future__ import annotations

from collections.abc import Iterable

from influence.users import User

EDIT_GOAL_ROLES = ("mentor", "admin")


class AccessDenied(PermissionError):
    """The user may not see this executive (or is not logged in)."""

    def __init__(self, user: User | None, exec_id: object) -> None:
        who = user.name if user else "nobody logged in"
        super().__init__(f"{who} may not see executive {exec_id!r}")
        self.user = user
        self.exec_id = exec_id


def visible_exec_ids(user: User | None, exec_ids: Iterable[str], mentees: Iterable[tuple[str, str]]) -> list[str]:
    """The executives ``user`` may see, in the order of ``exec_ids``; ``mentees`` is (mentor_id, exec_id) pairs."""
    exec_ids = list(exec_ids)
    if user is None:
        return []
    if user.role == "admin":
        return exec_ids
    if user.role == "executive":
        return [e for e in exec_ids if e == user.exec_id]
    if user.role == "mentor":
        mine = {e for m, e in mentees if m == user.mentor_id}
        return [e for e in exec_ids if e in mine]
    return []


def require(user: User | None, exec_id: object, visible: Iterable[str]) -> str:
    """``exec_id`` if ``user`` may see it; else AccessDenied (also for anything that is not a plain id)."""
    if user is None or not isinstance(exec_id, str) or exec_id not in set(visible):
        raise AccessDenied(user, exec_id)
    return exec_id


def can_edit_goals(user: User | None) -> bool:
    """Goals and review notes are the mentor's (and the admin's); the executive reads them."""
    return user is not None and user.role in EDIT_GOAL_ROLES


def is_mentor_view(user: User | None) -> bool:
    return user is not None and user.role in ("mentor", "admin")
