#!/usr/bin/env python3
"""Petitions on PostgreSQL (issue 5, "Speed"):

  1. filing throughput: a two-field form with a 1 MB PDF, >= 50 petitions/s at p95 <= 300 ms;
  2. "คำร้องของฉัน" (GET /t/{slug}/account/petitions) and the officer queue (GET /backoffice/t/{slug}/petitions)
     with 100,000 petitions in the tenant: p95 <= 50 ms, and the same number of queries per page whatever the
     page (size, number, filter).

Runs inside scripts/with-postgres.sh (it needs TEST_POSTGRES_URL; TEST_POSTGRES_DATA for the query counts).
Starts the release server (production mode) on that database with a bench-only tenants folder generated in a
temporary directory (tenant `benchtown`, code BEN, with a two-field permit `bench-permit` taking one PDF; and a
second tenant `benchother` whose petitions must never show), and gets every session through the real pages:
two citizens register (the filer is then marked verified with SQL, as an officer would after checking the ID
images); the first platform admin comes from the set-up link the server prints, enrols OTP, creates an officer
account; the officer signs in (birth-date password, new password, OTP enrolment), asks for Officer rights in
benchtown, and the platform admin approves. TOTP codes are computed here (RFC 6238).

The 100,000 petitions (mixed statuses, services and channels over two years, some overdue; 5,000 of them the
reading citizen's, the rest spread over 2,000 other citizens and Open311) and one timeline entry each are
written with SQL (generate_series); 20,000 more go to the second tenant.

Filing is driven by wrk (bench/petitions/load.lua: a prebuilt multipart body, a fresh `_submission` per
request); afterwards the database must hold exactly one petition and one attachment per 303 (plus those still
in flight when wrk stopped) and the file store the same number of files, each the PDF's size. The throwaway
server runs without fsync, so filing is measured once more, for half as long, with durable commits (fsync and
synchronous_commit on, as in production). The pages are driven by wrk with the session cookies. Queries per
page are counted from PostgreSQL's own statement log (log_statement = all, switched on for the counting only),
and every counted SELECT is run again under EXPLAIN ANALYZE so the report says how much of a page's time is
the database's.

Prints a table (figure, target, measured, PASS/FAIL) and writes bench-results/petitions.txt, with the
statements and the slowest plans in bench-results/petitions-queries.txt (petitions-only*.txt with ONLY).

Usage: scripts/with-postgres.sh python3 scripts/bench_petitions.py BIN
Env: FILE_SECONDS (20), LIST_SECONDS (10), PETITIONS (100000), IMAGE_WORKERS (passed through), KEEP=1 keeps
the temporary directory (data, tenants, server output), PROFILE=FILE records the server with `perf record -g`
while wrk loads the page whose title starts with PROFILE_PAGE (default "my petitions: all, page 1"); ONLY=REGEX
measures only the pages whose titles match it, and no filing.
Before each wrk run the bench waits (up to QUIET_WAIT s, default 90) until the rest of the machine uses less
than QUIET_OTHER_CPU % of a core (default 25), and the notes give every run's CPU split: server, PostgreSQL,
wrk, and the rest of the machine, so a figure taken on a busy shared machine says so.
"""
import base64
import hashlib
import hmac
import http.cookiejar
import json
import os
import pathlib
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[1]
LUA = ROOT / "bench/petitions/load.lua"
BIN = sys.argv[1] if len(sys.argv) > 1 else ".build/release/eservice"
FILE_SECONDS = int(os.environ.get("FILE_SECONDS", "20"))
LIST_SECONDS = int(os.environ.get("LIST_SECONDS", "10"))
PETITIONS = int(os.environ.get("PETITIONS", "100000"))
UPLOAD_BUDGET = "100000"
MINE = PETITIONS // 20  # the reading citizen's share
OTHER_CITIZENS = 2000
OTHER_TENANT_PETITIONS = PETITIONS // 5
SLUG, CODE = "benchtown", "BEN"
OTHER_SLUG, OTHER_CODE = "benchother", "BOT"
PASSWORD = "Bench#Citizen2569"
TARGET_FILED_PER_S = 50.0
TARGET_FILE_P95_MS = 300.0
TARGET_LIST_P95_MS = 50.0
TARGET_DASHBOARD_P95_MS = 100.0
TARGET_CSV_S, TARGET_XLSX_S, TARGET_EXPORT_RSS_MB = 5.0, 15.0, 50.0
PDF_BYTES = 1 << 20
ONLY = os.environ.get("ONLY")

DB_URL = os.environ.get("TEST_POSTGRES_URL")
PG_DATA = os.environ.get("TEST_POSTGRES_DATA")
PG_BIN = os.environ.get("TEST_POSTGRES_BIN", "")
PSQL = os.path.join(PG_BIN, "psql") if PG_BIN and os.path.exists(os.path.join(PG_BIN, "psql")) else "psql"
CLK_TCK = os.sysconf("SC_CLK_TCK")


# ----------------------------------------------------------------------------------------------- helpers

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def national_id(n):
    digits = [1] + [int(c) for c in "%011d" % (80_000_000 + n * 7919)]
    check = (11 - sum(v * (13 - i) for i, v in enumerate(digits)) % 11) % 10
    return "".join(map(str, digits + [check]))


def totp(secret, at=None, period=30, digits=6):
    """RFC 6238 (HMAC-SHA1), what the enrolment page's secret gives in an authenticator app."""
    secret = re.sub(r"\s+", "", secret).upper()
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    mac = hmac.new(key, struct.pack(">Q", int((at or time.time()) // period)), hashlib.sha1).digest()
    o = mac[-1] & 15
    return str((struct.unpack(">I", mac[o:o + 4])[0] & 0x7FFFFFFF) % 10 ** digits).zfill(digits)


def psql(sql, admin=False, quiet=False):
    """Runs SQL with psql: as the app's role on TEST_POSTGRES_URL, or as the superuser over the local socket."""
    if admin:
        port = urllib.parse.urlparse(DB_URL).port
        target = ["-h", PG_DATA, "-p", str(port), "-U", "postgres", "-d", urllib.parse.urlparse(DB_URL).path.lstrip("/")]
    else:
        target = ["-d", DB_URL]
    r = subprocess.run([PSQL, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", *target], input=sql, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit("psql failed: %s\n%s" % (r.stderr.strip(), sql[:2000]))
    return r.stdout.strip()


def cpu_ticks(pids):
    total = 0
    for pid in pids:
        try:
            fields = pathlib.Path("/proc/%d/stat" % pid).read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (FileNotFoundError, ProcessLookupError, IndexError):
            pass
    return total


def postgres_pids():
    """The throwaway server's postmaster and its children (backends, writer, ...)."""
    if not PG_DATA:
        return []
    try:
        master = int(pathlib.Path(PG_DATA, "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError):
        return []
    pids = [master]
    for d in pathlib.Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if int((d / "stat").read_text().rsplit(")", 1)[1].split()[1]) == master:
                    pids.append(int(d.name))
            except (OSError, IndexError, ValueError):
                pass
    return pids


def system_busy():
    """CPU time the machine's processes got (all cores; user, nice, system, and steal by other VMs), in clock
    ticks, from /proc/stat. Interrupt time is left out: much of it is this bench's own loopback traffic."""
    v = [int(x) for x in pathlib.Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return v[0] + v[1] + v[2] + v[7]


class CPUMeter:
    """CPU used by the server, by PostgreSQL, by wrk and this script, and by everything else on the machine
    (other people's builds and tests on a shared machine), as % of one core over the measured span."""

    def __init__(self, server_pid):
        self.server_pid = server_pid
        self.start = self.sample()

    def sample(self):
        t = os.times()
        return (time.time(), system_busy(), cpu_ticks([self.server_pid]), cpu_ticks(postgres_pids()),
                (t.user + t.system + t.children_user + t.children_system) * CLK_TCK)

    def stop(self):
        end = self.sample()
        wall = end[0] - self.start[0]
        d = [e - s for e, s in zip(end[1:], self.start[1:])]
        pct = lambda ticks: max(0.0, ticks / CLK_TCK / wall * 100)
        return {"server_cpu": pct(d[1]), "pg_cpu": pct(d[2]), "bench_cpu": pct(d[3]), "other_cpu": pct(d[0] - d[1] - d[2] - d[3])}


QUIET_OTHER_CPU = float(os.environ.get("QUIET_OTHER_CPU", "25"))
QUIET_WAIT = int(os.environ.get("QUIET_WAIT", "90"))


def wait_quiet(server_pid):
    """Waits (up to QUIET_WAIT s) until the rest of the machine uses less than QUIET_OTHER_CPU % of a core, so a
    figure measures this server and not someone else's build. Returns the seconds waited and the last reading."""
    t0 = time.time()
    while True:
        meter = CPUMeter(server_pid)
        time.sleep(1.0)
        other = meter.stop()["other_cpu"]
        if other < QUIET_OTHER_CPU or time.time() - t0 > QUIET_WAIT:
            return time.time() - t0, other


def sample_pdf(size):
    """A valid one-page PDF of about `size` bytes: a page showing a grey-noise image (like a scan), so nothing
    compresses it and libmagic reads it as application/pdf."""
    width = 1024
    height = max(1, (size - 1200) // width)
    pixels = random.Random(5).randbytes(width * height)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8 /Length %d >>\nstream\n"
        % (width, height, len(pixels)) + pixels + b"\nendstream",
    ]
    content = b"q 595 0 0 842 0 0 cm /Im1 Do Q"
    objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


# ------------------------------------------------------------------------------------- tenants folder

SERVICES = {
    # slug: (menu, Thai name, SLA days)
    "bench-permit": ("online", "ขออนุญาตทดสอบสมรรถนะระบบ", 15),
    "bench-complaint": ("complaints", "แจ้งเรื่องทดสอบสมรรถนะระบบ", 7),
    "bench-tax": ("account", "ยื่นแบบทดสอบสมรรถนะระบบ", 30),
}


def tenant_yaml(slug, code, name_th, name_en):
    def simple(slug_):
        menu, name, sla = SERVICES[slug_]
        return """    - slug: %s
      name: %s
      description: "บริการสำหรับวัดความเร็วของระบบ (bench) เท่านั้น"
      sla_days: %d
      fields:
        - key: subject
          type: text
          label: เรื่อง
          required: true
          max_length: 200
        - key: kind
          type: select
          label: ประเภทคำขอ
          required: true
          options: [ขอใหม่, ขอต่ออายุ, ขอแก้ไข]
      attachments:
        - key: document
          label: เอกสารประกอบคำขอ (PDF)
          required: true
          types: [pdf]
          max_mb: 2
          max_count: 1
""" % (slug_, name, sla)

    menus = {}
    for s, (menu, _, _) in SERVICES.items():
        menus.setdefault(menu, []).append(simple(s))
    return """# Generated by scripts/bench_petitions.py for the petitions benchmark only.
name:
  th: %s
  en: %s
code: %s
hosts: [%s.localhost]
contact:
  address: "สำนักงานเทศบาลทดสอบ เลขที่ 1 หมู่ที่ 1"
  phone: "0 5500 0000"
colors:
  primary: "#0b5d3b"
  accent: "#f2b705"
logo: logo.svg
terms: terms.md
identity:
  images:
    - label: ภาพถ่ายหน้าบัตรประจำตัวประชาชน
menus:
%s""" % (name_th, name_en, code, slug, "".join("  %s:\n%s" % (m, "".join(v)) for m, v in menus.items()))


def make_tenants(folder):
    (folder / "_org").mkdir(parents=True)
    shutil.copy(ROOT / "Tenants/_org/units.yaml", folder / "_org/units.yaml")
    for slug, code, th, en in [(SLUG, CODE, "เทศบาลตำบลทดสอบสมรรถนะ", "Bench Town Municipality"),
                               (OTHER_SLUG, OTHER_CODE, "เทศบาลตำบลทดสอบอีกแห่ง", "Bench Other Municipality")]:
        d = folder / slug
        d.mkdir()
        (d / "tenant.yaml").write_text(tenant_yaml(slug, code, th, en), encoding="utf-8")
        shutil.copy(ROOT / "Tenants/bangkrathum/logo.svg", d / "logo.svg")
        shutil.copy(ROOT / "Tenants/bangkrathum/terms.md", d / "terms.md")


# --------------------------------------------------------------------------------------- web clients

class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Client:
    """A browser-like session: cookies, the form's CSRF token and action read from each page."""

    def __init__(self, base):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.raw = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)

    @property
    def cookie(self):
        return "; ".join("%s=%s" % (c.name, c.value) for c in self.jar)

    def get(self, path):
        with self.opener.open(self.base + path, timeout=60) as r:
            return r.read().decode(), r.geturl()

    def status(self, path):
        """Status of a GET without following redirects."""
        try:
            with self.raw.open(self.base + path, timeout=60) as r:
                r.read()
                return r.status
        except urllib.error.HTTPError as e:
            return e.code

    def post(self, path, fields):
        data = urllib.parse.urlencode(fields, doseq=True).encode()
        try:
            with self.opener.open(self.base + path, data, timeout=60) as r:
                return r.read().decode(), r.geturl()
        except urllib.error.HTTPError as e:
            raise SystemExit("POST %s: HTTP %d\n%s" % (path, e.code, e.read().decode(errors="replace")[:3000]))

    def submit(self, path, fields, form=0):
        """GETs the page, fills its form number `form` (CSRF token included), POSTs it to the form's action."""
        html, url = self.get(path)
        action, csrf = form_of(html, form)
        return self.post(urllib.parse.urlparse(action).path if action.startswith("http") else action or path,
                         {"_csrf": csrf, **fields})

    def register(self, n, slug, email):
        self.submit("/t/%s/register" % slug, {"accept": "1"})
        html, _ = self.submit("/t/%s/register/details" % slug, {
            "title": "นาย", "firstName": "ทดสอบ", "lastName": ["ผู้ยื่น", "ผู้อ่าน", "สมรรถนะ"][n % 3], "nationalID": national_id(n),
            "birthDay": "1", "birthMonth": "1", "birthYear": "2530", "mobile": "0812345678", "email": email,
            "address_house": "1", "address_province": "65", "address_district": "6505", "address_subdistrict": "650501",
            "address_postcode": "65110", "password": PASSWORD, "passwordConfirm": PASSWORD})
        assert "ยืนยันตัวตน" in html, html[:1500]


def multipart(boundary, parts):
    """A multipart/form-data body: `parts` are (name, value) pairs, a value being text or (filename, type, bytes)."""
    out = b""
    for name, value in parts:
        if isinstance(value, tuple):
            filename, ctype, data = value
            out += ('--%s\r\nContent-Disposition: form-data; name="%s"; filename="%s"\r\nContent-Type: %s\r\n\r\n'
                    % (boundary, name, filename, ctype)).encode() + data + b"\r\n"
        else:
            out += ('--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n' % (boundary, name, value)).encode()
    return out + ("--%s--\r\n" % boundary).encode()


def form_of(html, index=0):
    """The action and CSRF token of the page's form number `index`, not counting the header's sign-out form."""
    forms = [(m.group(1), m.group(2)) for m in re.finditer(r'<form([^>]*method="post"[^>]*)>(.*?)</form>', html, re.S)
             if 'class="signout"' not in m.group(1)]
    if len(forms) <= index:
        raise SystemExit("no form on the page:\n" + html[:3000])
    attrs, body = forms[index]
    action = re.search(r'action="([^"]*)"', attrs)
    csrf = re.search(r'name="_csrf" value="([^"]+)"', body)
    return (action.group(1) if action else ""), (csrf.group(1) if csrf else "")


def enrol(client, html):
    secret = re.search(r'id="secret">([^<]+)<', html)
    assert secret, html[:3000]
    secret = secret.group(1).strip()
    action, csrf = form_of(html)
    page, _ = client.post(action, {"_csrf": csrf, "code": totp(secret)})
    assert "recovery-codes" in page, page[:3000]
    return secret


# --------------------------------------------------------------------------------------------- seeding

SEED_SQL = r"""
BEGIN;
-- Other citizens of the tenant (their names are what the officer's name search looks through).
INSERT INTO citizens (id, tenant_id, national_id_sealed, national_id_hash, national_id_tail, title, first_name, last_name,
  birth_date, mobile, email, address_house, province_code, district_code, subdistrict_code, postcode, password_hash,
  session_epoch, verification_status, identity_version, terms_accepted_at, created_at, updated_at)
SELECT md5(:'tenant' || '-citizen-' || k)::uuid, :'tenant', 'bench-not-sealed', md5(:'tenant' || '-nid-' || k), lpad((k % 1000)::text, 3, '0'),
  (ARRAY['นาย','นาง','นางสาว'])[1 + k % 3],
  (ARRAY['สมชาย','สมหญิง','ประเสริฐ','วิไล','สุนทร','มาลี','ธนากร','กาญจนา','อนุชา','พรทิพย์','ชัยวัฒน์','สุภาพร','วีระ','รัตนา','ปิยะ','นงลักษณ์','สมศักดิ์','อรุณี','ณัฐพล','จันทร์เพ็ญ'])[1 + k % 20],
  (ARRAY['ใจดี','มีสุข','รุ่งเรือง','ศรีสวัสดิ์','ทองคำ','บุญมา','แก้วมณี','สุขสันต์','พิทักษ์','วงศ์ไทย','เจริญผล','อินทร์แก้ว','ชัยมงคล','ศรีสุข','บุญเรือง','ทองดี','สายบุญ','มั่นคง','นาคสวัสดิ์','พรหมมา','จันทร์หอม','เพชรรัตน์','ยอดยิ่ง','สมบูรณ์','ปัญญาดี','รักษ์ไทย','ดวงดี','คงสุข','แสงทอง','อ่อนศรี'])[1 + (k / 20) % 30]
    || CASE WHEN k >= 600 THEN (k / 600)::text ELSE '' END,
  '1980-01-01', '0800000000', 'citizen' || k || '@example.com', '1', '65', '6505', '650501', '65110', 'x',
  0, 'verified', 1, now(), now(), now()
FROM generate_series(0, :others - 1) AS k;

-- The petitions: two years of them, the newest ones mostly still open, older ones mostly finished (and the
-- few still open past their due date), three services, a few from Open311.
CREATE TEMP TABLE seed AS
SELECT i,
  now() - ((:n - i) * (730 * 86400.0 / :n) + abs(hashint4(i + 7)) % 600) * interval '1 second' AS created,
  abs(hashint4(i)) % 100 AS h,
  abs(hashint4(i + 1000003)) % 10 AS s
FROM generate_series(1, :n) AS i;

CREATE TEMP TABLE seeded AS
SELECT i, created,
  CASE WHEN created > now() - interval '36 days' THEN
         CASE WHEN h < 40 THEN 'submitted' WHEN h < 65 THEN 'accepted' WHEN h < 90 THEN 'in_progress'
              WHEN h < 97 THEN 'completed' ELSE 'cannot_proceed' END
       ELSE CASE WHEN h < 1 THEN 'submitted' WHEN h < 2 THEN 'accepted' WHEN h < 4 THEN 'in_progress'
              WHEN h < 88 THEN 'completed' ELSE 'cannot_proceed' END END AS status,
  CASE WHEN s < 4 THEN 'bench-permit' WHEN s < 7 THEN 'bench-complaint' ELSE 'bench-tax' END AS service,
  CASE WHEN s < 4 THEN 'online' WHEN s < 7 THEN 'complaints' ELSE 'account' END AS menu,
  CASE WHEN s < 4 THEN :'permit_name' WHEN s < 7 THEN :'complaint_name' ELSE :'tax_name' END AS service_name,
  CASE WHEN s < 4 THEN 15 WHEN s < 7 THEN 7 ELSE 30 END AS sla,
  CASE WHEN :'mine' <> '' AND i % 20 = 0 THEN NULLIF(:'mine', '')::uuid
       WHEN i % 50 = 1 THEN NULL
       ELSE md5(:'tenant' || '-citizen-' || (abs(hashint4(i + 77)) % :others))::uuid END AS citizen,
  extract(year FROM created AT TIME ZONE 'Asia/Bangkok')::int + 543 AS year
FROM seed;

CREATE TEMP TABLE numbered AS
SELECT seeded.*, row_number() OVER (PARTITION BY year ORDER BY created, i)
  + COALESCE((SELECT value FROM sequences WHERE scope = 'petition:' || :'tenant' AND sequences.year = seeded.year), 0) AS seq
FROM seeded;

-- The tenant's divisions; each service is handled by one (its petitions carry its code).
INSERT INTO divisions (id, tenant_id, code, name, head_staff_id, position, created_at, updated_at)
VALUES (md5(:'tenant' || '-division-works')::uuid, :'tenant', 'works', 'กองช่าง', NULL, 1, now(), now()),
       (md5(:'tenant' || '-division-health')::uuid, :'tenant', 'health', 'กองสาธารณสุขและสิ่งแวดล้อม', NULL, 2, now(), now()),
       (md5(:'tenant' || '-division-finance')::uuid, :'tenant', 'finance', 'กองคลัง', NULL, 3, now(), now())
ON CONFLICT DO NOTHING;

-- Finished petitions carry their close time and the working days taken (about 5 of every 7 calendar days);
-- the channels: Open311 for the petitions without a citizen, and some LINE, counter and phone filings.
INSERT INTO petitions (id, tenant_id, number, citizen_id, menu, service, service_name, form_version, answers, status,
  status_changed_at, due_at, submission_key, version, created_at, updated_at, channel, api_key_id, requester,
  division, closed_at, work_days)
SELECT md5(:'tenant' || '-petition-' || i)::uuid, :'tenant', :'code' || '-' || year || '-' || lpad(seq::text, 6, '0'), citizen,
  menu, service, service_name, 1, :'answers', status,
  LEAST(now(), created + CASE WHEN status = 'submitted' THEN interval '0' ELSE (1 + i % 20) * interval '1 day' END),
  created + sla * interval '1 day', 'seed:' || i, CASE WHEN status = 'submitted' THEN 1 ELSE 2 END,
  created, created,
  CASE WHEN citizen IS NULL THEN 'open311' WHEN i % 10 = 3 THEN 'line' WHEN i % 10 = 5 THEN 'counter'
       WHEN i % 10 = 7 THEN 'phone' ELSE 'web' END, NULL,
  CASE WHEN citizen IS NULL THEN '{"first_name":"ผู้แจ้ง","last_name":"ผ่านระบบ"}' END,
  CASE WHEN service = 'bench-permit' THEN 'works' WHEN service = 'bench-complaint' THEN 'health' ELSE 'finance' END,
  CASE WHEN status IN ('completed', 'cannot_proceed') THEN LEAST(now(), created + (1 + i % 20) * interval '1 day') END,
  CASE WHEN status IN ('completed', 'cannot_proceed') THEN ((1 + i % 20) * 5) / 7 END
FROM numbered;

INSERT INTO petition_events (id, tenant_id, petition_id, from_status, to_status, note, actor_kind, actor_id, actor_name, created_at)
SELECT md5(:'tenant' || '-event-' || i)::uuid, :'tenant', md5(:'tenant' || '-petition-' || i)::uuid, NULL, 'submitted', NULL,
  CASE WHEN citizen IS NULL THEN 'api' ELSE 'citizen' END, citizen, 'ผู้ยื่นคำร้อง', created
FROM numbered;

INSERT INTO sequences (scope, year, value)
SELECT 'petition:' || :'tenant', year, max(seq) FROM numbered GROUP BY year
ON CONFLICT (scope, year) DO UPDATE SET value = GREATEST(sequences.value, EXCLUDED.value);

-- The kept counts per service and status, and per month (Bangkok) for the dashboard, as the filings and
-- moves would have left them.
INSERT INTO petition_counts (tenant_id, service, status, n)
SELECT :'tenant', service, status, count(*) FROM numbered GROUP BY service, status
ON CONFLICT (tenant_id, service, status) DO UPDATE SET n = petition_counts.n + EXCLUDED.n;
INSERT INTO petition_month_received (tenant_id, month, channel, n, open_n)
SELECT tenant_id, (extract(year FROM created_at AT TIME ZONE 'Asia/Bangkok')::int * 12
    + extract(month FROM created_at AT TIME ZONE 'Asia/Bangkok')::int - 1), channel,
  count(*), count(*) FILTER (WHERE status IN ('submitted', 'accepted', 'in_progress'))
FROM petitions WHERE tenant_id = :'tenant' AND submission_key LIKE 'seed:%' GROUP BY 1, 2, 3
ON CONFLICT (tenant_id, month, channel) DO UPDATE
  SET n = petition_month_received.n + EXCLUDED.n, open_n = petition_month_received.open_n + EXCLUDED.open_n;
INSERT INTO petition_month_completed (tenant_id, month, service, division, work_days, n)
SELECT tenant_id, (extract(year FROM closed_at AT TIME ZONE 'Asia/Bangkok')::int * 12
    + extract(month FROM closed_at AT TIME ZONE 'Asia/Bangkok')::int - 1), service, COALESCE(division, ''), work_days, count(*)
FROM petitions WHERE tenant_id = :'tenant' AND submission_key LIKE 'seed:%' AND status = 'completed' GROUP BY 1, 2, 3, 4, 5
ON CONFLICT (tenant_id, month, service, division, work_days) DO UPDATE SET n = petition_month_completed.n + EXCLUDED.n;
COMMIT;
"""


MONTHS_CHECK_SQL = """
WITH fresh_received AS (
  SELECT (extract(year FROM created_at AT TIME ZONE 'Asia/Bangkok')::int * 12
      + extract(month FROM created_at AT TIME ZONE 'Asia/Bangkok')::int - 1) AS month, channel,
    count(*) AS n, count(*) FILTER (WHERE status IN ('submitted', 'accepted', 'in_progress')) AS open_n
  FROM petitions WHERE tenant_id = :tenant GROUP BY 1, 2),
kept_received AS (
  SELECT month, channel, n::bigint, open_n::bigint FROM petition_month_received WHERE tenant_id = :tenant AND (n <> 0 OR open_n <> 0)),
fresh_completed AS (
  SELECT (extract(year FROM closed_at AT TIME ZONE 'Asia/Bangkok')::int * 12
      + extract(month FROM closed_at AT TIME ZONE 'Asia/Bangkok')::int - 1) AS month, service, COALESCE(division, '') AS division,
    work_days, count(*) AS n
  FROM petitions WHERE tenant_id = :tenant AND status = 'completed' GROUP BY 1, 2, 3, 4),
kept_completed AS (
  SELECT month, service, division, work_days, n::bigint FROM petition_month_completed WHERE tenant_id = :tenant AND n <> 0)
SELECT (SELECT count(*) FROM (SELECT * FROM fresh_received EXCEPT SELECT * FROM kept_received) a)
     + (SELECT count(*) FROM (SELECT * FROM kept_received EXCEPT SELECT * FROM fresh_received) b)
     + (SELECT count(*) FROM (SELECT * FROM fresh_completed EXCEPT SELECT * FROM kept_completed) c)
     + (SELECT count(*) FROM (SELECT * FROM kept_completed EXCEPT SELECT * FROM fresh_completed) d);
"""


def seed(tenant, code, n, others, mine_id, answers):
    names = {k: v[1] for k, v in SERVICES.items()}
    variables = {"tenant": tenant, "code": code, "n": str(n), "others": str(others), "mine": mine_id or "",
                 "answers": answers, "permit_name": names["bench-permit"], "complaint_name": names["bench-complaint"],
                 "tax_name": names["bench-tax"]}
    sets = "".join("\\set %s %s\n" % (k, _psql_word(v)) for k, v in variables.items())
    psql(sets + SEED_SQL)


def _psql_word(value):
    """A psql \\set value, single-quoted: '' for a quote, backslashes doubled."""
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


# ----------------------------------------------------------------------------------------- measuring

def wrk(url, mode_args, threads, connections, seconds, server_pid):
    waited, other_before = wait_quiet(server_pid)
    meter = CPUMeter(server_pid)
    cmd = ["wrk", "-t%d" % threads, "-c%d" % connections, "-d%ds" % seconds, "--timeout", "10s", "-s", str(LUA), url, "--", *mode_args]
    out = subprocess.run(cmd, capture_output=True, text=True)
    cpu = meter.stop()
    line = next((l for l in out.stdout.splitlines() if l.startswith("BENCH ")), None)
    if out.returncode != 0 or line is None:
        raise SystemExit("wrk failed (%d): %s\n%s" % (out.returncode, out.stderr, out.stdout))
    r = {k: int(v) for k, v in (kv.split("=") for kv in line.split()[1:])}
    r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
    r.update(cpu, waited=waited, other_before=other_before)
    r["errors"] = r["connect"] + r["read"] + r["write"] + r["timeout"]
    return r


class StatementLog:
    """Counts the statements the app sends for one page load, from PostgreSQL's log (log_statement = all)."""
    LINE = re.compile(r"^\S+ \S+ \S+ \[(\d+)\] ([^|]*)\|LOG:  (?:statement|execute [^:]*): (.*)$")
    PARAMS = re.compile(r"^\S+ \S+ \S+ \[(\d+)\] ([^|]*)\|DETAIL:  parameters: (.*)$")
    PREFIX = re.compile(r"^\S+ \S+ \S+ \[\d+\] ")

    def __init__(self):
        self.log = pathlib.Path(PG_DATA, "server.log")

    def __enter__(self):
        psql("ALTER SYSTEM SET log_statement = 'all'; ALTER SYSTEM SET log_line_prefix = '%m [%p] %a|'; SELECT pg_reload_conf();", admin=True)
        time.sleep(1)
        return self

    def __exit__(self, *exc):
        psql("ALTER SYSTEM RESET log_statement; ALTER SYSTEM RESET log_line_prefix; SELECT pg_reload_conf();", admin=True)

    def statements(self, client, path):
        """The app's statements while `client` loads `path` (status checked), with their parameters."""
        time.sleep(0.3)  # let anything still running (a background sweep) finish
        start = self.log.stat().st_size
        status = client.status(path)
        time.sleep(0.3)
        lines = self.log.read_bytes()[start:].decode(errors="replace").splitlines()
        found, last = [], {}
        for i, line in enumerate(lines):
            m = self.LINE.match(line)
            if m and m.group(2) != "psql":
                sql = [m.group(3)]
                for nxt in lines[i + 1:]:  # a statement's text goes on over the next lines up to the next entry
                    if self.PREFIX.match(nxt):
                        break
                    sql.append(nxt)
                found.append(["\n".join(sql), None])
                last[m.group(1)] = found[-1]
                continue
            p = self.PARAMS.match(line)
            if p and p.group(1) in last and last[p.group(1)][1] is None:
                last[p.group(1)][1] = p.group(3)
        return status, [tuple(x) for x in found]


def bind(sql, params):
    """The statement with its logged parameters written in, for EXPLAIN."""
    if params:
        values = dict(re.findall(r"\$(\d+) = ((?:'(?:[^']|'')*')|NULL)", params))
        for k in sorted(values, key=int, reverse=True):
            sql = sql.replace("$%s" % k, values[k])
    return sql


def explain(sql):
    out = psql("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql)
    plan = json.loads(out)[0]
    return plan["Execution Time"] + plan.get("Planning Time", 0), plan


def plan_text(sql):
    return psql("EXPLAIN (ANALYZE, BUFFERS) " + sql)


# ------------------------------------------------------------------------------------------------ main

def start_server(tmp, port, data, tenants, **env_overrides):
    """The release server (BIN, production mode) on TEST_POSTGRES_URL, its output in tmp/server.out (where
    sign_in_officer finds the set-up link). env_overrides replace the bench's environment (None removes one)."""
    base = "http://127.0.0.1:%d" % port
    env = dict(os.environ, APP_ENV="production", DATA_DIR=str(data), TENANTS_DIR=str(tenants), DATABASE_URL=DB_URL,
               PUBLIC_BASE_URL=base, APP_SECRET="bench-secret-" + "x" * 40, SMTP_URL="smtp://127.0.0.1:9?starttls=off",
               MAIL_FROM="bench@example.com", OUTBOX_WORKER="off", LOG_LEVEL="warning", PASSWORD_HASH_COST="10",
               # One citizen files thousands of petitions with a PDF each: lift the per-account upload budget
               # (30 files an hour by default), which would answer 429 after the 30th, so filing itself is measured.
               UPLOAD_FILES_PER_HOUR=UPLOAD_BUDGET)
    for k, v in env_overrides.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    out_file = open(tmp / "server.out", "w")
    server = subprocess.Popen([os.path.abspath(BIN), "serve", "--hostname", "127.0.0.1", "--port", str(port)], cwd=ROOT, env=env,
                              stdout=out_file, stderr=subprocess.STDOUT)
    server.bench_env = env  # for `eservice worker` processes on the same settings
    return server, out_file


def wait_ready(server, base, tmp):
    for _ in range(600):
        if server.poll() is not None:
            raise SystemExit("server stopped:\n" + (tmp / "server.out").read_text())
        try:
            urllib.request.urlopen(base + "/readyz", timeout=1).read()
            return
        except Exception:
            time.sleep(0.2)
    raise SystemExit("server did not become ready:\n" + (tmp / "server.out").read_text())


def main():
    # with-postgres.sh runs this in the background, where SIGINT arrives ignored, and forwards INT or TERM: either
    # must still run the `finally` below that stops the server.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if not DB_URL:
        raise SystemExit("bench_petitions: run me inside scripts/with-postgres.sh (TEST_POSTGRES_URL is not set)")
    if shutil.which("wrk") is None:
        raise SystemExit("bench_petitions: wrk is missing (scripts/install-deps.sh bench)")
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="bench-petitions-"))
    data, tenants = tmp / "data", tmp / "tenants"
    make_tenants(tenants)
    port = free_port()
    base = "http://127.0.0.1:%d" % port
    server, out_file = start_server(tmp, port, data, tenants)
    details = []
    try:
        wait_ready(server, base, tmp)
        pg_version = psql("SHOW server_version;")
        pg_conf = psql("SELECT string_agg(name || '=' || current_setting(name), ', ' ORDER BY name) FROM pg_settings "
                       "WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes', 'shared_buffers', 'max_parallel_workers_per_gather');")

        # ---- people, through the real pages
        filer, reader = Client(base), Client(base)
        filer.register(1, SLUG, "bench-filer@example.com")
        reader.register(2, SLUG, "bench-reader@example.com")
        psql("UPDATE citizens SET verification_status = 'verified', verified_at = now() "
             "WHERE tenant_id = '%s' AND email = 'bench-filer@example.com';" % SLUG)
        # Their addresses count as confirmed (the link is in a mail the bench does not deliver), so each filing's
        # notices are written as a real citizen's are.
        psql("UPDATE citizens SET email_confirmed_at = now() WHERE tenant_id = '%s';" % SLUG)
        reader_id = psql("SELECT id FROM citizens WHERE tenant_id = '%s' AND email = 'bench-reader@example.com';" % SLUG)
        officer = sign_in_officer(base, tmp)

        # ---- one petition through the real form (its answers are the seeded petitions' answers)
        apply_path = "/t/%s/services/bench-permit/apply" % SLUG
        html, _ = filer.get(apply_path)
        _, csrf = form_of(html)
        version = re.search(r'name="_form_version" value="(\d+)"', html).group(1)
        pdf = sample_pdf(PDF_BYTES)
        boundary = "----benchpetitions" + hashlib.sha1(os.urandom(8)).hexdigest()[:16]

        def part(name, value):
            return ('--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n' % (boundary, name, value)).encode()

        head = part("_csrf", csrf) + ('--%s\r\nContent-Disposition: form-data; name="_submission"\r\n\r\n' % boundary).encode()
        tail = (b"\r\n" + part("_form_version", version) + part("subject", "ขออนุญาตติดตั้งป้ายชั่วคราวหน้าร้าน") + part("kind", "ขอใหม่")
                + ('--%s\r\nContent-Disposition: form-data; name="file_document"; filename="plan.pdf"\r\n'
                   'Content-Type: application/pdf\r\n\r\n' % boundary).encode() + pdf + ("\r\n--%s--\r\n" % boundary).encode())
        content_type = "multipart/form-data; boundary=" + boundary
        req = urllib.request.Request(base + apply_path, head + b"warmup-" + os.urandom(8).hex().encode() + tail, {"Content-Type": content_type})
        with filer.opener.open(req, timeout=60) as r:
            r.read()
            assert r.geturl().endswith("/filed"), r.geturl()
        answers = psql("SELECT answers FROM petitions WHERE tenant_id = '%s' AND submission_key LIKE 'web:%%' LIMIT 1;" % SLUG)

        # ---- 100,000 petitions in the tenant (and some in another), then statistics as autovacuum would leave them
        t0 = time.time()
        seed(SLUG, CODE, PETITIONS, OTHER_CITIZENS, reader_id, answers)
        seed(OTHER_SLUG, OTHER_CODE, OTHER_TENANT_PETITIONS, OTHER_CITIZENS // 4, "", answers)
        # VACUUM marks pages all-visible only once no snapshot older than the rows is left, and autovacuum's
        # own ANALYZE of the new rows holds one for a while: vacuum again until it could.
        for _ in range(60):
            psql("VACUUM ANALYZE citizens; VACUUM ANALYZE petitions; VACUUM ANALYZE petition_events; VACUUM ANALYZE sequences;")
            vm_pages, vm_visible = map(int, psql("SELECT relpages, relallvisible FROM pg_class WHERE relname = 'petitions';").split("|"))
            if vm_visible >= vm_pages * 0.95:
                break
            time.sleep(1)
        seconds_seed = time.time() - t0
        counts = psql("SELECT tenant_id || ':' || count(*) FROM petitions GROUP BY tenant_id ORDER BY 1;").split()
        mine = int(psql("SELECT count(*) FROM petitions WHERE tenant_id = '%s' AND citizen_id = '%s';" % (SLUG, reader_id)))
        overdue = int(psql("SELECT count(*) FROM petitions WHERE tenant_id = '%s' AND status IN ('submitted','accepted','in_progress') "
                           "AND due_at < now();" % SLUG))
        print("seeded in %.1f s: %s (reader's: %d, open and overdue in %s: %d)" % (seconds_seed, ", ".join(counts), mine, SLUG, overdue), flush=True)

        # ---- filing throughput (skipped when ONLY picks some pages)
        file_rows = []
        if not ONLY:
            files_dir = data / "files" / "petitions" / SLUG
            before = int(psql("SELECT count(*) FROM petitions WHERE tenant_id = '%s' AND submission_key LIKE 'web:%%';" % SLUG))
            files_before = len(list(files_dir.iterdir())) if files_dir.exists() else 0
            head_file, tail_file = tmp / "body-head", tmp / "body-tail"
            head_file.write_bytes(head)
            tail_file.write_bytes(tail)
            connections = 8
            f = wrk(base + apply_path, ["file", filer.cookie, content_type, str(head_file), str(tail_file), "b" + os.urandom(6).hex()],
                    threads=2, connections=connections, seconds=FILE_SECONDS, server_pid=server.pid)
            time.sleep(2)  # requests still in flight when wrk stopped finish
            filed = int(psql("SELECT count(*) FROM petitions WHERE tenant_id = '%s' AND submission_key LIKE 'web:%%';" % SLUG)) - before
            attachments = int(psql("SELECT count(*) FROM petition_attachments a JOIN petitions p ON p.id = a.petition_id "
                                   "WHERE p.tenant_id = '%s' AND p.submission_key LIKE 'web:%%';" % SLUG)) - before
            stored = sorted(files_dir.iterdir())
            new_files = len(stored) - files_before
            sizes_ok = all(p.stat().st_size == len(pdf) for p in stored)
            sha_ok = hashlib.sha256(stored[-1].read_bytes()).hexdigest() == hashlib.sha256(pdf).hexdigest() if stored else False
            consistent = (f["s3xx"] <= filed <= f["s3xx"] + connections and attachments == filed and new_files == filed and sizes_ok and sha_ok
                          and f["s4xx"] + f["s5xx"] + f["s2xx"] == 0)
            file_rows += [
                ("filing: petitions per second (2 fields + 1 MB PDF, wrk -t2 -c8 -d%ds)" % FILE_SECONDS, ">= %.0f/s" % TARGET_FILED_PER_S,
                 "%.1f/s" % f["rps"], f["rps"] >= TARGET_FILED_PER_S),
                ("filing: latency p95 (p50 %.0f, p99 %.0f, max %.0f ms)" % (f["p50"] / 1e3, f["p99"] / 1e3, f["max"] / 1e3),
                 "<= %.0f ms" % TARGET_FILE_P95_MS, "%.0f ms" % (f["p95"] / 1e3), f["p95"] / 1e3 <= TARGET_FILE_P95_MS),
                ("filing: 303s / petitions+attachments in DB / files on disk (non-303: %d, socket errors %d)"
                 % (f["s2xx"] + f["s4xx"] + f["s5xx"], f["errors"]),
                 "equal", "%d / %d+%d / %d" % (f["s3xx"], filed, attachments, new_files), consistent),
            ]
            details.append("filing: %s; %d MB uploaded; up to %d petitions may be filed after wrk stops counting (requests in flight)"
                           % (cpu_note(f), f["requests"] * len(head + tail) >> 20, connections))
            if PG_DATA:
                # The throwaway server skips fsync; production commits wait for the disk. Once more with durable commits.
                psql("ALTER SYSTEM SET fsync = on; ALTER SYSTEM SET synchronous_commit = on; SELECT pg_reload_conf();", admin=True)
                time.sleep(1)
                try:
                    durable = psql("SELECT current_setting('fsync') || '/' || current_setting('synchronous_commit');")
                    d = wrk(base + apply_path, ["file", filer.cookie, content_type, str(head_file), str(tail_file), "d" + os.urandom(6).hex()],
                            threads=2, connections=connections, seconds=max(5, FILE_SECONDS // 2), server_pid=server.pid)
                finally:
                    psql("ALTER SYSTEM RESET fsync; ALTER SYSTEM RESET synchronous_commit; SELECT pg_reload_conf();", admin=True)
                ok = d["s3xx"] == d["requests"] and d["errors"] == 0
                file_rows += [
                    ("filing with durable commits (fsync/synchronous_commit %s, -d%ds): petitions per second"
                     % (durable.replace("/", ", "), max(5, FILE_SECONDS // 2)),
                     ">= %.0f/s" % TARGET_FILED_PER_S, "%.1f/s" % d["rps"], d["rps"] >= TARGET_FILED_PER_S and ok),
                    ("filing with durable commits: latency p95 (p50 %.0f, p99 %.0f ms%s)"
                     % (d["p50"] / 1e3, d["p99"] / 1e3, "" if ok else ", %d not 303" % (d["requests"] - d["s3xx"])),
                     "<= %.0f ms" % TARGET_FILE_P95_MS, "%.0f ms" % (d["p95"] / 1e3), d["p95"] / 1e3 <= TARGET_FILE_P95_MS and ok),
                ]
                details.append("filing with durable commits: %s" % cpu_note(d))
            print_rows(file_rows)
            # The filings left over a gigabyte of files and WAL for the kernel to write back; let it finish
            # before the pages are timed, or the write-back shows up as "rest of the machine" in their runs.
            os.sync()

        # ---- the lists
        mine_base = "/t/%s/account/petitions" % SLUG
        queue_base = "/backoffice/t/%s/petitions" % SLUG
        citizen_pages = [
            ("my petitions: all, page 1", mine_base),
            ("my petitions: open", mine_base + "?status=open"),
            ("my petitions: completed", mine_base + "?status=completed"),
            ("my petitions: cannot_proceed", mine_base + "?status=cannot_proceed"),
            ("my petitions: all, page 100", mine_base + "?page=100"),
            ("my petitions: completed, page 50", mine_base + "?status=completed&page=50"),
        ]
        def completed_after(rows):
            """The tracking number of the completed tab's row number `rows` (newest first), which the queue's own
            "next" link carries as the cursor to the page after it."""
            return psql("SELECT number FROM petitions WHERE tenant_id = '%s' AND status = 'completed' "
                        "ORDER BY created_at DESC, number DESC OFFSET %d LIMIT 1;" % (SLUG, rows - 1))

        queue_pages = [
            ("officer queue: default (open, 50 a page)", queue_base),
            ("officer queue: all statuses", queue_base + "?status=all"),
            ("officer queue: all, 200 a page", queue_base + "?status=all&size=200"),
            # Page 200 as an officer reaches it: the "next" link of page 199 (after that page's last row).
            ("officer queue: completed, page 200", queue_base + "?status=completed&page=200&after=" + completed_after(199 * 50)),
            ("officer queue: overdue", queue_base + "?status=open&overdue=1"),
            ("officer queue: one service", queue_base + "?status=all&service=bench-permit"),
            ("officer queue: filed in a quarter", queue_base + "?status=all&from=1/1/2569&to=31/3/2569"),
            ("officer queue: oldest first", queue_base + "?status=open&sort=oldest"),
            ("officer queue: search a name", queue_base + "?status=all&q=" + urllib.parse.quote("สมชาย")),
            ("officer queue: search a whole number", queue_base + "?status=all&q=BEN-2568-000123"),
            ("officer queue: search a number's end", queue_base + "?status=all&q=000123"),
        ]
        dash_base = "/backoffice/t/%s/dashboard" % SLUG
        dashboard_pages = [
            ("dashboard: a year of the tenant", dash_base),
            ("dashboard: one month", dash_base + "?from=%s&to=%s" % (be_month(0), be_month(0))),
            ("dashboard: 36 months", dash_base + "?from=%s&to=%s" % (be_month(-35), be_month(0))),
        ]
        export_runs = [
            ("export: CSV of every petition", queue_base + "/export.csv?status=all", TARGET_CSV_S),
            ("export: XLSX of every petition", queue_base + "/export.xlsx?status=all", TARGET_XLSX_S),
        ]
        if ONLY:
            citizen_pages = [p for p in citizen_pages if re.search(ONLY, p[0])]
            queue_pages = [p for p in queue_pages if re.search(ONLY, p[0])]
            dashboard_pages = [p for p in dashboard_pages if re.search(ONLY, p[0])]
            export_runs = [p for p in export_runs if re.search(ONLY, p[0])]
        queue_status = officer.status(queue_base)
        has_queue = queue_status == 200
        if has_queue:
            # The cursor computed here is the one the page's own link gives.
            html, _ = officer.get(queue_base + "?status=completed")
            link = re.search(r'href="([^"]+)" rel="next"', html).group(1).replace("&amp;", "&")
            assert link.endswith("page=2&after=" + completed_after(50)), link
        if not has_queue:
            details.append("officer queue: GET %s gave %d: the queue is not on this branch yet (branch `officer`), so it is not measured"
                           % (queue_base, queue_status))
        list_rows = []
        for who, pages in [(reader, citizen_pages)] + ([(officer, queue_pages)] if has_queue else []):
            for title, path in pages:
                html, _ = who.get(path)
                assert "BEN-" in html, "no petitions on %s" % path
                perf = None
                if os.environ.get("PROFILE") and title.startswith(os.environ.get("PROFILE_PAGE", "my petitions: all, page 1")):
                    perf = subprocess.Popen(["perf", "record", "-F", "499", "-g", "-p", str(server.pid), "-o", os.environ["PROFILE"],
                                             "--", "sleep", str(LIST_SECONDS)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                r = wrk(base + path, ["get", who.cookie], threads=2, connections=4, seconds=LIST_SECONDS, server_pid=server.pid)
                if perf:
                    perf.wait()
                ok = r["p95"] / 1e3 <= TARGET_LIST_P95_MS and r["s2xx"] == r["requests"] and r["errors"] == 0
                row = ("%s (%.0f req/s, p50 %.1f, p99 %.1f ms%s)" % (title, r["rps"], r["p50"] / 1e3, r["p99"] / 1e3,
                                                                    "" if r["s2xx"] == r["requests"] else ", %d not 200" % (r["requests"] - r["s2xx"])),
                       "<= %.0f ms" % TARGET_LIST_P95_MS, "%.1f ms" % (r["p95"] / 1e3), ok)
                list_rows.append(row)
                print_rows([row])
                details.append("%s: %s; %.1f ms of server CPU a page" % (title, cpu_note(r), r["server_cpu"] * 10 / r["rps"]))

        # ---- the dashboard (p95 for a year of the tenant) and the exports (time, rows, server memory growth)
        dash_rows = []
        for title, path in dashboard_pages if officer.status(dash_base) == 200 else []:
            html, _ = officer.get(path)
            assert 'id="dashboard-totals"' in html, html[:2000]
            if title != "dashboard: a year of the tenant":
                continue
            r = wrk(base + path, ["get", officer.cookie], threads=2, connections=4, seconds=LIST_SECONDS, server_pid=server.pid)
            ok = r["p95"] / 1e3 <= TARGET_DASHBOARD_P95_MS and r["s2xx"] == r["requests"] and r["errors"] == 0
            row = ("%s (%.0f req/s, p50 %.1f, p99 %.1f ms)" % (title, r["rps"], r["p50"] / 1e3, r["p99"] / 1e3),
                   "<= %.0f ms" % TARGET_DASHBOARD_P95_MS, "%.1f ms" % (r["p95"] / 1e3), ok)
            dash_rows.append(row)
            print_rows([row])
            details.append("%s: %s" % (title, cpu_note(r)))
        if dashboard_pages:
            # The month counts the dashboard reads, after the seeding and every filing and move of this run, against
            # a fresh count over the petitions.
            mismatched = int(psql(MONTHS_CHECK_SQL.replace(":tenant", "'%s'" % SLUG)))
            row = ("dashboard: kept month counts differing from a fresh count", "0 rows", "%d rows" % mismatched, mismatched == 0)
            dash_rows.append(row)
            print_rows([row])
        total_rows = int(psql("SELECT count(*) FROM petitions WHERE tenant_id = '%s';" % SLUG))
        for title, path, target in export_runs:
            export_once(officer, base + path.replace("status=all", "status=all&service=bench-tax&from=1/1/2569&to=31/1/2569"))  # warm
            e = export_once(officer, base + path, server.pid)
            ok_rows = e["rows"] == total_rows
            rows_out = [
                ("%s (%s rows, %.1f MB, HTTP %d)" % (title, format(e["rows"], ","), e["bytes"] / 1e6, e["status"]),
                 "<= %.0f s" % target, "%.2f s" % e["seconds"], e["seconds"] <= target and ok_rows and e["status"] == 200),
                ("%s: server RSS growth (from %.0f MB, peak %.0f MB)" % (title, e["rss0"], e["rss_peak"]),
                 "<= %.0f MB" % TARGET_EXPORT_RSS_MB, "%.1f MB" % e["growth"], e["growth"] <= TARGET_EXPORT_RSS_MB),
            ]
            if not ok_rows:
                details.append("%s: %d rows exported, %d in the tenant" % (title, e["rows"], total_rows))
            dash_rows += rows_out
            print_rows(rows_out)

        # ---- queries per page, and the database's share of each page
        query_rows = []
        if PG_DATA:
            with StatementLog() as log:
                groups = [("my petitions", reader, citizen_pages)] + ([("officer queue", officer, queue_pages)] if has_queue else [])
                groups.append(("dashboard", officer, dashboard_pages))
                groups = [g for g in groups if g[2]]
                for name, who, pages in groups:
                    seen = []
                    for title, path in pages:
                        who.status(path)  # warm
                        # Three loads, the fewest statements: a background task (the tenant settings poll) may
                        # run a query while a page loads, and its statement is not the page's.
                        status, stmts = min((log.statements(who, path) for _ in range(3)), key=lambda r: len(r[1]))
                        if status != 200:
                            raise SystemExit("%s gave %d while counting" % (path, status))
                        db_ms, slowest = 0.0, (0.0, "", None)
                        for sql, params in stmts:
                            if re.match(r"\s*SELECT", sql, re.I):
                                ms, _ = explain(bind(sql, params))
                                db_ms += ms
                                if ms > slowest[0]:
                                    slowest = (ms, sql, params)
                        seen.append((title, len(stmts)))
                        details.append("%s: %d statements, %.2f ms of them SELECTs under EXPLAIN ANALYZE (slowest %.2f ms)"
                                       % (title, len(stmts), db_ms, slowest[0]))
                        query_log.append("== %s  (%s)\n%s" % (title, path, "\n".join(
                            "  [%d] %s%s" % (i + 1, " ".join(sql.split()), ("\n      params: " + params) if params else "")
                            for i, (sql, params) in enumerate(stmts))))
                        if slowest[1]:
                            query_log.append("  slowest SELECT, EXPLAIN ANALYZE:\n" + "\n".join(
                                "    " + l for l in plan_text(bind(slowest[1], slowest[2])).splitlines()))
                    counts = sorted({n for _, n in seen})
                    query_rows.append(("queries per page, %s (%d pages: sizes, numbers, filters)" % (name, len(seen)),
                                       "constant", "/".join(str(n) for _, n in seen), len(counts) == 1))
            print_rows(query_rows)
        else:
            details.append("queries per page: not counted (TEST_POSTGRES_DATA unset: run inside scripts/with-postgres.sh)")

        header = [
            "Petitions on PostgreSQL %s (issue 5, Speed)" % pg_version,
            "  release build, APP_ENV=production, %d cores, IMAGE_WORKERS=%s, UPLOAD_FILES_PER_HOUR=%s (one citizen files them all); throwaway server: %s"
            % (os.cpu_count(), os.environ.get("IMAGE_WORKERS", "cores"), UPLOAD_BUDGET, pg_conf),
            "  tenant %s: %s petitions seeded + filed ones (%d the reading citizen's, %d open and overdue); %s: %d more;"
            % (SLUG, format(PETITIONS, ","), mine, overdue, OTHER_SLUG, OTHER_TENANT_PETITIONS),
            "  after seeding, VACUUM ANALYZE left %d of the table's %d pages all-visible (as autovacuum keeps old rows); the"
            " petitions filed by the bench are not vacuumed" % (vm_visible, vm_pages),
            "",
        ]
        table = format_rows(file_rows + list_rows + dash_rows + query_rows)
        verdict = all(r[3] for r in file_rows + list_rows + dash_rows + query_rows)
        text = "\n".join(header + table + ["", "overall: %s%s" % ("PASS" if verdict else "FAIL",
                                                                 "" if has_queue else " (officer queue not measured)"), ""]
                         + ["notes:"] + ["  " + d for d in details]) + "\n"
        print()
        print(text)
        out = ROOT / "bench-results"
        out.mkdir(exist_ok=True)
        name = "petitions-only" if ONLY else "petitions"  # a partial run does not stand for the whole bench
        (out / (name + ".txt")).write_text(text, encoding="utf-8")
        (out / (name + "-queries.txt")).write_text("\n".join(query_log) + "\n", encoding="utf-8")
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        out_file.close()
        if os.environ.get("KEEP") == "1":
            print("kept %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


query_log = []


def sign_in_officer(base, tmp):
    """The first platform admin (set-up link) creates an officer account; the officer signs in for the first time
    and asks for Officer rights in the tenant; the platform admin approves. Returns the officer's session."""
    link = None
    for _ in range(100):
        m = re.search(r"(http://\S+/backoffice/setup/[A-Za-z0-9_-]+)", (tmp / "server.out").read_text(errors="replace"))
        if m:
            link = m.group(1)
            break
        time.sleep(0.2)
    if not link:
        raise SystemExit("the server printed no set-up link (is the database fresh?)")
    root = Client(base)
    path = urllib.parse.urlparse(link).path
    html, url = root.submit(path, {
        "username": "bench.admin", "titleTH": "นาย", "firstNameTH": "ผู้ดูแล", "lastNameTH": "ทดสอบสมรรถนะ",
        "nationalID": national_id(900), "email": "bench-admin@example.com", "mobile": "0800000001",
        "password": "Platform#Bench2569", "confirm": "Platform#Bench2569"})
    enrol(root, html)
    html, _ = root.submit("/backoffice/admin/staff/new", {
        "tenant": SLUG, "unit2": "palad", "unit3": "palad/admin", "unit4": "palad/admin/saraban", "position": "เจ้าพนักงานธุรการ",
        "mobile": "0810000002", "titleTH": "นาย", "firstNameTH": "เจ้าหน้าที่", "lastNameTH": "ทดสอบสมรรถนะ", "titleEN": "Mr.",
        "firstNameEN": "Bench", "lastNameEN": "Officer", "nationalID": national_id(901), "nationality": "ไทย",
        "birthDay": "3", "birthMonth": "2", "birthYear": "2533", "email": "bench-officer@example.com", "username": "bench.officer"})
    assert "bench.officer" in html, html[:3000]
    officer = Client(base)
    html, url = officer.submit("/backoffice/login", {"username": "bench.officer", "password": "03022533"})
    assert url.endswith("/login/new-password"), url
    html, url = officer.submit("/backoffice/login/new-password", {"password": "Queue#Desk2569", "confirm": "Queue#Desk2569"})
    assert url.endswith("/login/enrol"), url
    enrol(officer, html)
    html, _ = officer.submit("/backoffice/requests", {"tenant": SLUG, "role": "officer", "note": "bench"})
    html, _ = root.get("/backoffice/approvals")
    ids = re.findall(r'name="ids\[\]" value="([^"]+)"', html)
    assert ids, html[:3000]
    _, csrf = form_of(html)
    root.post("/backoffice/approvals", {"_csrf": csrf, "ids[]": ids, "action": "approve", "reason": ""})
    assert officer.status("/backoffice/t/%s/" % SLUG) == 200, "the officer cannot open the tenant's back office"
    return officer


def be_month(offset):
    """This month (offset 0) or one `offset` months from it, in Bangkok, as the dashboard's "MM/YYYY" (Buddhist year)."""
    now = time.gmtime(time.time() + 7 * 3600)
    index = now.tm_year * 12 + now.tm_mon - 1 + offset
    return "%02d/%d" % (index % 12 + 1, index // 12 + 543)


def vm_rss_mb(pid):
    try:
        for line in pathlib.Path("/proc/%d/status" % pid).read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def export_once(client, url, pid=None):
    """Downloads an export as the officer, to the last byte: seconds, bytes, data rows (CSV lines after the header,
    or the sheet's <row> elements less the header), and the server's VmRSS sampled every 20 ms while it ran."""
    import threading
    import zipfile
    peak = [vm_rss_mb(pid) if pid else 0.0]
    rss0 = peak[0]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], vm_rss_mb(pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    if pid:
        sampler.start()
    t0 = time.time()
    req = urllib.request.Request(url, headers={"Cookie": client.cookie})
    size, lines, last = 0, 0, b""
    body = tempfile.TemporaryFile()
    with urllib.request.urlopen(req, timeout=120) as r:
        status = r.status
        while True:
            chunk = r.read(1 << 16)
            if not chunk:
                break
            size += len(chunk)
            lines += chunk.count(b"\r\n") + (1 if last == b"\r" and chunk[:1] == b"\n" else 0)  # a CRLF split across chunks
            last = chunk[-1:]
            body.write(chunk)
    seconds = time.time() - t0
    done.set()
    if pid:
        sampler.join()
    if url.split("?")[0].endswith(".xlsx"):
        body.seek(0)
        with zipfile.ZipFile(body) as z, z.open("xl/worksheets/sheet1.xml") as sheet:
            rows, tail = 0, b""
            while True:
                chunk = sheet.read(1 << 20)
                if not chunk:
                    break
                rows += (tail + chunk).count(b"<row ")
                tail = chunk[-4:]
        rows -= 1
    else:
        rows = lines - 1
    body.close()
    return {"seconds": seconds, "bytes": size, "rows": rows, "status": status, "rss0": rss0, "rss_peak": peak[0],
            "growth": max(0.0, peak[0] - rss0)}


def cpu_note(r):
    return ("CPU (%% of one core, %d cores): server %.0f%%, PostgreSQL %.0f%%, wrk+bench %.0f%%, rest of the machine %.0f%%%s"
            % (os.cpu_count(), r["server_cpu"], r["pg_cpu"], r["bench_cpu"], r["other_cpu"],
               "" if r["waited"] < 2 else " (waited %.0f s for it to quieten%s)" % (r["waited"], "" if r["other_before"] < QUIET_OTHER_CPU else ", in vain")))


def format_rows(rows):
    width = max(len(r[0]) for r in rows)
    out = ["%-*s  %-10s  %-22s  %s" % (width, "figure", "target", "measured", "result")]
    for figure, target, measured, ok in rows:
        out.append("%-*s  %-10s  %-22s  %s" % (width, figure, target, measured, "PASS" if ok else "FAIL"))
    return out


def print_rows(rows):
    for figure, target, measured, ok in rows:
        print("%s: %s (target %s) %s" % (figure, measured, target, "PASS" if ok else "FAIL"), flush=True)


if __name__ == "__main__":
    main()
