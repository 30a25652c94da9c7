"""The Cruddur API: users, activities with their replies, and direct messages."""
