#!/usr/bin/env python3
"""Filing a complaint inside LINE on PostgreSQL (issue 17, "Speed"):

  1. the webhook answers at p99 <= 20 ms at 50 events per second while citizens file complaints with a 3 MB photo;
  2. the tracking number is in the chat <= 3 s (p95) after the confirm event.

Set-up as scripts/bench_line.py (whose pieces it uses): the release server in production mode on the throwaway
database, `eservice worker` as a separate process, the LINE-compatible server (Tests/support/line_server.py, which
also serves the photo at LINE_DATA_BASE_URL's content endpoint) and the SMTP sink on the same machine; tenant
`benchtown` gets a complaint service the chat can file (a location, an optional detail, 1-3 JPEG/PNG photos up to
5 MB) and LINE_USERS verified citizens linked to LINE users (SQL, bench_line.seed).

Each citizen sends the whole conversation, one event per webhook request, signed and SDK-checked
(Tests/support/line_events.py): "แจ้งเรื่อง", the type (postback), a photo (the same 3 MB JPEG with an EXIF block,
fetched from the content endpoint each time, sniffed, cleaned of its EXIF and stored), "ถัดไป", LINE's location
message, "ข้าม" (the detail), "ยืนยัน". The citizens go in groups of RATE: the group's first events, then their
second, and so on, so one citizen's events are a second apart and arrive in order. An asyncio client sends them at
a constant RATE (bench_line.constant_rate: latency from the scheduled time, no coordinated omission). The tracking
number's delay is from the confirm request's send to the LINE server receiving the reply to that event's reply
token (the server's record), for every complaint. Checked afterwards: one petition with one photo per citizen,
filed in LINE, every reply accepted.

Usage: scripts/with-postgres.sh python3 scripts/bench_line_filing.py BIN
Env: RATE (50), GROUPS (3), PHOTO_MB (3), KEEP=1 keeps the temporary directory.
"""
import os
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "Tests/support"))
import bench_line as bl  # noqa: E402  (re-executes with .venv's Python when needed)

import asyncio  # noqa: E402
import base64  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402
import uuid  # noqa: E402

import bench_petitions as bp  # noqa: E402
import line_events  # noqa: E402

RATE = float(os.environ.get("RATE", "50"))
GROUPS = int(os.environ.get("GROUPS", "3"))
PHOTO_MB = float(os.environ.get("PHOTO_MB", "3"))
TARGET_WEBHOOK_P99_MS = 20.0
TARGET_NUMBER_P95_S = 3.0
SERVICE = "bench-line-complaint"
STEPS = 7

SERVICE_YAML = """  complaints:
    - slug: %s
      name: แจ้งปัญหาทดสอบทาง LINE
      description: "บริการสำหรับวัดความเร็วของระบบ (bench) เท่านั้น"
      sla_days: 7
      fields:
        - key: place
          type: location
          label: ตำแหน่งที่พบปัญหา
          required: true
        - key: details
          type: textarea
          label: รายละเอียดเพิ่มเติม
          max_length: 1000
      attachments:
        - key: photos
          label: ภาพถ่ายจุดที่พบปัญหา
          required: true
          types: [jpeg, png]
          max_mb: 5
          max_count: 3
""" % SERVICE


def make_tenants(folder):
    bl.make_tenants(folder)
    yaml = folder / bl.SLUG / "tenant.yaml"
    text = yaml.read_text(encoding="utf-8")
    assert "  complaints:\n" in text
    yaml.write_text(text.replace("  complaints:\n", SERVICE_YAML, 1), encoding="utf-8")


def make_photo(tmp):
    """A camera-like JPEG of about PHOTO_MB MB (plasma and noise) with an APP1 Exif block spliced in after SOI."""
    im = shutil.which("convert") or "/usr/bin/convert"
    side = 1600
    while True:
        base = tmp / "base.jpg"
        subprocess.run([im, "-seed", "7", "-size", "%dx%d" % (side * 4 // 3, side), "plasma:fractal", "-attenuate", "0.6",
                        "+noise", "Gaussian", "-quality", "95", str(base)], check=True)
        data = base.read_bytes()
        if len(data) >= PHOTO_MB * (1 << 20) or side > 6000:
            break
        side = int(side * 1.2)
    exif = (b"\xff\xe1\x00\x22Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08"
            b"\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01\x00\x01\x00\x00\x00\x00\x00\x00")
    return b"\xff\xd8" + exif + data[2:]


def build_requests(port, users):
    """The conversations' signed webhook requests in sending order, and per request (user, step, reply token)."""
    path = "/t/%s/line/webhook" % bl.SLUG
    group = int(RATE)
    out, meta = [], []
    for g in range(0, len(users), group):
        batch = users[g:g + group]
        for step in range(STEPS):
            for k, user in enumerate(batch):
                spec = [
                    {"type": "message", "user": user, "text": "แจ้งเรื่อง"},
                    {"type": "postback", "user": user, "data": "action=file-service&s=%s" % SERVICE},
                    {"type": "message", "user": user, "image": True, "messageId": str(800000000000000000 + g + k)},
                    {"type": "postback", "user": user, "data": "action=file-next"},
                    {"type": "message", "user": user,
                     "location": {"title": "หน้าตลาด", "address": "ตำบลทดสอบ", "latitude": 16.5 + k / 1000, "longitude": 100.3}},
                    {"type": "postback", "user": user, "data": "action=file-next"},
                    {"type": "postback", "user": user, "data": "action=file-confirm"},
                ][step]
                spec["replyToken"] = uuid.uuid4().hex
                built = line_events.build({"secret": bl.CHANNEL_SECRET, "destination": bl.BOT_USER, "events": [spec]})
                body = built["body"].encode("utf-8")
                head = ("POST %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUser-Agent: LineBotWebhook/2.0\r\n"
                        "Content-Type: application/json; charset=utf-8\r\nX-Line-Signature: %s\r\nContent-Length: %d\r\n\r\n"
                        % (path, port, built["signature"], len(body))).encode()
                out.append(head + body)
                meta.append((user, step, spec["replyToken"]))
    return out, meta


def main():
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if not bp.DB_URL:
        raise SystemExit("bench_line_filing: run me inside scripts/with-postgres.sh (TEST_POSTGRES_URL is not set)")
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="bench-line-filing-"))
    data, tenants = tmp / "data", tmp / "tenants"
    make_tenants(tenants)
    record = tmp / "line-record.jsonl"
    (tmp / "mail").mkdir()
    line = smtp = server = out_file = worker = None
    try:
        photo = make_photo(tmp)
        line = bl.LineServer(record)
        smtp = bl.Helper("smtp_sink.py", "--dir", str(tmp / "mail"))
        helpers = {"LINE server": line.proc.pid, "SMTP sink": smtp.proc.pid}
        port = bp.free_port()
        base = "http://127.0.0.1:%d" % port
        server, out_file = bp.start_server(tmp, port, data, tenants, OUTBOX_WORKER="off",
                                           SMTP_URL="smtp://127.0.0.1:%d?starttls=off" % smtp.port, LINE_API_BASE_URL=line.base,
                                           LINE_DATA_BASE_URL=line.base,
                                           LINE_BENCHTOWN_CHANNEL_SECRET=bl.CHANNEL_SECRET, LINE_BENCHTOWN_ACCESS_TOKEN=bl.ACCESS_TOKEN)
        bp.wait_ready(server, base, tmp)
        worker_log = open(tmp / "worker.out", "a")
        worker = bl.start_worker(server.bench_env, worker_log)
        n_users = int(RATE) * GROUPS
        users = sorted(bl.seed(n_users))
        t0 = time.time()
        requests, meta = build_requests(port, users)
        print("%d citizens, %d signed webhook bodies built in %.1f s; photo %.2f MB" % (len(users), len(requests), time.time() - t0,
                                                                                     len(photo) / (1 << 20)), flush=True)
        bl.wait_outbox_idle(60)
        line.reset()
        # After the reset (it forgets the served contents too): every message id gets the photo.
        urllib.request.urlopen(urllib.request.Request(
            line.base + "/_test/content", json.dumps({"messageId": "*", "base64": base64.b64encode(photo).decode()}).encode(),
            {"Content-Type": "application/json"}), timeout=60).read()
        tail = bl.RecordTail(record)
        waited, other_before = bp.wait_quiet(server.pid)
        meter = bl.Meter(server.pid, dict(helpers, worker=worker.pid))
        wall_minus_loop = time.time() - time.monotonic()  # asyncio's loop clock is time.monotonic()
        results = asyncio.run(bl.constant_rate(port, requests, RATE))
        events, drain = bl.wait_jobs("line.event", len(requests), 180)
        cpu = meter.stop()
        cpu.update(waited=waited, other_before=other_before)
        time.sleep(0.5)
        replies = {}
        for e in tail.read():
            if e["path"] == "/v2/bot/message/reply" and e["accepted"]:
                replies[e["body"]["replyToken"]] = e
        latency = [(r[2] - r[0]) * 1000 for r in results]
        all_ok = all(r[3] == 200 for r in results)
        p99 = bl.pct(latency, 99)
        number_s, missing = [], 0
        for (user, step, token), r in zip(meta, results):
            if step != STEPS - 1:
                continue
            e = replies.get(token)
            texts = json.dumps(e["body"]["messages"], ensure_ascii=False) if e else ""
            if e is None or "ยื่นคำร้องสำเร็จ เลขที่" not in texts:
                missing += 1
                continue
            number_s.append(e["time"] - (r[1] + wall_minus_loop))
        p95 = bl.pct(number_s, 95) if number_s else float("inf")
        filed = int(bp.psql("SELECT count(*) FROM petitions WHERE tenant_id = '%s' AND channel = 'line';" % bl.SLUG) or 0)
        photos = int(bp.psql("SELECT count(*) FROM petition_attachments a JOIN petitions p ON p.id = a.petition_id "
                             "WHERE p.tenant_id = '%s' AND p.channel = 'line';" % bl.SLUG) or 0)
        exact = filed == len(users) and photos == len(users) and missing == 0 and len(replies) == len(requests)
        rows = [
            ("webhook at %.0f events/s during %d complaints with a %.1f MB photo: latency p99 from the scheduled time (p50 %.1f, p95 %.1f, max %.1f ms)"
             % (RATE, len(users), len(photo) / (1 << 20), bl.pct(latency, 50), bl.pct(latency, 95), max(latency)),
             "<= %.0f ms" % TARGET_WEBHOOK_P99_MS, "%.1f ms" % p99, p99 <= TARGET_WEBHOOK_P99_MS and all_ok),
            ("tracking number in the chat after the confirm event: p95 (p50 %.2f, max %.2f s, %d of %d)"
             % (bl.pct(number_s, 50) if number_s else float("nan"), max(number_s, default=float("nan")), len(number_s), len(users)),
             "<= %.0f s" % TARGET_NUMBER_P95_S, "%.2f s" % p95, p95 <= TARGET_NUMBER_P95_S and missing == 0),
            ("petitions filed in LINE / their photos / replies accepted / events sent",
             "%d/%d/%d/%d" % (len(users), len(users), len(requests), len(requests)),
             "%d/%d/%d/%d" % (filed, photos, len(replies), len(requests)), exact),
        ]
        verdict = all(r[3] for r in rows)
        header = ["LINE complaint filing on PostgreSQL (issue 17, Speed)",
                  "  release build, APP_ENV=production, %d cores, one `eservice worker` process; LINE-compatible server and SMTP sink on"
                  " the same machine" % os.cpu_count(), ""]
        notes = ["  %s" % bl.cpu_note(cpu),
                 "  line.event jobs by status %s, finished %.1f s after the load" % (json.dumps(events), drain)]
        text = "\n".join(header + bl.format_rows(rows) + ["", "overall: %s" % ("PASS" if verdict else "FAIL"), "", "notes:"] + notes) + "\n"
        print(text)
        out = ROOT / "bench-results"
        out.mkdir(exist_ok=True)
        (out / "line-filing.txt").write_text(text, encoding="utf-8")
    finally:
        if worker:
            bl.stop_worker(worker)
        if server:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
            out_file.close()
        for helper in (line, smtp):
            if helper:
                helper.stop()
        if os.environ.get("KEEP") == "1":
            print("kept %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
