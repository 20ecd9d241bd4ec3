"""Self-check for line_server.py and line_events.py.

  .venv/bin/python -m pytest Tests/support/test_line_tools.py -q
"""
import base64
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import line_events  # noqa: E402

TOKEN = "test-channel-token"
USER = "U" + "0123456789abcdef" * 2
BOT = "U" + "f" * 32
SECRET = "channel-secret-123"
TEXT_MSG = {"type": "text", "text": "คำร้องของท่านได้รับการอนุมัติ"}
FLEX_MSG = {
    "type": "flex",
    "altText": "สถานะคำร้อง",
    "contents": {"type": "bubble", "body": {"type": "box", "layout": "vertical", "contents": [
        {"type": "text", "text": "คำร้อง #42", "weight": "bold"},
        {"type": "button", "action": {"type": "uri", "label": "ดู", "uri": "https://example.test/r/42"}},
    ]}},
}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    record = tmp_path_factory.mktemp("line") / "record.jsonl"
    proc = subprocess.Popen(
        [sys.executable, os.path.join(HERE, "line_server.py"), "--host", "127.0.0.1", "--port", "0",
         "--token", TOKEN, "--token", "second-token", "--record", str(record)],
        stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    assert line.startswith("READY "), line
    base = "http://127.0.0.1:%d" % int(line.split()[1])
    yield {"base": base, "record": record}
    proc.terminate()
    assert proc.wait(10) == 0


@pytest.fixture
def base(server):
    call(server["base"], "POST", "/_test/reset", {})
    return server["base"]


def call(base, method, path, body=None, token=TOKEN, retry_key=None, raw=None):
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode("utf-8"))
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    if retry_key:
        req.add_header("X-Line-Retry-Key", retry_key)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, dict(resp.headers), json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), json.loads(err.read() or b"null")


def push(base, body=None, **kw):
    kw.setdefault("retry_key", str(uuid.uuid4()))
    return call(base, "POST", "/v2/bot/message/push", body or {"to": USER, "messages": [TEXT_MSG]}, **kw)


def lower_headers(h):
    return {k.lower(): v for k, v in h.items()}


# ------------------------------------------------------------------ server

def test_push_ok_and_auth(base):
    status, headers, body = push(base, {"to": USER, "messages": [TEXT_MSG, FLEX_MSG]})
    assert status == 200, body
    assert len(body["sentMessages"]) == 2
    assert body["sentMessages"][0]["id"].isdigit() and body["sentMessages"][0]["quoteToken"]
    assert lower_headers(headers)["x-line-request-id"]
    assert push(base, token="second-token")[0] == 200

    for token in (None, "wrong"):
        status, _, body = push(base, token=token)
        assert status == 401
        assert body["message"].startswith("Authentication failed.")

    delivered = call(base, "GET", "/_test/delivered")[2]
    assert [d["kind"] for d in delivered] == ["push", "push"]
    assert delivered[0]["to"] == USER and delivered[0]["messages"][0]["text"] == TEXT_MSG["text"]
    reqs = call(base, "GET", "/_test/requests")[2]
    assert [(r["status"], r["auth_ok"], r["accepted"]) for r in reqs] == \
        [(200, True, True), (200, True, True), (401, False, False), (401, False, False)]


def test_retry_key_required_and_uuid(base):
    status, _, body = call(base, "POST", "/v2/bot/message/push", {"to": USER, "messages": [TEXT_MSG]})
    assert status == 400 and "X-Line-Retry-Key" in body["message"]
    assert push(base, retry_key="not-a-uuid")[0] == 400
    assert push(base, retry_key=str(uuid.uuid4()).upper())[0] == 200  # Swift's uuidString is uppercase
    assert len(call(base, "GET", "/_test/delivered")[2]) == 1


def test_repeated_retry_key_409(base):
    key = str(uuid.uuid4())
    status, h1, first = push(base, retry_key=key)
    assert status == 200
    status, h2, body = push(base, retry_key=key)
    assert status == 409
    assert body["message"] == "The retry key is already accepted"
    assert lower_headers(h2)["x-line-accepted-request-id"] == lower_headers(h1)["x-line-request-id"]
    # case of the hex digits does not make it a different key
    assert push(base, retry_key=key.upper())[0] == 409
    assert len(call(base, "GET", "/_test/delivered")[2]) == 1


def test_concurrent_same_retry_key_one_acceptance(base):
    for _ in range(5):
        key = str(uuid.uuid4())
        results = []
        barrier = threading.Barrier(8)

        def go():
            barrier.wait()
            results.append(push(base, retry_key=key)[0])

        threads = [threading.Thread(target=go) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(results) == [200] + [409] * 7
    assert len(call(base, "GET", "/_test/delivered")[2]) == 5


@pytest.mark.parametrize("body,prop", [
    ({"to": "user-1", "messages": [TEXT_MSG]}, "to"),
    ({"to": USER, "messages": []}, "messages"),
    ({"to": USER, "messages": [TEXT_MSG] * 6}, "messages"),
    ({"to": USER}, "messages"),
    ({"to": USER, "messages": [{"type": "text", "text": ""}]}, "messages[0].text"),
    ({"to": USER, "messages": [{"type": "text", "text": "ก" * 5001}]}, "messages[0].text"),
    ({"to": USER, "messages": [{"type": "image", "originalContentUrl": "https://x"}]}, "messages[0].type"),
    ({"to": USER, "messages": [dict(FLEX_MSG, altText="")]}, "messages[0].altText"),
    ({"to": USER, "messages": [dict(FLEX_MSG, altText="x" * 401)]}, "messages[0].altText"),
    ({"to": USER, "messages": [dict(FLEX_MSG, contents={"type": "box"})]}, "messages[0].contents"),
    ({"to": USER, "messages": [dict(FLEX_MSG, contents={"type": "bubble", "body": {"type": "nope"}})]},
     "messages[0]"),
    ({"to": USER, "messages": [TEXT_MSG], "notificationDisabled": "yes"}, ""),
])
def test_invalid_push_bodies(base, body, prop):
    status, _, resp = push(base, body)
    assert status == 400, resp
    assert resp["message"] == "The request body has %d error(s)" % len(resp["details"])
    assert prop in [d["property"] for d in resp["details"]], resp
    assert call(base, "GET", "/_test/delivered")[2] == []


def test_limits_are_inclusive_and_malformed_json(base):
    ok = {"to": USER, "messages": [{"type": "text", "text": "ก" * 5000}, dict(FLEX_MSG, altText="x" * 400)]}
    assert push(base, ok)[0] == 200
    status, _, body = push(base, raw=b"{not json")
    assert status == 400 and body["details"]


def test_scripted_failures(base):
    script = {"push": [{"status": 500}, {"status": 429, "retry_after": 1},
                       {"status": 400, "message": "Invalid reply token"}]}
    assert call(base, "POST", "/_test/script", script)[0] == 200
    key = str(uuid.uuid4())
    s1, _, b1 = push(base, retry_key=key)
    s2, h2, b2 = push(base, retry_key=key)
    s3, _, b3 = push(base, retry_key=key)
    s4, _, _ = push(base, retry_key=key)
    s5, _, _ = push(base, retry_key=key)
    assert (s1, s2, s3, s4, s5) == (500, 429, 400, 200, 409)
    assert lower_headers(h2)["retry-after"] == "1"
    assert b3 == {"message": "Invalid reply token"}
    assert len(call(base, "GET", "/_test/delivered")[2]) == 1
    reqs = call(base, "GET", "/_test/requests")[2]
    assert [r["status"] for r in reqs] == [500, 429, 400, 200, 409]
    assert [r["accepted"] for r in reqs] == [False, False, False, True, False]


def test_hang_accepts_before_sleeping(base):
    call(base, "POST", "/_test/script", {"hang_seconds": 3})
    key = str(uuid.uuid4())
    req = urllib.request.Request(base + "/v2/bot/message/push", method="POST",
                                 data=json.dumps({"to": USER, "messages": [TEXT_MSG]}).encode(),
                                 headers={"Authorization": "Bearer " + TOKEN, "X-Line-Retry-Key": key,
                                          "Content-Type": "application/json"})
    t0 = time.monotonic()
    with pytest.raises(OSError):  # client gives up mid-request, like a killed worker
        urllib.request.urlopen(req, timeout=0.5)
    assert time.monotonic() - t0 < 2
    delivered = call(base, "GET", "/_test/delivered")[2]
    assert [d["retry_key"] for d in delivered] == [key]
    call(base, "POST", "/_test/script", {"hang_seconds": 0})
    status, _, body = push(base, retry_key=key)
    assert status == 409


def test_reply(base):
    ok = {"replyToken": "abc123", "messages": [TEXT_MSG]}
    assert call(base, "POST", "/v2/bot/message/reply", ok, token=None)[0] == 401
    status, headers, body = call(base, "POST", "/v2/bot/message/reply", ok)
    assert status == 200 and len(body["sentMessages"]) == 1
    assert call(base, "POST", "/v2/bot/message/reply", ok)[2] == {"message": "Invalid reply token"}
    status, _, body = call(base, "POST", "/v2/bot/message/reply", {"replyToken": "", "messages": [TEXT_MSG]})
    assert status == 400 and body["details"][0]["property"] == "replyToken"
    status, _, _ = call(base, "POST", "/v2/bot/message/reply", {"replyToken": "t2", "messages": [TEXT_MSG]},
                        retry_key=str(uuid.uuid4()))
    assert status == 400  # LINE rejects a retry key on the reply API
    assert [(d["kind"], d["replyToken"]) for d in call(base, "GET", "/_test/delivered")[2]] == [("reply", "abc123")]


def test_link_tokens_and_info(base):
    status, _, body = call(base, "POST", "/v2/bot/user/%s/linkToken" % USER, raw=b"")
    assert status == 200 and len(body["linkToken"]) == 32
    assert call(base, "GET", "/_test/link-tokens")[2] == {body["linkToken"]: USER}
    assert call(base, "POST", "/v2/bot/user/%s/linkToken" % USER, raw=b"", token="bad")[0] == 401
    assert call(base, "POST", "/v2/bot/user/nobody/linkToken", raw=b"")[0] == 400
    status, _, info = call(base, "GET", "/v2/bot/info")
    assert status == 200 and info["userId"].startswith("U") and len(info["userId"]) == 33
    assert call(base, "GET", "/v2/bot/info", token=None)[0] == 401
    assert call(base, "GET", "/v2/bot/nothing")[0] == 404


def test_record_file(server, base):
    before = server["record"].read_text(encoding="utf-8").count("\n")
    push(base)
    lines = server["record"].read_text(encoding="utf-8").splitlines()
    assert len(lines) == before + 1
    entry = json.loads(lines[-1])
    assert entry["accepted"] is True and entry["body"]["messages"][0]["text"] == TEXT_MSG["text"]


def test_sdk_client_against_server(base):
    from linebot.v3.messaging import ApiClient, Configuration, MessagingApi
    from linebot.v3.messaging.exceptions import ApiException
    from linebot.v3.messaging.models import FlexMessage, FlexContainer, PushMessageRequest, TextMessage
    api = MessagingApi(ApiClient(Configuration(host=base, access_token=TOKEN)))
    req = PushMessageRequest(to=USER, messages=[
        TextMessage(text="สวัสดี"),
        FlexMessage(alt_text="x", contents=FlexContainer.from_dict(FLEX_MSG["contents"]))])
    key = str(uuid.uuid4())
    resp = api.push_message_with_http_info(req, x_line_retry_key=key)
    assert resp.status_code == 200 and len(resp.data.sent_messages) == 2
    with pytest.raises(ApiException) as exc:
        api.push_message(req, x_line_retry_key=key)
    assert exc.value.status == 409
    assert exc.value.headers["x-line-accepted-request-id"] == resp.headers["x-line-request-id"]
    assert api.issue_link_token(USER).link_token
    assert api.get_bot_info().user_id


def test_throughput(base):
    """At least 300 pushes/s end to end (client and server share this machine)."""
    import asyncio
    import aiohttp

    async def run(n=600, concurrency=20):
        sem = asyncio.Semaphore(concurrency)
        body = {"to": USER, "messages": [TEXT_MSG, FLEX_MSG]}
        async with aiohttp.ClientSession(headers={"Authorization": "Bearer " + TOKEN}) as s:
            async def one():
                async with sem:
                    async with s.post(base + "/v2/bot/message/push", json=body,
                                      headers={"X-Line-Retry-Key": str(uuid.uuid4())}) as r:
                        await r.read()
                        return r.status
            t0 = time.monotonic()
            statuses = await asyncio.gather(*[one() for _ in range(n)])
            return statuses, n / (time.monotonic() - t0)

    statuses, rate = asyncio.run(run())
    assert set(statuses) == {200}
    print("throughput: %.0f pushes/s" % rate)
    assert rate > 300


# ------------------------------------------------------------------ events

ALL_EVENTS = [
    {"type": "follow", "user": USER},
    {"type": "unfollow", "user": USER},
    {"type": "message", "user": USER, "text": "สถานะ"},
    {"type": "postback", "user": USER, "data": "action=link"},
    {"type": "accountLink", "user": USER, "result": "ok", "nonce": "nonce-1"},
    {"type": "accountLink", "user": USER, "result": "failed", "nonce": "nonce-2"},
]


def run_cli(spec):
    p = subprocess.run([sys.executable, os.path.join(HERE, "line_events.py")],
                       input=json.dumps(spec, ensure_ascii=False).encode("utf-8"), capture_output=True)
    return p.returncode, p.stdout.decode("utf-8"), p.stderr.decode("utf-8")


def test_events_cli_verifies_with_sdk():
    from linebot.v3.exceptions import InvalidSignatureError
    from linebot.v3.webhook import WebhookParser
    from linebot.v3.webhooks import (AccountLinkEvent, FollowEvent, MessageEvent, PostbackEvent,
                                     TextMessageContent, UnfollowEvent)
    fixed = "01JABCDEFGHJKMNPQRSTVWXYZ0"
    rc, out, err = run_cli({"secret": SECRET, "destination": BOT, "events": ALL_EVENTS,
                            "redelivery": True, "event_ids": [fixed]})
    assert rc == 0, err
    result = json.loads(out)
    body, sig = result["body"], result["signature"]
    assert base64.b64decode(result["body_base64"]) == body.encode("utf-8")
    assert "สถานะ" in body  # UTF-8, not \u escapes
    events = WebhookParser(SECRET).parse(body, sig)
    assert [type(e) for e in events] == [FollowEvent, UnfollowEvent, MessageEvent, PostbackEvent,
                                        AccountLinkEvent, AccountLinkEvent]
    assert isinstance(events[2].message, TextMessageContent) and events[2].message.text == "สถานะ"
    assert events[0].webhook_event_id == fixed
    assert all(e.delivery_context.is_redelivery for e in events)
    assert all(len(e.webhook_event_id) == 26 for e in events)
    assert [r["replyToken"] is None for r in result["events"]] == [False, True, False, False, False, True]
    assert [r["webhookEventId"] for r in result["events"]] == [e.webhook_event_id for e in events]
    raw = json.loads(body)
    assert raw["destination"] == BOT
    for e in raw["events"]:
        assert e["mode"] == "active" and e["source"] == {"type": "user", "userId": USER}
        assert isinstance(e["timestamp"], int)

    # signature is over the exact bytes: any change breaks it
    for tampered in (body.replace("สถานะ", "สถานี"), body + " ", body.replace(BOT, "U" + "e" * 32)):
        with pytest.raises(InvalidSignatureError):
            WebhookParser(SECRET).parse(tampered, sig)
    with pytest.raises(InvalidSignatureError):
        WebhookParser("other-secret").parse(body, sig)


def test_events_sign_mode_and_errors():
    body = '{"destination":"%s","events":[]}' % BOT
    p = subprocess.run([sys.executable, os.path.join(HERE, "line_events.py"), "--sign", "--secret", SECRET],
                       input=body.encode(), capture_output=True)
    assert p.returncode == 0 and p.stdout.decode().strip() == line_events.sign(SECRET, body)
    for bad in ({"secret": SECRET, "destination": "Ubot", "events": []},
                {"secret": SECRET, "destination": BOT, "events": [{"type": "message", "user": USER}]},
                {"secret": SECRET, "destination": BOT, "events": [{"type": "join", "user": USER}]},
                {"destination": BOT, "events": []}):
        rc, out, err = run_cli(bad)
        assert rc == 1 and out == "" and err.startswith("line_events:")


def test_events_python_api():
    body, events = line_events.build_body(BOT, ALL_EVENTS[:3])
    sig = line_events.sign(SECRET, body)
    parsed = line_events.verify_with_sdk(SECRET, body, sig, events)
    assert len(parsed) == 3
    ids = {line_events.new_ulid() for _ in range(1000)}
    assert len(ids) == 1000 and all(line_events.ULID_RE.match(i) for i in ids)
