"""The message lists, read with the SQL of `activities.selections`: the acting user's
conversations with their latest message, and the messages of one conversation."""

from activities.models import Message, MessageGroup, User
from activities.selections import Selection, authored

GROUPS, MESSAGES, USERS = (model._meta.db_table for model in (MessageGroup, Message, User))


def shaped(row):
    """A message group (the other person, the latest message) or a message (its sender)."""
    return authored(*row)


def inbox(user):
    """`user`'s conversations, each with the other person and the latest message."""
    sql = (
        f"SELECT g.uuid, o.display_name, o.handle, m.message, m.created_at FROM {GROUPS} g "
        f"INNER JOIN {USERS} o ON o.uuid = "
        "CASE WHEN g.first_user_id = %s THEN g.second_user_id ELSE g.first_user_id END "
        f"INNER JOIN {MESSAGES} m ON m.uuid = (SELECT l.uuid FROM {MESSAGES} l "
        "WHERE l.group_id = g.uuid ORDER BY l.created_at DESC, l.uuid DESC LIMIT 1) "
        "WHERE (g.first_user_id = %s OR g.second_user_id = %s)"
    )
    return Selection(sql, (user, user, user), {"created_at": "m.created_at"}, "g.uuid", shaped)


def conversation(user, other):
    """The messages between two users (keys as the database compares them)."""
    sql = (
        f"SELECT m.uuid, u.display_name, u.handle, m.message, m.created_at FROM {MESSAGES} m "
        f"INNER JOIN {USERS} u ON u.uuid = m.user_id WHERE m.group_id IN (SELECT g.uuid FROM "
        f"{GROUPS} g WHERE (g.first_user_id = %s AND g.second_user_id = %s) "
        "OR (g.first_user_id = %s AND g.second_user_id = %s))"
    )
    paged_by = {"created_at": "m.created_at"}
    return Selection(sql, (user, other, other, user), paged_by, "m.uuid", shaped)
