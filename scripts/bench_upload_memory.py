#!/usr/bin/env python3
"""Server memory while 20 clients upload big photos at once (issue 12, item 8: "memory stays bounded").

For each photo (a 12-megapixel one, within the tenant's 10 MB limit; a 40-megapixel one, 7300 x 5475; and the
40-megapixel picture at a quality that puts it over the limit), starts the release server afresh (SQLite, fresh
data directory), registers 20 citizens through the real pages, then has the 20 upload the photo as their profile
photo at the same moment. While they do, the server's resident memory is sampled (/proc/PID/status VmRSS every
20 ms) and its peak (VmHWM) read at the end. Prints the answers by status (2xx/303, 413, 429, 503), the peak RSS,
the RSS before the uploads, and what holding every body in memory would have cost. Writes
bench-results/upload-memory.txt.

The photos are made once into bench-results/ with Pillow when Python has it, else ImageMagick (`convert`, in the
bench dependencies).

Usage: scripts/bench_upload_memory.py BIN   (env: CLIENTS, default 20; IMAGE_WORKERS and IMAGE_QUEUE passed through)
"""
import http.client
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
OUT = ROOT / "bench-results"
BIN = sys.argv[1]
CLIENTS = int(os.environ.get("CLIENTS", "20"))
LIMIT_MB = 10  # Tenants/bangkrathum: identity.max_file_mb (default)


def make_photo(path, width, height, quality):
    """A phone-like picture: smooth colour areas with sensor-like noise (compresses like a photo, not like noise)."""
    if path.exists():
        return
    OUT.mkdir(exist_ok=True)
    try:
        from PIL import Image, ImageFilter
        small = (max(1, width // 64), max(1, height // 64))
        layers = []
        for seed, blur in ((1, 3), (2, 5), (3, 4)):
            noise = Image.effect_noise(small, 90).filter(ImageFilter.GaussianBlur(blur))
            layers.append(Image.blend(noise.resize((width, height), Image.BICUBIC), Image.effect_noise((width, height), 40), 0.12))
        Image.merge("RGB", layers).save(path, "JPEG", quality=quality, subsampling=2)
    except ImportError:
        convert = shutil.which("convert")
        if not convert:
            raise SystemExit("bench_upload_memory: needs Pillow or ImageMagick (scripts/install-deps.sh bench)")
        subprocess.run([convert, "-seed", "7", "-size", "%dx%d" % (width, height), "plasma:fractal", "-blur", "0x1.5",
                        "-attenuate", "0.4", "+noise", "Gaussian", "-sampling-factor", "2x2", "-quality", str(quality), str(path)],
                       check=True)




class FromAddress(urllib.request.HTTPHandler):
    """Connects from another loopback address: registration is limited to 10 an hour per address."""
    def __init__(self, source):
        super().__init__()
        self.source = source

    def http_open(self, req):
        return self.do_open(lambda host, **kw: http.client.HTTPConnection(host, source_address=(self.source, 0), **kw), req)


class Citizen:
    def __init__(self, base, n):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.source = "127.0.0.%d" % (2 + n // 8)
        self.opener = urllib.request.build_opener(FromAddress(self.source), urllib.request.HTTPCookieProcessor(self.jar))
        self.n = n

    @staticmethod
    def csrf(html):
        return re.search(r'name="_csrf" value="([^"]+)"', html).group(1)

    def get(self, path):
        with self.opener.open(self.base + path) as r:
            return r.read().decode()

    def post(self, path, fields):
        with self.opener.open(self.base + path, urllib.parse.urlencode(fields).encode()) as r:
            return r.read().decode()

    def register(self):
        token = self.csrf(self.get("/t/bangkrathum/register"))
        self.post("/t/bangkrathum/register", {"_csrf": token, "accept": "1"})
        token = self.csrf(self.get("/t/bangkrathum/register/details"))
        password = "Bench#Citizen2569"
        html = self.post("/t/bangkrathum/register/details", {
            "_csrf": token, "title": "นาย", "firstName": "ทดสอบ", "lastName": "หน่วยความจำ", "nationalID": bench_server.national_id(self.n, base=80_000_000),
            "birthDay": "1", "birthMonth": "1", "birthYear": "2530", "mobile": "0812345678",
            "email": "memory%d@example.com" % self.n, "address_house": "1", "address_province": "65",
            "address_district": "6505", "address_subdistrict": "650501", "address_postcode": "65110",
            "password": password, "passwordConfirm": password})
        assert "ยืนยันตัวตน" in html, html[:500]
        self.token = self.csrf(self.get("/t/bangkrathum/account/profile"))
        self.cookie = "; ".join("%s=%s" % (c.name, c.value) for c in self.jar)

    def upload(self, photo, port):
        """Sends the form in 64 KB pieces, as a phone on a fast network would; returns the status (0: connection
        closed by the server before its answer was read, which counts as refused while streaming)."""
        boundary = uuid.uuid4().hex
        head = (("--%s\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n%s\r\n" % (boundary, self.token))
                + ("--%s\r\nContent-Disposition: form-data; name=\"profile_photo\"; filename=\"p.jpg\"\r\n"
                   "Content-Type: image/jpeg\r\n\r\n" % boundary)).encode()
        tail = ("\r\n--%s--\r\n" % boundary).encode()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300, source_address=(self.source, 0))
        try:
            conn.putrequest("POST", "/t/bangkrathum/account/profile/photo")
            conn.putheader("Content-Type", "multipart/form-data; boundary=" + boundary)
            conn.putheader("Content-Length", str(len(head) + len(photo) + len(tail)))
            conn.putheader("Cookie", self.cookie)
            conn.endheaders()
            try:
                conn.send(head)
                view = memoryview(photo)
                for i in range(0, len(photo), 65536):
                    conn.send(view[i:i + 65536])
                conn.send(tail)
            except (BrokenPipeError, ConnectionResetError):
                pass  # refused while it arrived: the answer is waiting
            response = conn.getresponse()
            response.read()
            return response.status
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            return 0
        finally:
            conn.close()


def rss_kib(pid, field):
    text = pathlib.Path("/proc/%d/status" % pid).read_text()
    return int(re.search(r"%s:\s+(\d+)" % field, text).group(1))


def scenario(label, photo_path):
    photo = photo_path.read_bytes()
    server, base, port, data = bench_server.start(BIN, ROOT, "bench-upload-memory-")
    try:
        citizens = [Citizen(base, n) for n in range(CLIENTS)]
        for c in citizens:
            c.register()
        before = rss_kib(server.pid, "VmRSS")
        peak = [before]
        stop = threading.Event()

        def sample():
            while not stop.is_set():
                try:
                    peak[0] = max(peak[0], rss_kib(server.pid, "VmRSS"))
                except (FileNotFoundError, AttributeError):
                    return
                time.sleep(0.02)

        sampler = threading.Thread(target=sample)
        sampler.start()
        statuses = [None] * CLIENTS
        start = threading.Barrier(CLIENTS)

        def run(i):
            start.wait()
            statuses[i] = citizens[i].upload(photo, port)

        t0 = time.time()
        threads = [threading.Thread(target=run, args=(i,)) for i in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.time() - t0
        stop.set()
        sampler.join()
        hwm = rss_kib(server.pid, "VmHWM")
        left = sum(1 for _ in pathlib.Path(data, "tmp", "uploads").glob("*")) if pathlib.Path(data, "tmp", "uploads").exists() else 0
        counts = {k: 0 for k in ("2xx/303", "413", "429", "503", "other")}
        for s in statuses:
            key = "2xx/303" if s and 200 <= s < 400 else str(s) if s in (413, 429, 503) else "other"
            counts[key] += 1
        return [
            "%s: %d clients upload %s (%.1f MB) as their profile photo at once" % (label, CLIENTS, photo_path.name, len(photo) / 1e6),
            "  answers: " + ", ".join("%s %d" % (k, v) for k, v in counts.items() if v or k != "other")
            + "   (%.1f s for all)" % elapsed,
            "  server RSS before the uploads %.0f MiB, peak sampled %.0f MiB, VmHWM %.0f MiB (+%.0f MiB)"
            % (before / 1024, peak[0] / 1024, hwm / 1024, (hwm - before) / 1024),
            "  every body held in memory at once would be %.0f MiB; temporary upload files left: %d" % (CLIENTS * len(photo) / 2**20, left),
        ]
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(data, ignore_errors=True)


def main():
    photo12 = OUT / "photo-12mp-memory.jpg"
    photo40 = OUT / "photo-40mp.jpg"
    photo40big = OUT / "photo-40mp-q97.jpg"
    make_photo(photo12, 4000, 3000, 90)
    make_photo(photo40, 7300, 5475, 80)
    make_photo(photo40big, 7300, 5475, 97)
    workers = os.environ.get("IMAGE_WORKERS", "cores (%d)" % os.cpu_count())
    build = "release" if "/release/" in BIN else "debug" if "/debug/" in BIN else BIN
    lines = ["Server memory while %d clients upload at once (%s build, SQLite, IMAGE_WORKERS=%s, IMAGE_QUEUE=%s, limit %d MB per file)"
             % (CLIENTS, build, workers, os.environ.get("IMAGE_QUEUE", "2 x workers"), LIMIT_MB)]
    for label, path in (("12 MP", photo12), ("40 MP", photo40), ("40 MP over the limit", photo40big)):
        lines += scenario(label, path)
        print("\n".join(lines[-4:]), flush=True)
    OUT.mkdir(exist_ok=True)
    (OUT / "upload-memory.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
