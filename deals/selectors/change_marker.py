"""A fingerprint of the deals tables, for caches of figures read from them."""

from __future__ import annotations


def change_marker_sql() -> str:
    """Scalar subqueries, comma-separated, for the select list of one fingerprint statement: their values change
    when a deal is registered or moves (every stage change, win and correction is a deal event). A cache of
    figures over several apps selects every owner's marker in one statement and keys on the row."""
    return """(SELECT max(id) FROM deals_dealregistration),
           (SELECT max(id) FROM deals_dealevent)"""
