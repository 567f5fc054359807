"""Calendar files (RFC 5545) for study sessions, pure: one event, times in UTC, text escaped, lines folded."""

from __future__ import annotations

from datetime import datetime
from datetime import timezone as dt_timezone

FOLD_AT = 75  # octets per line, the line break not counted (RFC 5545 §3.1)


def escape_text(value: str) -> str:
    """A TEXT value (§3.3.11): backslash, semicolon and comma escaped, every line break as \\n."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")


def utc_stamp(moment: datetime) -> str:
    """A DATE-TIME in UTC form (§3.3.5), e.g. 20260901T050000Z; `moment` must be aware."""
    if moment.tzinfo is None:
        raise ValueError("an aware datetime is needed")
    return moment.astimezone(dt_timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def fold(line: str) -> str:
    """Split a content line into lines of at most 75 octets, each continuation starting with a space, never
    inside a UTF-8 character."""
    parts: list[str] = []
    current, size, limit = "", 0, FOLD_AT
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append(current)
            current, size, limit = "", 0, FOLD_AT - 1  # the leading space takes one octet
        current += char
        size += width
    parts.append(current)
    return "\r\n ".join(parts)


PRODUCT = "-//Partner portal//Study sessions//EN"


def event_calendar(*, uid: str, title: str, starts_at: datetime, ends_at: datetime, stamp: datetime,
                   description: str = "", location: str = "", url: str = "", product: str = PRODUCT) -> bytes:
    """A VCALENDAR with one VEVENT, as the bytes of an .ics file (UTF-8, CRLF line ends)."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{escape_text(product)}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
             "BEGIN:VEVENT", f"UID:{escape_text(uid)}", f"DTSTAMP:{utc_stamp(stamp)}", f"DTSTART:{utc_stamp(starts_at)}",
             f"DTEND:{utc_stamp(ends_at)}", f"SUMMARY:{escape_text(title)}"]
    if location:
        lines.append(f"LOCATION:{escape_text(location)}")
    if description:
        lines.append(f"DESCRIPTION:{escape_text(description)}")
    if url:
        lines.append(f"URL:{url}")
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return "".join(fold(line) + "\r\n" for line in lines).encode("utf-8")
