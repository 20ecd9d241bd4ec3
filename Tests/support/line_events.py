#!/usr/bin/env python3
"""Build LINE webhook request bodies for tests, signed as LINE signs them.

Every body is checked with the official SDK before it is returned:
linebot.v3.webhook.WebhookParser(secret).parse(body, signature) must give the
expected event classes (FollowEvent, UnfollowEvent, MessageEvent with
TextMessageContent, PostbackEvent, AccountLinkEvent) with the expected fields.

CLI (JSON in on stdin, JSON out on stdout; exit 1 + message on stderr on error):

  line_events.py < spec.json
    spec: {"secret": "...", "destination": "U<32 hex>",
           "events": [{"type": "follow", "user": "U..."},
                      {"type": "unfollow", "user": "U..."},
                      {"type": "message", "user": "U...", "text": "..."},
                      {"type": "message", "user": "U...", "image": true, "messageId": "..."},
                      {"type": "message", "user": "U...", "location": {"title": ..., "address": ...,
                                                                     "latitude": 13.7, "longitude": 100.5}},
                      {"type": "postback", "user": "U...", "data": "action=link"},
                      {"type": "accountLink", "user": "U...", "result": "ok", "nonce": "..."}],
           "redelivery": false, "event_ids": ["<fixed webhookEventId or null>", ...]}
    optional per event: "replyToken", "timestamp" (ms), "webhookEventId",
      "redelivery", "mode" ("active"|"standby"), "unblocked" (follow),
      "messageId" (message)
    out:  {"body": "<raw JSON text>", "body_base64": "<its UTF-8 bytes>",
           "signature": "<base64 HMAC-SHA256>",
           "events": [{"type": ..., "webhookEventId": ..., "replyToken": ...|null}]}

  line_events.py --sign --secret S < raw_body      prints the signature only
"""
import argparse
import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import sys
import time
import uuid

USER_ID_RE = re.compile(r"^U[0-9a-f]{32}$")
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ULID_RE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")
EVENT_TYPES = ("follow", "unfollow", "message", "postback", "accountLink")


class SpecError(ValueError):
    pass


def new_ulid(ms=None):
    """26-char ULID: 48-bit ms timestamp + 80 random bits, Crockford base32."""
    ms = int(time.time() * 1000) if ms is None else int(ms)
    value = (ms & ((1 << 48) - 1)) << 80 | int.from_bytes(os.urandom(10), "big")
    return "".join(CROCKFORD[(value >> (5 * i)) & 31] for i in range(25, -1, -1))


def sign(secret, body):
    """X-Line-Signature: base64(HMAC-SHA256(channel secret, raw body bytes))."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    return base64.b64encode(hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()).decode("ascii")


def _need(spec, key, kind=str):
    value = spec.get(key)
    if not isinstance(value, kind) or (kind is str and value == ""):
        raise SpecError("event %r needs a non-empty %s %r" % (spec.get("type"), kind.__name__, key))
    return value


def make_event(spec, event_id=None, redelivery=False, timestamp=None):
    """One webhook event object (dict) as LINE sends it."""
    if not isinstance(spec, dict):
        raise SpecError("each event must be an object")
    etype = spec.get("type")
    if etype not in EVENT_TYPES:
        raise SpecError("unsupported event type %r (supported: %s)" % (etype, ", ".join(EVENT_TYPES)))
    user = _need(spec, "user")
    if not USER_ID_RE.match(user):
        raise SpecError("user %r is not a LINE user ID (U + 32 lowercase hex)" % user)
    ts = spec.get("timestamp", timestamp)
    ts = int(time.time() * 1000) if ts is None else int(ts)
    event_id = spec.get("webhookEventId") or event_id or new_ulid(ts)
    if not ULID_RE.match(event_id):
        raise SpecError("webhookEventId %r is not a 26-char Crockford ULID" % event_id)
    event = {"type": etype}
    reply_token = spec.get("replyToken") or uuid.uuid4().hex
    if etype == "follow":
        event["replyToken"] = reply_token
        event["follow"] = {"isUnblocked": bool(spec.get("unblocked", False))}
    elif etype == "message":
        event["replyToken"] = reply_token
        mid = str(spec.get("messageId") or secrets.randbelow(9 * 10 ** 17) + 10 ** 17)
        if spec.get("image"):
            event["message"] = {"id": mid, "type": "image", "quoteToken": secrets.token_urlsafe(60),
                                "markAsReadToken": secrets.token_urlsafe(48),
                                "contentProvider": {"type": "line"}}
            if isinstance(spec.get("imageSet"), dict):
                event["message"]["imageSet"] = spec["imageSet"]
        elif isinstance(spec.get("location"), dict):
            loc = spec["location"]
            event["message"] = {"id": mid, "type": "location", "markAsReadToken": secrets.token_urlsafe(48),
                                "latitude": float(loc["latitude"]), "longitude": float(loc["longitude"])}
            for k in ("title", "address"):
                if loc.get(k):
                    event["message"][k] = loc[k]
        else:
            text = _need(spec, "text")
            event["message"] = {
                "id": mid,
                "type": "text",
                "quoteToken": secrets.token_urlsafe(60),
                "markAsReadToken": secrets.token_urlsafe(48),
                "text": text,
            }
    elif etype == "postback":
        event["replyToken"] = reply_token
        event["postback"] = {"data": _need(spec, "data")}
        if isinstance(spec.get("params"), dict):
            event["postback"]["params"] = spec["params"]
    elif etype == "accountLink":
        result = spec.get("result", "ok")
        if result not in ("ok", "failed"):
            raise SpecError("accountLink result must be 'ok' or 'failed'")
        if result == "ok":  # LINE omits the reply token when linking failed
            event["replyToken"] = reply_token
        event["link"] = {"result": result, "nonce": _need(spec, "nonce")}
    event.update({
        "mode": spec.get("mode", "active"),
        "timestamp": ts,
        "source": {"type": "user", "userId": user},
        "webhookEventId": event_id,
        "deliveryContext": {"isRedelivery": bool(spec.get("redelivery", redelivery))},
    })
    return event


def build_body(destination, event_specs, redelivery=False, event_ids=None):
    """Returns (raw body text, list of event dicts). Thai etc. stays UTF-8."""
    if not isinstance(destination, str) or not USER_ID_RE.match(destination):
        raise SpecError("destination must be the bot's user ID (U + 32 lowercase hex)")
    if not isinstance(event_specs, list):
        raise SpecError("events must be a list")
    event_ids = list(event_ids or [])
    now = int(time.time() * 1000)
    events = []
    for i, spec in enumerate(event_specs):
        fixed = event_ids[i] if i < len(event_ids) else None
        events.append(make_event(spec, event_id=fixed, redelivery=redelivery, timestamp=now))
    body = json.dumps({"destination": destination, "events": events},
                      ensure_ascii=False, separators=(",", ":"))
    return body, events


def verify_with_sdk(secret, body, signature, events):
    """Parse with the official SDK and check classes and fields; raises on mismatch."""
    from linebot.v3.webhook import WebhookParser
    from linebot.v3.webhooks import (AccountLinkEvent, FollowEvent, ImageMessageContent,
                                     LocationMessageContent, MessageEvent, PostbackEvent,
                                     TextMessageContent, UnfollowEvent)
    classes = {"follow": FollowEvent, "unfollow": UnfollowEvent, "message": MessageEvent,
               "postback": PostbackEvent, "accountLink": AccountLinkEvent}
    payload = WebhookParser(secret).parse(body, signature, as_payload=True)
    parsed = payload.events
    if payload.destination != json.loads(body)["destination"] or len(parsed) != len(events):
        raise AssertionError("SDK payload does not match the body")
    for want, got in zip(events, parsed):
        cls = classes[want["type"]]
        if type(got) is not cls:
            raise AssertionError("SDK parsed a %s event as %s" % (want["type"], type(got).__name__))
        checks = [
            (got.webhook_event_id, want["webhookEventId"]),
            (got.source.user_id, want["source"]["userId"]),
            (got.delivery_context.is_redelivery, want["deliveryContext"]["isRedelivery"]),
            (getattr(got, "reply_token", None), want.get("replyToken")),
        ]
        if cls is MessageEvent:
            kinds = {"text": TextMessageContent, "image": ImageMessageContent, "location": LocationMessageContent}
            if not isinstance(got.message, kinds[want["message"]["type"]]):
                raise AssertionError("SDK parsed the message as %s" % type(got.message).__name__)
            checks.append((got.message.id, want["message"]["id"]))
            if want["message"]["type"] == "text":
                checks.append((got.message.text, want["message"]["text"]))
            elif want["message"]["type"] == "location":
                checks.append(((got.message.latitude, got.message.longitude),
                               (want["message"]["latitude"], want["message"]["longitude"])))
        elif cls is PostbackEvent:
            checks.append((got.postback.data, want["postback"]["data"]))
        elif cls is AccountLinkEvent:
            checks.append(((got.link.result, got.link.nonce), (want["link"]["result"], want["link"]["nonce"])))
        elif cls is FollowEvent:
            checks.append((got.follow.is_unblocked, want["follow"]["isUnblocked"]))
        for g, w in checks:
            if g != w:
                raise AssertionError("SDK read %r where the body has %r" % (g, w))
    return parsed


def build(spec):
    """The CLI's work: spec dict in, result dict out (verified with the SDK)."""
    if not isinstance(spec, dict):
        raise SpecError("spec must be a JSON object")
    secret = spec.get("secret")
    if not isinstance(secret, str) or secret == "":
        raise SpecError("spec needs a non-empty 'secret'")
    body, events = build_body(spec.get("destination"), spec.get("events"),
                              bool(spec.get("redelivery", False)), spec.get("event_ids"))
    signature = sign(secret, body)
    verify_with_sdk(secret, body, signature, events)
    return {
        "body": body,
        "body_base64": base64.b64encode(body.encode("utf-8")).decode("ascii"),
        "signature": signature,
        "events": [{"type": e["type"], "webhookEventId": e["webhookEventId"],
                    "replyToken": e.get("replyToken")} for e in events],
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sign", action="store_true", help="stdin is a raw body: print its signature")
    ap.add_argument("--secret", help="channel secret (with --sign)")
    args = ap.parse_args()
    if args.sign:
        if not args.secret:
            ap.error("--sign needs --secret")
        print(sign(args.secret, sys.stdin.buffer.read()), flush=True)
        return 0
    try:
        result = build(json.loads(sys.stdin.buffer.read().decode("utf-8")))
    except (ValueError, AssertionError) as exc:  # SpecError, JSON errors, SDK mismatches
        print("line_events: %s" % exc, file=sys.stderr)
        return 1
    sys.stdout.buffer.write(json.dumps(result, ensure_ascii=False).encode("utf-8") + b"\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
