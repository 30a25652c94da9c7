"""Serializers of the Cruddur API: one per resource, with the contract's error codes."""
