#!/usr/bin/env python3
"""Local LINE-compatible Messaging API server for tests (aiohttp).

Behaves like https://api.line.me for the calls the app makes, validating
request bodies with the official SDK models (line-bot-sdk v3). Prints
"READY <port>" once listening and runs until SIGTERM/SIGINT.

  line_server.py --host 127.0.0.1 --port P --token TOKEN [--token TOKEN2 ...]
                 [--record FILE] [--alt-text-max N]

LINE endpoints (all need "Authorization: Bearer <one of --token>", else 401):
  POST /v2/bot/message/push            X-Line-Retry-Key (UUID) required here
  POST /v2/bot/message/reply           X-Line-Retry-Key not allowed (as LINE)
  POST /v2/bot/user/{userId}/linkToken
  GET  /v2/bot/info
  GET  /v2/bot/message/{messageId}/content   (LINE_DATA_BASE_URL's endpoint: bytes set by /_test/content)
Test control (no auth):
  GET  /_test/requests      every API request, in order
  GET  /_test/delivered     accepted pushes and replies only
  GET  /_test/link-tokens   {linkToken: userId}
  POST /_test/script        {"push":[{"status":500},...], "reply":[...], "hang_seconds":N}
  POST /_test/content       {"messageId": "...", "base64": "..."} or {"messageId": "...", "size": N}
                            (optional "delay": seconds before the answer; "redirect": an address to send to)
                            (N bytes: a JPEG start, then filler) : what the content endpoint serves;
                            messageId "*" serves every id not set on its own
  POST /_test/reset         forget everything (tokens and options stay)
"""
import argparse
import asyncio
import base64
import hashlib
import json
import re
import secrets
import signal
import sys
import time
import uuid

from aiohttp import web
from linebot.v3.messaging.models import (
    FlexMessage,
    Message,
    PushMessageRequest,
    ReplyMessageRequest,
    TextMessage,
)

USER_ID_RE = re.compile(r"^U[0-9a-f]{32}$")
UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
TEXT_MAX = 5000  # LINE counts UTF-16 code units

AUTH_FAILED = "Authentication failed. Confirm that the access token in the authorization header is valid."
DEFAULT_MESSAGES = {
    400: "The request body has 1 error(s)",
    401: AUTH_FAILED,
    403: "The bot does not have permission to perform this operation.",
    404: "Not found",
    409: "The retry key is already accepted",
    429: "The API rate limit has been exceeded. Try again later.",
    500: "Internal server error",
    502: "Bad gateway",
    503: "Service unavailable",
}


def _utf16_len(s):
    return len(s.encode("utf-16-le")) // 2


def _sdk_error_text(exc):
    # pydantic errors are multi-line; keep the useful part on one line.
    return " ".join(str(exc).split())[:300]


class Invalid(Exception):
    """Body validation failure: details = [(property, message), ...]."""

    def __init__(self, details):
        super().__init__(details)
        self.details = details


class State:
    def __init__(self, tokens, record_path, alt_text_max):
        self.tokens = set(tokens)
        self.alt_text_max = alt_text_max
        self.record = open(record_path, "a", encoding="utf-8") if record_path else None
        self.reset()

    def reset(self):
        self.requests = []        # every API request (not /_test)
        self.delivered = []       # accepted pushes and replies
        self.link_tokens = {}     # linkToken -> userId
        self.retry_keys = {}      # normalized key -> (request_id, sentMessages)
        self.used_reply_tokens = set()
        self.contents = {}        # messageId -> bytes (or a redirect's address)
        self.content_delay = {}   # messageId -> seconds before the answer
        self.script = {"push": [], "reply": []}
        self.hang_seconds = 0.0

    def log(self, entry):
        self.requests.append(entry)
        if self.record:
            self.record.write(json.dumps(entry, ensure_ascii=False) + "\n")
            self.record.flush()


# ---------------------------------------------------------------- validation

# LINE's limits on quick replies (counted in UTF-16 units, like text): 13 items, a label of 20, postback data of 300,
# a displayText or message text of 300. The SDK's models do not check lengths; the real API answers 400.
QUICK_REPLY_LIMITS = {"label": 20, "data": 300, "displayText": 300, "text": 300}


def _quick_reply_errors(quick, prop):
    if quick is None:
        return []
    items = quick.get("items") if isinstance(quick, dict) else None
    if not isinstance(items, list) or not 1 <= len(items) <= 13:
        return [(prop + ".items", "Size must be between 1 and 13")]
    errors = []
    for j, item in enumerate(items):
        action = item.get("action") if isinstance(item, dict) else None
        if not isinstance(action, dict):
            errors.append(("%s.items[%d].action" % (prop, j), "May not be empty"))
            continue
        for key, limit in QUICK_REPLY_LIMITS.items():
            value = action.get(key)
            if isinstance(value, str) and _utf16_len(value) > limit:
                errors.append(("%s.items[%d].action.%s" % (prop, j, key), "Length must be between 0 and %d" % limit))
        if action.get("type") in ("postback", "message", "camera", "cameraRoll", "location") and not action.get("label"):
            errors.append(("%s.items[%d].action.label" % (prop, j), "May not be empty"))
    return errors


def _validate_messages(messages, alt_text_max):
    if not isinstance(messages, list):
        raise Invalid([("messages", "Must be an array")])
    if not 1 <= len(messages) <= 5:
        raise Invalid([("messages", "Size must be between 1 and 5")])
    errors = []
    for i, m in enumerate(messages):
        prop = "messages[%d]" % i
        if not isinstance(m, dict):
            errors.append((prop, "Must be an object"))
            continue
        mtype = m.get("type")
        if mtype == "text":
            text = m.get("text")
            if not isinstance(text, str) or text == "":
                errors.append((prop + ".text", "May not be empty"))
            elif _utf16_len(text) > TEXT_MAX:
                errors.append((prop + ".text", "Length must be between 0 and %d" % TEXT_MAX))
        elif mtype == "flex":
            alt = m.get("altText")
            contents = m.get("contents")
            if not isinstance(alt, str) or alt == "":
                errors.append((prop + ".altText", "May not be empty"))
            elif _utf16_len(alt) > alt_text_max:
                errors.append((prop + ".altText", "Length must be between 0 and %d" % alt_text_max))
            if not isinstance(contents, dict) or contents.get("type") not in ("bubble", "carousel"):
                errors.append((prop + ".contents", "Must be a bubble or carousel container"))
        else:
            errors.append((prop + ".type", "Unsupported message type (this server accepts text and flex): %r" % (mtype,)))
            continue
        errors += _quick_reply_errors(m.get("quickReply"), prop + ".quickReply")
        if errors and errors[-1][0].startswith(prop):
            continue
        try:
            parsed = Message.from_dict(m)
            want = TextMessage if mtype == "text" else FlexMessage
            if not isinstance(parsed, want):
                raise ValueError("SDK parsed it as %s" % type(parsed).__name__)
        except Exception as exc:  # pydantic ValidationError is a ValueError
            errors.append((prop, "Invalid message (SDK): " + _sdk_error_text(exc)))
    if errors:
        raise Invalid(errors)


def _validate_request(body, alt_text_max, field, field_ok, field_error, model, kind):
    """The recipient field, the messages, then the SDK's own model of the whole request."""
    if not isinstance(body, dict):
        raise Invalid([("", "Request body must be a JSON object")])
    errors = []
    if not field_ok(body.get(field)):
        errors.append((field, field_error))
    try:
        _validate_messages(body.get("messages"), alt_text_max)
    except Invalid as inv:
        errors.extend(inv.details)
    if errors:
        raise Invalid(errors)
    try:
        model.from_dict(body)
    except Exception as exc:
        raise Invalid([("", "Invalid %s request (SDK): %s" % (kind, _sdk_error_text(exc)))])


def validate_push(body, alt_text_max):
    _validate_request(body, alt_text_max, "to", lambda v: isinstance(v, str) and bool(USER_ID_RE.match(v)),
                      "Must be a LINE user ID (U + 32 lowercase hex)", PushMessageRequest, "push")


def validate_reply(body, alt_text_max):
    _validate_request(body, alt_text_max, "replyToken", lambda v: isinstance(v, str) and v != "",
                      "May not be empty", ReplyMessageRequest, "reply")


# ---------------------------------------------------------------- helpers

def _json(status, payload, request_id=None, headers=None):
    h = dict(headers or {})
    if request_id:
        h["x-line-request-id"] = request_id
    return web.Response(status=status, headers=h, content_type="application/json",
                        text=json.dumps(payload, ensure_ascii=False))


def _invalid_response(inv, request_id):
    details = [{"message": msg, "property": prop} for prop, msg in inv.details]
    return _json(400, {"message": "The request body has %d error(s)" % len(details), "details": details},
                 request_id)


def _sent_messages(n):
    return [{"id": str(secrets.randbelow(9 * 10 ** 17) + 10 ** 17),
             "quoteToken": secrets.token_urlsafe(60)} for _ in range(n)]


def _scripted_response(entry, request_id):
    status = int(entry.get("status", 500))
    message = entry.get("message") or DEFAULT_MESSAGES.get(status, "Error")
    headers = {}
    if status == 429 and entry.get("retry_after") is not None:
        headers["Retry-After"] = str(entry["retry_after"])
    return _json(status, {"message": message}, request_id, headers)


class Server:
    def __init__(self, state):
        self.s = state

    # -- common request intake
    async def _intake(self, request):
        raw = await request.read()
        body = None
        if raw:
            try:
                body = json.loads(raw.decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                body = None
        auth = request.headers.get("Authorization", "")
        auth_ok = auth.startswith("Bearer ") and auth[len("Bearer "):] in self.s.tokens
        entry = {
            "path": request.path,
            "method": request.method,
            "status": None,
            "retry_key": request.headers.get("X-Line-Retry-Key"),
            "auth_ok": auth_ok,
            "body": body,
            "accepted": False,
            "time": time.time(),
            "request_id": str(uuid.uuid4()),
            "content_type": request.headers.get("Content-Type"),
        }
        return raw, body, entry

    def _finish(self, entry, response):
        entry["status"] = response.status
        self.s.log(entry)
        return response

    # -- POST /v2/bot/message/push
    async def push(self, request):
        raw, body, entry = await self._intake(request)
        response = self._process_push(raw, body, entry)
        self._finish(entry, response)  # recorded (and accepted) before any hang
        if self.s.hang_seconds > 0:
            await asyncio.sleep(self.s.hang_seconds)
        return response

    def _process_push(self, raw, body, entry):
        # No await in here: the retry-key check-and-set is atomic on the event loop.
        rid = entry["request_id"]
        if not entry["auth_ok"]:
            return _json(401, {"message": AUTH_FAILED}, rid)
        key = entry["retry_key"]
        if key is None:
            return _json(400, {"message": "X-Line-Retry-Key header is required by this test server"}, rid)
        if not UUID_RE.match(key):
            return _json(400, {"message": "The retry key must be a UUID in hexadecimal format"}, rid)
        if body is None:
            return _invalid_response(Invalid([("", "Malformed JSON body")]), rid)
        try:
            validate_push(body, self.s.alt_text_max)
        except Invalid as inv:
            return _invalid_response(inv, rid)
        if self.s.script["push"]:
            return _scripted_response(self.s.script["push"].pop(0), rid)
        norm = key.lower()
        prior = self.s.retry_keys.get(norm)
        if prior is not None:
            first_rid, first_sent = prior
            return _json(409, {"message": "The retry key is already accepted", "sentMessages": first_sent},
                         rid, {"x-line-accepted-request-id": first_rid})
        sent = _sent_messages(len(body["messages"]))
        self.s.retry_keys[norm] = (rid, sent)
        entry["accepted"] = True
        self.s.delivered.append({"kind": "push", "to": body["to"], "retry_key": key,
                                 "messages": body["messages"], "request_id": rid,
                                 "sentMessages": sent, "time": entry["time"]})
        return _json(200, {"sentMessages": sent}, rid)

    # -- POST /v2/bot/message/reply
    async def reply(self, request):
        raw, body, entry = await self._intake(request)
        return self._finish(entry, self._process_reply(body, entry))

    def _process_reply(self, body, entry):
        rid = entry["request_id"]
        if not entry["auth_ok"]:
            return _json(401, {"message": AUTH_FAILED}, rid)
        if entry["retry_key"] is not None:
            # LINE rejects X-Line-Retry-Key on APIs that do not support it.
            return _json(400, {"message": "X-Line-Retry-Key is not supported by the reply API"}, rid)
        if body is None:
            return _invalid_response(Invalid([("", "Malformed JSON body")]), rid)
        try:
            validate_reply(body, self.s.alt_text_max)
        except Invalid as inv:
            return _invalid_response(inv, rid)
        if self.s.script["reply"]:
            return _scripted_response(self.s.script["reply"].pop(0), rid)
        token = body["replyToken"]
        if token in self.s.used_reply_tokens:  # a reply token works once
            return _json(400, {"message": "Invalid reply token"}, rid)
        self.s.used_reply_tokens.add(token)
        sent = _sent_messages(len(body["messages"]))
        entry["accepted"] = True
        self.s.delivered.append({"kind": "reply", "replyToken": token, "retry_key": None,
                                 "messages": body["messages"], "request_id": rid,
                                 "sentMessages": sent, "time": entry["time"]})
        return _json(200, {"sentMessages": sent}, rid)

    # -- POST /v2/bot/user/{userId}/linkToken
    async def link_token(self, request):
        raw, body, entry = await self._intake(request)
        rid = entry["request_id"]
        user_id = request.match_info["userId"]
        if not entry["auth_ok"]:
            resp = _json(401, {"message": AUTH_FAILED}, rid)
        elif not USER_ID_RE.match(user_id):
            resp = _json(400, {"message": "The value for the 'userId' parameter is invalid"}, rid)
        else:
            token = secrets.token_urlsafe(24)  # 32 url-safe characters
            self.s.link_tokens[token] = user_id
            entry["link_token"] = token
            resp = _json(200, {"linkToken": token}, rid)
        return self._finish(entry, resp)

    # -- GET /v2/bot/info
    async def bot_info(self, request):
        raw, body, entry = await self._intake(request)
        rid = entry["request_id"]
        if not entry["auth_ok"]:
            return self._finish(entry, _json(401, {"message": AUTH_FAILED}, rid))
        token = request.headers["Authorization"][len("Bearer "):]
        digest = hashlib.sha256(token.encode("utf-8")).hexdigest()
        info = {
            "userId": "U" + digest[:32],
            "basicId": "@" + digest[32:40],
            "displayName": "Test Municipality OA",
            "pictureUrl": "https://profile.line-scdn.net/test",
            "chatMode": "bot",
            "markAsReadMode": "auto",
        }
        return self._finish(entry, _json(200, info, rid))

    # -- GET /v2/bot/message/{messageId}/content (api-data.line.me)
    async def content(self, request):
        raw, body, entry = await self._intake(request)
        rid = entry["request_id"]
        data = self.s.contents.get(request.match_info["messageId"], self.s.contents.get("*"))
        if not entry["auth_ok"]:
            return self._finish(entry, _json(401, {"message": AUTH_FAILED}, rid))
        if data is None:
            return self._finish(entry, _json(404, {"message": "Not found"}, rid))
        delay = self.s.content_delay.get(request.match_info["messageId"], 0.0)
        if delay > 0:
            await asyncio.sleep(delay)
        if isinstance(data, str):  # a scripted redirect (the real API never sends one)
            return self._finish(entry, web.Response(status=302, headers={"Location": data, "x-line-request-id": rid}))
        self._finish(entry, web.Response(status=200))
        return web.Response(status=200, body=data, content_type="image/jpeg", headers={"x-line-request-id": rid})

    async def t_content(self, request):
        try:
            spec = json.loads((await request.read()).decode("utf-8") or "{}")
            mid = str(spec["messageId"])
            if "redirect" in spec:
                data = str(spec["redirect"])
            elif "base64" in spec:
                data = base64.b64decode(spec["base64"])
            else:
                size = int(spec["size"])
                data = (b"\xff\xd8\xff\xe0" + b"\0" * size)[:size]
        except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
            return web.json_response({"error": str(exc)}, status=400)
        self.s.contents[mid] = data
        self.s.content_delay[mid] = max(0.0, min(30.0, float(spec.get("delay") or 0)))
        return web.json_response({"messageId": mid, "bytes": len(data)})

    async def not_found(self, request):
        raw, body, entry = await self._intake(request)
        return self._finish(entry, _json(404, {"message": "Not found"}, entry["request_id"]))

    # -- test control
    async def t_requests(self, request):
        return web.json_response(self.s.requests, dumps=lambda o: json.dumps(o, ensure_ascii=False))

    async def t_delivered(self, request):
        return web.json_response(self.s.delivered, dumps=lambda o: json.dumps(o, ensure_ascii=False))

    async def t_link_tokens(self, request):
        return web.json_response(self.s.link_tokens)

    async def t_script(self, request):
        try:
            spec = json.loads((await request.read()).decode("utf-8") or "{}")
            if not isinstance(spec, dict):
                raise ValueError("script must be a JSON object")
            for kind in ("push", "reply"):
                if kind in spec:
                    items = spec[kind]
                    if not isinstance(items, list) or not all(
                            isinstance(x, dict) and isinstance(x.get("status", 500), int) for x in items):
                        raise ValueError("%s must be a list of {status, ...}" % kind)
            if "hang_seconds" in spec:
                hang = float(spec["hang_seconds"] or 0)
        except (ValueError, TypeError, UnicodeDecodeError) as exc:
            return web.json_response({"error": str(exc)}, status=400)
        for kind in ("push", "reply"):
            if kind in spec:
                self.s.script[kind] = [dict(x) for x in spec[kind]]
        if "hang_seconds" in spec:
            self.s.hang_seconds = max(0.0, hang)
        return web.json_response({"push": self.s.script["push"], "reply": self.s.script["reply"],
                                  "hang_seconds": self.s.hang_seconds})

    async def t_reset(self, request):
        self.s.reset()
        return web.json_response({"ok": True})


def make_app(state):
    srv = Server(state)
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_post("/v2/bot/message/push", srv.push)
    app.router.add_post("/v2/bot/message/reply", srv.reply)
    app.router.add_post("/v2/bot/user/{userId}/linkToken", srv.link_token)
    app.router.add_get("/v2/bot/info", srv.bot_info)
    app.router.add_get("/v2/bot/message/{messageId}/content", srv.content)
    app.router.add_post("/_test/content", srv.t_content)
    app.router.add_get("/_test/requests", srv.t_requests)
    app.router.add_get("/_test/delivered", srv.t_delivered)
    app.router.add_get("/_test/link-tokens", srv.t_link_tokens)
    app.router.add_post("/_test/script", srv.t_script)
    app.router.add_post("/_test/reset", srv.t_reset)
    app.router.add_route("*", "/{tail:.*}", srv.not_found)
    return app


async def serve(args):
    state = State(args.token, args.record, args.alt_text_max)
    runner = web.AppRunner(make_app(state), access_log=None, handle_signals=False, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, args.host, args.port, reuse_address=True, backlog=1024)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print("READY %d" % port, flush=True)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
        if state.record:
            state.record.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0, help="0 = pick a free port")
    ap.add_argument("--token", action="append", required=True,
                    help="accepted channel access token (repeatable)")
    ap.add_argument("--record", metavar="FILE", help="append one JSON line per API request")
    ap.add_argument("--alt-text-max", type=int, default=400, metavar="N",
                    help="max flex altText length in UTF-16 units (default 400)")
    args = ap.parse_args()
    try:
        asyncio.run(serve(args))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
