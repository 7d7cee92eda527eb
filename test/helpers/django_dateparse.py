"""Reference answers for test/dateparse.test.ts: what Django's parse_datetime and parse_date give
on this Python (run with Python 3.11, as BHTOM2). Reads a JSON list of strings on stdin and writes,
for each, {"datetime": …, "date": …} where each value is a list of fields
[year, month, day, hour, minute, second, microsecond, utc offset in µs or null], null ("not well
formatted") or "ValueError" ("well formatted but impossible").

The two functions below restate django/utils/dateparse.py (Django 4.x/5.x): the standard library's
fromisoformat first, then Django's patterns.
"""
import datetime
import json
import re
import sys

DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})$")
DATETIME = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})[T ](\d{1,2}):(\d{1,2})"
    r"(?::(\d{1,2})(?:[\.,](\d{1,6})\d{0,6})?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$"
)


def django_parse_date(text):
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        found = DATE.match(text)
        if found:
            return datetime.date(*(int(g) for g in found.groups()))
        return None


def django_parse_datetime(text):
    try:
        return datetime.datetime.fromisoformat(text)
    except ValueError:
        found = DATETIME.match(text)
        if not found:
            return None
        year, month, day, hour, minute, second, fraction, zone = found.groups()
        tzinfo = None
        if zone == "Z":
            tzinfo = datetime.timezone.utc
        elif zone is not None:
            minutes = 60 * int(zone[1:3]) + (int(zone[-2:]) if len(zone) > 3 else 0)
            tzinfo = datetime.timezone(datetime.timedelta(minutes=-minutes if zone[0] == "-" else minutes))
        return datetime.datetime(
            int(year), int(month), int(day), int(hour), int(minute),
            int(second) if second is not None else 0,
            int(fraction.ljust(6, "0")) if fraction is not None else 0,
            tzinfo=tzinfo,
        )


def fields(value):
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        offset = value.utcoffset()
        us = None if offset is None else (offset.days * 86400 + offset.seconds) * 1_000_000 + offset.microseconds
        return [value.year, value.month, value.day, value.hour, value.minute, value.second, value.microsecond, us]
    return [value.year, value.month, value.day, 0, 0, 0, 0, None]


def answer(parse, text):
    try:
        return fields(parse(text))
    except ValueError:
        return "ValueError"


texts = json.load(sys.stdin)
json.dump(
    [{"datetime": answer(django_parse_datetime, t), "date": answer(django_parse_date, t)} for t in texts],
    sys.stdout,
)
