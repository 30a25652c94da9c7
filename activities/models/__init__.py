"""The Cruddur data model: users, activities (with replies) and conversations of messages."""

from activities.models.activity import Activity
from activities.models.message import Message, MessageGroup
from activities.models.user import User

__all__ = ["Activity", "Message", "MessageGroup", "User"]
