#!/usr/bin/env python3
"""Parse an .eml with Python's standard email package and print JSON (for the Swift mail tests)."""
import json
import sys
from email import policy
from email.header import decode_header, make_header
from email.parser import BytesParser

with open(sys.argv[1], "rb") as f:
    raw = f.read()
msg = BytesParser(policy=policy.default).parsebytes(raw)
# Headers through the RFC 2047 decoder of the compat32 API, which joins adjacent encoded words as the RFC says
# (the default policy's address parser leaves a space between them inside a display name).
legacy = BytesParser(policy=policy.compat32).parsebytes(raw, headersonly=True)


def header(name):
    value = legacy.get(name)
    return None if value is None else str(make_header(decode_header(value)))

parts = []
for part in msg.walk():
    if part.is_multipart():
        continue
    parts.append({
        "type": part.get_content_type(),
        "charset": part.get_content_charset(),
        "body": part.get_content(),
    })

print(json.dumps({
    "subject": header("subject"),
    "from": header("from"),
    "to": header("to"),
    "date": msg["date"] and str(msg["date"]),
    "message_id": msg["message-id"] and str(msg["message-id"]),
    "mime_version": msg["mime-version"] and str(msg["mime-version"]),
    "content_type": msg.get_content_type(),
    "parts": parts,
}, ensure_ascii=False))
