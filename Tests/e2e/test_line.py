"""Linking a LINE account, on a phone (390×844), against the LINE-compatible server scripts/e2e.sh starts
(Tests/support/line_server.py): the user follows the Official Account and taps "เชื่อมบัญชี e-Service"; the link
in the reply opens the sign-in page in the browser; after signing in the citizen from test_citizen.py confirms
which account is linked and is sent to LINE's account-link dialog with a nonce; LINE's accountLink event (signed
as LINE signs it) links the account; "สถานะ" then answers in the chat, "แจ้งเรื่อง" starts a complaint (or asks
for a verified identity first), and the profile page shows the link and
the notice choices. Screenshots: test-artifacts/screenshots/line-*.png.
"""
import json
import os
import sys
import time
import urllib.parse
import urllib.request

import pytest
from selenium.webdriver.common.by import By

from test_backoffice import PHONE, fill
from test_citizen import CITIZEN, submit
from test_journeys import BASE, ROOT, SHOTS, assert_no_horizontal_scroll, driver, wait_for_text  # noqa: F401

sys.path.insert(0, str(ROOT / "Tests" / "support"))
import line_events  # noqa: E402

LINE = os.environ.get("E2E_LINE_URL", "").rstrip("/")
SECRET = os.environ.get("E2E_LINE_SECRET", "")
USER = "U" + "e2e0".encode().hex() * 4
step_no = [0]


def shot(d, name):
    step_no[0] += 1
    SHOTS.mkdir(parents=True, exist_ok=True)
    d.save_screenshot(str(SHOTS / ("line-%02d-%s.png" % (step_no[0], name))))


def delivered():
    with urllib.request.urlopen(LINE + "/_test/delivered", timeout=10) as r:
        return json.load(r)


def send(event):
    """Posts one event as LINE would and returns what the bot sent back (replies and pushes) after it."""
    built = line_events.build({"secret": SECRET, "destination": "U" + "0" * 32, "events": [event]})
    before = len(delivered())
    req = urllib.request.Request(BASE + "/t/bangkrathum/line/webhook", built["body"].encode(),
                                 {"Content-Type": "application/json", "X-Line-Signature": built["signature"]})
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.status == 200
    for _ in range(50):
        now = delivered()
        if len(now) > before:
            return now[before:]
        time.sleep(0.1)
    return []


def uris(messages):
    out = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "uri" and "uri" in node:
                out.append(node["uri"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(messages)
    return out


@pytest.mark.skipif(not LINE, reason="scripts/e2e.sh starts the LINE-compatible server")
def test_citizen_links_line_on_a_phone(driver):  # noqa: F811
    assert CITIZEN, "test_citizen.py registers the citizen first"
    d = driver
    d.set_window_size(*PHONE)
    d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": PHONE[0], "height": PHONE[1], "deviceScaleFactor": 1, "mobile": False})
    d.delete_all_cookies()

    greeting = send({"type": "follow", "user": USER})
    assert "ขอบคุณที่เพิ่ม เทศบาลตำบลบางกระทุ่ม เป็นเพื่อน" in greeting[0]["messages"][0]["altText"]
    offer = send({"type": "postback", "user": USER, "data": "action=link"})
    link = next(u for u in uris(offer[0]["messages"]) if "/line/link?linkToken=" in u)
    token = urllib.parse.parse_qs(urllib.parse.urlparse(link).query)["linkToken"][0]

    # LINE's in-app browser opens the link: the sign-in page first, then back to the confirmation.
    d.get(link)
    wait_for_text(d, "เข้าสู่ระบบ")
    fill(d, {"nationalID": CITIZEN["nid"], "password": CITIZEN["password"]})
    submit(d, "เข้าสู่ระบบ")
    wait_for_text(d, "ยืนยันการเชื่อมบัญชี")
    assert "/line/link?linkToken=" in d.current_url
    assert CITIZEN["nid"] not in d.page_source, "only the masked national ID"
    assert_no_horizontal_scroll(d)
    shot(d, "confirm")
    submit(d, "ยืนยันการเชื่อมบัญชี")
    # The browser is sent to LINE's account-link dialog (here the test server's address, LINE_ACCESS_BASE_URL):
    # the address carries the token and a nonce.
    for _ in range(50):
        if "/dialog/bot/accountLink?" in d.current_url:
            break
        time.sleep(0.1)
    query = urllib.parse.parse_qs(urllib.parse.urlparse(d.current_url).query)
    assert query["linkToken"] == [token] and len(query["nonce"][0]) >= 20, d.current_url

    linked = send({"type": "accountLink", "user": USER, "result": "ok", "nonce": query["nonce"][0]})
    assert linked and linked[0]["messages"][0]["text"].startswith("เชื่อมบัญชี LINE กับบัญชี e-Service ของ")
    status = send({"type": "message", "user": USER, "text": "สถานะ"})
    assert status and status[0]["kind"] == "reply", status
    # Filing in the chat: the complaint types as quick replies for a verified citizen, else the way to verify.
    start = send({"type": "message", "user": USER, "text": "แจ้งเรื่อง"})
    said = json.dumps(start[0]["messages"] if start else [], ensure_ascii=False)
    assert "กรุณาเลือกประเภทเรื่อง" in said or "ต้องยืนยันตัวตนก่อน" in said, said
    if "กรุณาเลือกประเภทเรื่อง" in said:
        assert "action=file-service&s=street-light" in said
        send({"type": "postback", "user": USER, "data": "action=file-cancel"})

    d.get(BASE + "/t/bangkrathum/account/profile")
    wait_for_text(d, "เชื่อมบัญชี LINE แล้ว")
    d.execute_script("document.getElementById('notify-title').scrollIntoView()")
    assert_no_horizontal_scroll(d)
    shot(d, "profile")
    # The same nonce a second time links nobody.
    again = line_events.build({"secret": SECRET, "destination": "U" + "0" * 32,
                               "events": [{"type": "accountLink", "user": "U" + "f" * 32, "result": "ok", "nonce": query["nonce"][0]}]})
    req = urllib.request.Request(BASE + "/t/bangkrathum/line/webhook", again["body"].encode(),
                                 {"Content-Type": "application/json", "X-Line-Signature": again["signature"]})
    urllib.request.urlopen(req, timeout=10).read()
    time.sleep(1)
    assert not any(m.get("replyToken") == again["events"][0]["replyToken"] for m in delivered())
