"""The activity lists and the one-activity page, read with the SQL of `activities.selections`.

Every list is a page of activities in one query, then their replies in one more: for each
activity on the page, the oldest replies it shows, up to REPLIES_PER_ACTIVITY, each branch of a
UNION ALL stopping at its limit on an index. The cost of a page follows its size, not the table's.

The replies an activity shows: for a top-level activity, its whole thread (replies to replies
included, each naming what it answers in `reply_to_activity_uuid`); for a reply, the replies that
answer it.
"""

from django.conf import settings
from django.db import connection

from activities.models import Activity, User
from activities.selections import Selection, authored, db_uuid, fetch, iso_time, text_uuid

ACTIVITIES, USERS = Activity._meta.db_table, User._meta.db_table
COLUMNS = (
    "a.uuid, u.display_name, u.handle, a.message, a.created_at, a.expires_at, a.likes_count, "
    "a.replies_count, a.reposts_count, a.reply_to_id"
)
FROM = f"FROM {ACTIVITIES} a INNER JOIN {USERS} u ON u.uuid = a.user_id"
SELECT = f"SELECT {COLUMNS} {FROM}"
PAGED_BY = {"created_at": "a.created_at"}


def shaped(row):
    """An activity as the contract shows it, without its replies."""
    activity = authored(*row[:5])
    activity["expires_at"] = iso_time(row[5])
    activity["likes_count"], activity["replies_count"], activity["reposts_count"] = row[6:9]
    activity["reply_to_activity_uuid"] = text_uuid(row[9])
    return activity


def selection(where, *params):
    return Selection(f"{SELECT} WHERE {where}", params, PAGED_BY, "a.uuid", shaped)


def home():
    """Top-level activities of everyone."""
    return selection("a.reply_to_id IS NULL")


def by_user(user):
    """One user's top-level activities (`user` as the database compares its key)."""
    return selection("a.reply_to_id IS NULL AND a.user_id = %s", user)


def search(term):
    """Activities whose message contains `term`, case-insensitively as the ORM's icontains."""
    column = connection.ops.lookup_cast("icontains", "TextField") % "a.message"
    condition = connection.operators["icontains"] % "%s"
    return selection(f"{column} {condition}", f"%{connection.ops.prep_for_like_query(term)}%")


def notifications(user):
    """Replies by others to `user`'s activities."""
    return selection("a.reply_to_user_id = %s AND a.user_id <> %s", user, user)


def replying_column(is_reply):
    """The column that selects the replies an activity shows: a thread's, or a reply's answers."""
    return "a.reply_to_id" if is_reply else "a.thread_id"


def replies_shown(key):
    """The replies the activity with this key shows, or None when there is no such activity."""
    found = fetch(f"SELECT reply_to_id FROM {ACTIVITIES} WHERE uuid = %s", (key,))
    if not found:
        return None
    return selection(f"{replying_column(found[0][0] is not None)} = %s", key)


def one(key):
    """The activity with this primary key (as the database compares it) and its replies, or None."""
    page = selection("a.uuid = %s", key)[0:1]
    return with_replies(page)[0] if page else None


def with_replies(page):
    """`page` (dicts of `shaped`) with each activity's `replies`, read in one query."""
    if not page:
        return page
    for activity in page:
        activity["replies"] = []
    for number, *row in fetch(*replies_query(page, settings.CRUDDUR["REPLIES_PER_ACTIVITY"])):
        page[number]["replies"].append(shaped(row))
    for activity in page:
        # In order already as the databases run it; an ORDER BY over the union cost SQLite more
        # than the whole page query, and times and uuids as text sort as the columns do.
        activity["replies"].sort(key=oldest_first)
    return page


def replies_query(page, limit):
    """The SQL and parameters that read, for each activity of `page` (by its number there), the
    oldest `limit` replies it shows. Each activity's replies stop at the limit on an index: on
    PostgreSQL in a LATERAL join over arrays of keys (one short plan for any page), on SQLite,
    which has no LATERAL, in a UNION ALL with a branch per activity."""
    groups = {"a.thread_id": ([], []), "a.reply_to_id": ([], [])}
    for number, activity in enumerate(page):
        numbers, keys = groups[replying_column(activity["reply_to_activity_uuid"] is not None)]
        numbers.append(number)
        keys.append(db_uuid(activity["uuid"]))
    parts, params = [], []
    for column, (numbers, keys) in groups.items():
        if connection.vendor == "postgresql" and keys:
            parts.append(
                f"SELECT p.n, {COLUMNS} FROM unnest(%s::int[], %s::uuid[]) AS p(n, id) "
                f"CROSS JOIN LATERAL (SELECT * FROM {ACTIVITIES} a WHERE {column} = p.id "
                f"ORDER BY a.created_at, a.uuid LIMIT %s) a INNER JOIN {USERS} u "
                "ON u.uuid = a.user_id"
            )
            params += (numbers, keys, limit)
            continue
        for number, key in zip(numbers, keys, strict=True):
            parts.append(
                f"SELECT * FROM (SELECT {number} AS n, {COLUMNS} {FROM} WHERE {column} = %s "
                f"ORDER BY a.created_at, a.uuid LIMIT %s) AS r{number}"
            )
            params += (key, limit)
    return " UNION ALL ".join(parts), params


def oldest_first(activity):
    return activity["created_at"], activity["uuid"]
