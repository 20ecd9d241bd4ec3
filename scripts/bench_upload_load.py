#!/usr/bin/env python3
"""Home-page latency while identity images are being watermarked (issue: "while four watermarks run, the home
page's p99 latency stays within 2x its idle value").

Starts the release server (SQLite, fresh data directory), registers four citizens through the real pages,
measures the tenant home page with wrk while idle, then again while four clients upload a 12-megapixel phone
JPEG as their profile photo in a loop (each upload is decoded, turned, watermarked and stored, so four
watermarks are in flight at all times), and prints both p99 values and their ratio. Writes
bench-results/upload-load.txt.

Usage: scripts/bench_upload_load.py BIN PHOTO   (env: DURATION seconds, default 15; IMAGE_WORKERS passed through)
"""
import http.cookiejar
import os
import pathlib
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import uuid

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import bench_server  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
BIN, PHOTO = sys.argv[1], pathlib.Path(sys.argv[2])
DURATION = int(os.environ.get("DURATION", "15"))
CLIENTS = 4




class Citizen:
    def __init__(self, base, n):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.n = n

    def csrf(self, html):
        return re.search(r'name="_csrf" value="([^"]+)"', html).group(1)

    def get(self, path):
        with self.opener.open(self.base + path) as r:
            return r.read().decode()

    def post(self, path, fields):
        data = urllib.parse.urlencode(fields).encode()
        with self.opener.open(self.base + path, data) as r:
            return r.read().decode()

    def register(self):
        token = self.csrf(self.get("/t/bangkrathum/register"))
        self.post("/t/bangkrathum/register", {"_csrf": token, "accept": "1"})
        token = self.csrf(self.get("/t/bangkrathum/register/details"))
        password = "Bench#Citizen2569"
        html = self.post("/t/bangkrathum/register/details", {
            "_csrf": token, "title": "นาย", "firstName": "ทดสอบ", "lastName": "ภาระงาน", "nationalID": bench_server.national_id(self.n),
            "birthDay": "1", "birthMonth": "1", "birthYear": "2530", "mobile": "0812345678",
            "email": "bench%d@example.com" % self.n, "address_house": "1", "address_province": "65",
            "address_district": "6505", "address_subdistrict": "650501", "address_postcode": "65110",
            "password": password, "passwordConfirm": password})
        assert "ยืนยันตัวตน" in html, html[:500]
        self.token = self.csrf(self.get("/t/bangkrathum/account/profile"))

    def upload(self, photo):
        boundary = uuid.uuid4().hex
        body = (("--%s\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n%s\r\n" % (boundary, self.token)).encode()
                + ("--%s\r\nContent-Disposition: form-data; name=\"profile_photo\"; filename=\"p.jpg\"\r\n"
                   "Content-Type: image/jpeg\r\n\r\n" % boundary).encode()
                + photo + ("\r\n--%s--\r\n" % boundary).encode())
        req = urllib.request.Request(self.base + "/t/bangkrathum/account/profile/photo", body,
                                     {"Content-Type": "multipart/form-data; boundary=" + boundary})
        with self.opener.open(req) as r:
            r.read()
            return r.status


def wrk(url):
    out = subprocess.run(["wrk", "-t1", "-c8", "-d%ds" % DURATION, "--latency", url], capture_output=True, text=True, check=True).stdout
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    value = float(p99.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return value, rps


def main():
    server, base, port, data = bench_server.start(BIN, ROOT, "bench-upload-")
    try:
        citizens = [Citizen(base, n) for n in range(CLIENTS)]
        for c in citizens:
            c.register()
        photo = PHOTO.read_bytes()
        home = base + "/t/bangkrathum/"
        wrk(home)  # warm-up
        idle_p99, idle_rps = wrk(home)

        stop = threading.Event()
        done = [0] * CLIENTS
        errors = []

        def loop(i):
            while not stop.is_set():
                try:
                    citizens[i].upload(photo)
                    done[i] += 1
                except Exception as e:  # noqa: BLE001
                    errors.append(repr(e))
                    return

        threads = [threading.Thread(target=loop, args=(i,)) for i in range(CLIENTS)]
        for t in threads:
            t.start()
        time.sleep(2)  # all four in flight
        start = sum(done)
        t0 = time.time()
        load_p99, load_rps = wrk(home)
        elapsed = time.time() - t0
        marked = sum(done) - start
        stop.set()
        for t in threads:
            t.join()
        if errors:
            raise SystemExit("upload failed: %s" % errors[0])
        rss = int(re.search(r"VmHWM:\s+(\d+)", pathlib.Path("/proc/%d/status" % server.pid).read_text()).group(1)) / 1024
        lines = [
            "Home page latency while 4 clients upload a 12 MP JPEG (%s, %d bytes) as profile photo in a loop" % (PHOTO.name, len(photo)),
            "  (server: release, SQLite, IMAGE_WORKERS=%s; wrk -t1 -c8 -d%ds on /t/bangkrathum/)" % (os.environ.get("IMAGE_WORKERS", "cores"), DURATION),
            "  idle:             p99 %7.2f ms   %8.0f req/s" % (idle_p99, idle_rps),
            "  4 uploads going:  p99 %7.2f ms   %8.0f req/s   (%d images marked in %.1f s = %.2f/s)" % (load_p99, load_rps, marked, elapsed, marked / elapsed),
            "  p99 ratio loaded / idle: %.2f (target <= 2.0)" % (load_p99 / idle_p99),
            "  server peak RSS: %.0f MiB" % rss,
        ]
        print("\n".join(lines))
        out = ROOT / "bench-results"
        out.mkdir(exist_ok=True)
        (out / "upload-load.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    finally:
        server.terminate()
        server.wait(timeout=20)
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
