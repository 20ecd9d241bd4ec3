#!/usr/bin/env python3
"""Drive a tenant's LINE webhook by hand, as LINE would, and show what the bot answered.

Start a LINE-compatible server and the app pointed at it (README, "LINE Official Account"), then:

  .venv/bin/python scripts/line_demo.py follow                 # the greeting with its buttons
  .venv/bin/python scripts/line_demo.py say สถานะ               # a text message ("สถานะ", a tracking number, ...)
  .venv/bin/python scripts/line_demo.py link                   # the "เชื่อมบัญชี" button: prints the sign-in link
  .venv/bin/python scripts/line_demo.py account-link NONCE     # what LINE posts after its dialog (NONCE from the redirect)
  .venv/bin/python scripts/line_demo.py unfollow
  .venv/bin/python scripts/line_demo.py delivered              # every reply and push the LINE server received

Each command signs its body with the channel secret (Tests/support/line_events.py, checked with the official
SDK), posts it to http://127.0.0.1:8080/t/bangkrathum/line/webhook and, after a moment for the outbox, prints
the replies and pushes that arrived at the LINE server. Options: --app URL (http://127.0.0.1:8080),
--tenant SLUG (bangkrathum), --line URL (http://127.0.0.1:8090), --secret (LINE_BANGKRATHUM_CHANNEL_SECRET from
the environment), --user (a fixed demo LINE user id).
"""
import argparse
import json
import os
import pathlib
import sys
import time
import urllib.error
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "Tests" / "support"))
import line_events  # noqa: E402


def show(messages):
    for m in messages:
        print("   ", m.get("text") or m.get("altText"))
        for action in _actions(m.get("contents")):
            print("      [%s] %s" % (action.get("label"), action.get("uri") or action.get("data")))


def _actions(node):
    if isinstance(node, dict):
        if node.get("type") == "button" and isinstance(node.get("action"), dict):
            yield node["action"]
        for v in node.values():
            yield from _actions(v)
    elif isinstance(node, list):
        for v in node:
            yield from _actions(v)


def delivered(line):
    with urllib.request.urlopen(line + "/_test/delivered", timeout=10) as r:
        return json.load(r)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("command", choices=["follow", "unfollow", "say", "link", "account-link", "delivered"])
    p.add_argument("argument", nargs="?")
    p.add_argument("--app", default="http://127.0.0.1:8080")
    p.add_argument("--tenant", default="bangkrathum")
    p.add_argument("--line", default="http://127.0.0.1:8090")
    p.add_argument("--secret", default=None)
    p.add_argument("--user", default="U" + "d3m0".encode().hex() * 4)
    a = p.parse_args()
    secret = a.secret or os.environ.get("LINE_%s_CHANNEL_SECRET" % a.tenant.upper().replace("-", "_"))
    if a.command == "delivered":
        for d in delivered(a.line):
            print("%s to %s:" % (d["kind"], d.get("to") or d.get("replyToken")))
            show(d["messages"])
        return
    if not secret:
        sys.exit("line_demo: give --secret or set LINE_%s_CHANNEL_SECRET" % a.tenant.upper())
    event = {"type": a.command, "user": a.user}
    if a.command == "say":
        if not a.argument:
            sys.exit("line_demo: say what? (e.g. สถานะ)")
        event = {"type": "message", "user": a.user, "text": a.argument}
    elif a.command == "link":
        event = {"type": "postback", "user": a.user, "data": "action=link"}
    elif a.command == "account-link":
        if not a.argument:
            sys.exit("line_demo: account-link NONCE (the nonce in the address the confirm button led to)")
        event = {"type": "accountLink", "user": a.user, "result": "ok", "nonce": a.argument}
    built = line_events.build({"secret": secret, "destination": "U" + "0" * 32, "events": [event]})
    before = len(delivered(a.line))
    req = urllib.request.Request("%s/t/%s/line/webhook" % (a.app, a.tenant), built["body"].encode(),
                                 {"Content-Type": "application/json", "X-Line-Signature": built["signature"]})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            print("webhook: HTTP %d" % r.status)
    except urllib.error.HTTPError as e:
        sys.exit("webhook: HTTP %d %s" % (e.code, e.read().decode()))
    for _ in range(30):
        time.sleep(0.2)
        now = delivered(a.line)
        if len(now) > before:
            for d in now[before:]:
                print("%s to %s:" % (d["kind"], d.get("to") or d.get("replyToken")))
                show(d["messages"])
            return
    if a.command not in ("unfollow", "account-link"):
        print("(nothing arrived at the LINE server yet)")


if __name__ == "__main__":
    main()
