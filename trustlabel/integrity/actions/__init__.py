"""Every write of the integrity app; each module owns one part of it."""

from .members import EDITABLE, do_update_member, ensure_member

__all__ = ["EDITABLE", "do_update_member", "ensure_member"]
