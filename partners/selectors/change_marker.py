"""A fingerprint of the partners tables, for caches of figures read from them."""

from __future__ import annotations


def change_marker_sql() -> str:
    """Scalar subqueries, comma-separated, for the select list of one fingerprint statement: their values change
    when a partner is added, edited or deleted, changes stage, or gains a contact or an agreement. A cache of
    figures over several apps selects every owner's marker in one statement and keys on the row."""
    return """(SELECT max(id) FROM partners_partnerevent),
           (SELECT max(updated_at) FROM partners_partner),
           (SELECT count(*) FROM partners_partner),
           (SELECT max(id) FROM partners_contact),
           (SELECT max(id) FROM partners_agreement)"""
