"""Backups that restore (issue 15): `eservice backup` taken while citizens keep filing, restored with `eservice restore`
into a new, empty deployment, and a server started on it. Twice: SQLite with the local file folder, and PostgreSQL
with S3 (`rclone serve s3` from scripts/with-s3.sh; the backup holds only the list of the bucket's files).

1. A deployment (the built binary, production settings, the benchmark's tenant) is filled through its pages:
   citizens register and send an identity image, file petitions with a PDF, and an officer (the first platform
   admin's set-up link, OTP, rights) issues a receipt on some of them.
2. One citizen keeps filing petitions while `eservice backup --to DIR` runs; some filings must be answered while
   the backup runs.
3. `eservice restore --from DIR` into a new deployment (a new DATA_DIR; a new PostgreSQL database). With S3, a
   restore against an empty bucket first: refused, naming a missing file, the database left empty. A second
   restore into the restored deployment is refused (not empty).
4. A server on the restored deployment: every petition in it is one the source had (same id and number), every
   petition answered before the backup started is there, each is readable by its citizen with its attachment
   served whole (SHA-256 equal to the source's); the identity images are served with the same SHA-256; every
   document code the source issued verifies at /verify with the same SHA-256, and its file downloads whole.

Run by scripts/backup-test.sh (inside scripts/with-postgres.sh and scripts/with-s3.sh), part of `make test`.
"""
import hashlib
import http.client
import os
import pathlib
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import bench_petitions as bp  # noqa: E402  (tenants folder, browser-like client, officer sign-in)

BIN = os.path.abspath(os.environ.get("BIN", str(ROOT / ".build/debug/eservice")))
SLUG = bp.SLUG
SECRET = "backup-test-secret-" + "b" * 32
PHOTO = (ROOT / "Tests/AppTests/Fixtures/id-photo.jpg").read_bytes()
PDF = bp.sample_pdf(64 << 10)
RECEIPT = bp.sample_pdf(32 << 10)
CITIZENS = 3


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def pg_url(name):
    """TEST_POSTGRES_URL with another database name."""
    u = urllib.parse.urlparse(os.environ["TEST_POSTGRES_URL"])
    return urllib.parse.urlunparse(u._replace(path="/" + name))


class Deployment:
    """One deployment of the built binary: its folder, settings, `eservice` commands, a server, and SQL on its database."""

    def __init__(self, name, tmp, tenants, database_url=None, storage=None):
        self.dir = tmp / name
        self.dir.mkdir()
        self.port = bp.free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        self.database_url = database_url
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "LINE_", "STORAGE_URL", "S3_", "DATABASE_URL"))}
        env.update(APP_ENV="production", DATA_DIR=str(self.dir / "data"), TENANTS_DIR=str(tenants), PUBLIC_BASE_URL=self.base,
                   APP_SECRET=SECRET, SMTP_URL="smtp://127.0.0.1:9?starttls=off", MAIL_FROM="backup-test@example.com",
                   OUTBOX_WORKER="off", LOG_LEVEL="warning", PASSWORD_HASH_COST="10", UPLOAD_FILES_PER_HOUR="100000")
        if database_url:
            env["DATABASE_URL"] = database_url
        if storage:
            env.update(STORAGE_URL=storage["url"], S3_ACCESS_KEY_ID=storage["key"], S3_SECRET_ACCESS_KEY=storage["secret"])
        self.env = env
        self.server = None

    def eservice(self, *args, **env):
        return subprocess.run([BIN, *args], cwd=ROOT, env=dict(self.env, **env), capture_output=True, text=True, timeout=300)

    def start(self):
        self.out = open(self.dir / "server.out", "w")
        self.server = subprocess.Popen([BIN, "serve", "--hostname", "127.0.0.1", "--port", str(self.port)], cwd=ROOT, env=self.env,
                                       stdout=self.out, stderr=subprocess.STDOUT)
        bp.wait_ready(self.server, self.base, self.dir)

    def stop(self):
        if self.server and self.server.poll() is None:
            self.server.terminate()
            try:
                self.server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait()
        if self.server:
            self.out.close()
        self.server = None

    def sql(self, query):
        """Rows of `query` as tuples of strings."""
        if self.database_url:
            r = subprocess.run([bp.PSQL, "-X", "-q", "-A", "-t", "-F", "|", "-v", "ON_ERROR_STOP=1", "-d", self.database_url, "-c", query],
                               capture_output=True, text=True)
            assert r.returncode == 0, r.stderr
            return [tuple(line.split("|")) for line in r.stdout.splitlines() if line]
        path = self.dir / "data" / "eservice.sqlite"
        with sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=30) as db:
            return [tuple("" if v is None else str(v) for v in row) for row in db.execute(query).fetchall()]

    def tables(self):
        if self.database_url:
            return self.sql("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return self.sql("SELECT name FROM sqlite_master WHERE type = 'table'")


def multipart(parts):
    boundary = "----backuptest" + os.urandom(8).hex()
    return bp.multipart(boundary, parts), "multipart/form-data; boundary=" + boundary


def post(base, path, cookie, body, content_type):
    """A POST without following redirects: (status, Location)."""
    u = urllib.parse.urlparse(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    try:
        conn.request("POST", path, body=body, headers={"Cookie": cookie, "Content-Type": content_type})
        r = conn.getresponse()
        text = r.read()
        return r.status, r.getheader("Location") or "", text
    finally:
        conn.close()


def get(client, path):
    """(status, body bytes) of a GET with the client's cookies."""
    try:
        with client.opener.open(client.base + path, timeout=60) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


class Citizen:
    def __init__(self, d, n):
        self.n, self.nid = n, bp.national_id(n)
        self.client = bp.Client(d.base)
        email = "backup-citizen-%d@example.com" % n
        self.client.register(n, SLUG, email)
        self.id = d.sql("SELECT id FROM citizens WHERE email = '%s'" % email)[0][0]

    def send_identity_image(self):
        html, _ = self.client.get("/t/%s/account/identity" % SLUG)
        action, csrf = bp.form_of(html)
        body, ctype = multipart([("_csrf", csrf), ("image_0", ("id-card.jpg", "image/jpeg", PHOTO))])
        status, _, text = post(self.client.base, action or "/t/%s/account/identity" % SLUG, self.client.cookie, body, ctype)
        assert status == 303, (status, text[:500])

    def filing_form(self):
        html, _ = self.client.get("/t/%s/services/bench-complaint/apply" % SLUG)
        _, csrf = bp.form_of(html)
        return csrf, re.search(r'name="_form_version" value="(\d+)"', html).group(1)

    def file(self, form, token):
        csrf, version = form
        body, ctype = multipart([("_csrf", csrf), ("_submission", token), ("_form_version", version), ("subject", "ทางเท้าชำรุด %s" % token[-6:]),
                                 ("kind", "ขอใหม่"), ("file_document", ("report.pdf", "application/pdf", PDF))])
        t0 = time.time()
        status, location, _ = post(self.client.base, "/t/%s/services/bench-complaint/apply" % SLUG, self.client.cookie, body, ctype)
        m = re.search(r"/account/petitions/([A-Z]+-\d{4}-\d+)/filed$", location)
        return {"status": status, "number": m.group(1) if m else None, "t0": t0, "t1": time.time()}


def issue_receipt(officer, number):
    html, _ = officer.get("/backoffice/t/%s/petitions/%s" % (SLUG, number))
    form = re.search(r'<form method="post" action="([^"]+)" enctype="multipart/form-data" class="upload-form"[^>]*>(.*?)</form>', html, re.S)
    assert form, html[:2000]
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form.group(2)))
    body, ctype = multipart([("_csrf", hidden["_csrf"]), ("_submission", hidden["_submission"]), ("kind", "receipt"),
                             ("title", "ใบเสร็จรับเงิน %s" % number), ("valid_until", ""), ("file", ("receipt.pdf", "application/pdf", RECEIPT))])
    status, _, text = post(officer.base, form.group(1), officer.cookie, body, ctype)
    assert status == 303, (status, text[:1000])


class Filer(threading.Thread):
    """One citizen filing petitions one after another until told to stop."""

    def __init__(self, citizen, form):
        super().__init__(daemon=True)
        self.citizen, self.form, self.stop, self.results = citizen, form, threading.Event(), []

    def run(self):
        k = 0
        while not self.stop.is_set():
            k += 1
            self.results.append(self.citizen.file(self.form, "backupload%06d%s" % (k, os.urandom(6).hex())))


@pytest.fixture
def tmp():
    folder = pathlib.Path(tempfile.mkdtemp(prefix="backup-test-"))
    yield folder
    if os.environ.get("KEEP") != "1":
        shutil.rmtree(folder, ignore_errors=True)
    else:
        print("backup test files kept in %s" % folder)


@pytest.mark.parametrize("kind", ["sqlite-local", "postgres-s3"])
def test_backup_while_filing_restores_elsewhere(kind, tmp):
    started = time.time()
    tenants = tmp / "tenants"
    bp.make_tenants(tenants)
    s3 = None
    if kind == "postgres-s3":
        if not os.environ.get("TEST_POSTGRES_URL") or not os.environ.get("TEST_S3_URL"):
            pytest.fail("run inside scripts/with-postgres.sh scripts/with-s3.sh (TEST_POSTGRES_URL, TEST_S3_URL)")
        s3 = {"url": os.environ["TEST_S3_URL"], "key": os.environ["TEST_S3_ACCESS_KEY_ID"], "secret": os.environ["TEST_S3_SECRET_ACCESS_KEY"]}
        bp.psql("CREATE DATABASE backup_source OWNER eservice; CREATE DATABASE backup_restored OWNER eservice;", admin=True)
        source = Deployment("source", tmp, tenants, pg_url("backup_source"), s3)
        target = Deployment("restored", tmp, tenants, pg_url("backup_restored"), s3)
    else:
        source = Deployment("source", tmp, tenants)
        target = Deployment("restored", tmp, tenants)
    try:
        # 1. Fill the source through its pages.
        source.start()
        officer = bp.sign_in_officer(source.base, source.dir)
        citizens = [Citizen(source, 700 + n) for n in range(CITIZENS)]
        for c in citizens:
            c.send_identity_image()
        forms = {c.id: c.filing_form() for c in citizens}
        first = [c.file(forms[c.id], "backupfirst%d%s" % (i, os.urandom(6).hex())) for c in citizens for i in range(2)]
        assert all(r["status"] == 303 and r["number"] for r in first), first
        for r in first[::2]:
            issue_receipt(officer, r["number"])

        # 2. The backup, while a citizen keeps filing.
        filer = Filer(citizens[0], forms[citizens[0].id])
        filer.start()
        deadline = time.time() + 60
        while sum(1 for r in list(filer.results) if r["status"] == 303) < 3 and time.time() < deadline:
            time.sleep(0.05)
        assert filer.is_alive() and all(r["status"] == 303 for r in filer.results), filer.results[:3]
        folder = tmp / "backup"
        b0 = time.time()
        backup = source.eservice("backup", "--to", str(folder))
        b1 = time.time()
        time.sleep(0.5)
        filer.stop.set()
        filer.join(timeout=60)
        assert backup.returncode == 0, backup.stdout + backup.stderr
        print(backup.stdout.strip().splitlines()[-1])
        during = [r for r in filer.results if r["status"] == 303 and r["t1"] > b0 and r["t0"] < b1]
        assert during, "no filing was answered while the backup ran (%.2f s): the test did not back up under load" % (b1 - b0)
        assert all(r["status"] == 303 for r in filer.results), [r for r in filer.results if r["status"] != 303]
        before_backup = {r["number"] for r in first + filer.results if r["t1"] < b0}
        assert oct(folder.stat().st_mode & 0o777) == "0o700"
        assert (folder / "manifest.json").exists() and (folder / "files.json").exists()
        assert (folder / "files").exists() == (s3 is None), "local files are copied; S3 files are only listed"

        # What the source holds, and serves, once the filing has stopped.
        petitions = {n: (pid, cid) for pid, n, cid in source.sql("SELECT id, number, citizen_id FROM petitions")}
        attachments = {aid: (n, sha) for aid, n, sha in source.sql(
            "SELECT a.id, p.number, a.sha256 FROM petition_attachments a JOIN petitions p ON p.id = a.petition_id")}
        documents = {code: (did, n, sha) for did, code, n, sha in source.sql(
            "SELECT d.id, d.verification_code, p.number, d.sha256 FROM petition_documents d JOIN petitions p ON p.id = d.petition_id")}
        images = {iid: (cid, sha) for iid, cid, sha in source.sql("SELECT id, citizen_id, sha256 FROM identity_images WHERE slot >= 0")}
        assert len(documents) == len(first[::2]) and len(images) == CITIZENS
        served_images = {}
        for c in citizens:
            for iid, (cid, sha) in images.items():
                if cid == c.id:
                    status, data = get(c.client, "/t/%s/account/images/%s" % (SLUG, iid.lower()))
                    assert status == 200 and sha256(data) == sha
                    served_images[iid] = sha256(data)
        source.stop()

        # 3. Restore into a new, empty deployment.
        if s3:
            # An S3 backup is a list: against a bucket without the files, refused, naming one; nothing written.
            empty = pathlib.Path(os.environ["TEST_S3_DIR"]) / "backup-empty"
            empty.mkdir()
            endpoint = os.environ["TEST_S3_ENDPOINT"]
            refused = target.eservice("restore", "--from", str(folder), STORAGE_URL="s3://backup-empty?endpoint=%s&region=us-east-1" % endpoint)
            assert refused.returncode != 0 and "missing" in refused.stderr, refused.stdout + refused.stderr
            assert re.search(r"missing: (identity|petitions|documents)/", refused.stderr), refused.stderr
            assert target.tables() == [], "the database was written by a refused restore"
        wrong = target.eservice("restore", "--from", str(folder), APP_SECRET="another-secret-" + "w" * 32)
        assert wrong.returncode != 0 and "APP_SECRET" in wrong.stderr, wrong.stdout + wrong.stderr
        restore = target.eservice("restore", "--from", str(folder))
        assert restore.returncode == 0, restore.stdout + restore.stderr
        again = target.eservice("restore", "--from", str(folder))
        assert again.returncode != 0 and "not empty" in again.stderr, again.stdout + again.stderr

        # 4. A server on the restored deployment.
        target.start()
        restored = {n: (pid, cid) for pid, n, cid in target.sql("SELECT id, number, citizen_id FROM petitions")}
        assert set(restored) <= set(petitions), "petitions the source never had: %s" % (set(restored) - set(petitions))
        assert all(restored[n] == petitions[n] for n in restored), "a petition's id or citizen changed"
        assert before_backup <= set(restored), "petitions answered before the backup started are missing: %s" % (before_backup - set(restored))
        print("%s: %d petitions in the source, %d restored (%d answered before the backup, %d while it ran for %.2f s)"
              % (kind, len(petitions), len(restored), len(before_backup), len(during), b1 - b0))

        by_id = {c.id: c for c in citizens}
        signed_in = {}
        for c in citizens:
            client = bp.Client(target.base)
            client.submit("/t/%s/login" % SLUG, {"nationalID": c.nid, "password": bp.PASSWORD})
            signed_in[c.id] = client
        restored_attachments = {aid: (n, sha) for aid, n, sha in target.sql(
            "SELECT a.id, p.number, a.sha256 FROM petition_attachments a JOIN petitions p ON p.id = a.petition_id")}
        for number, (_, cid) in restored.items():
            client = signed_in[cid]
            status, page = get(client, "/t/%s/account/petitions/%s" % (SLUG, number))
            assert status == 200 and number in page.decode(), (number, status)
            mine = [aid for aid, (n, _) in restored_attachments.items() if n == number]
            assert len(mine) == 1, (number, mine)
            for aid in mine:
                assert attachments[aid][1] == restored_attachments[aid][1]
                status, data = get(client, "/t/%s/account/petitions/%s/files/%s" % (SLUG, number, aid.lower()))
                assert status == 200 and sha256(data) == attachments[aid][1] == sha256(PDF), (number, aid, status)
        for iid, (cid, sha) in images.items():
            status, data = get(signed_in[cid], "/t/%s/account/images/%s" % (SLUG, iid.lower()))
            assert status == 200 and sha256(data) == served_images[iid], "identity image %s" % iid
        anyone = bp.Client(target.base)
        for code, (did, number, sha) in documents.items():
            status, page = get(anyone, "/verify/%s" % code)
            page = page.decode()
            assert status == 200 and "เอกสารนี้ออกโดยระบบบริการประชาชนออนไลน์จริง" in page, (code, status)
            assert re.search(r'id="sha256">%s<' % sha, page), (code, sha)
            citizen = signed_in[petitions[number][1]]
            status, data = get(citizen, "/t/%s/account/petitions/%s/documents/%s" % (SLUG, number, did.lower()))
            assert status == 200 and sha256(data) == sha == sha256(RECEIPT), (code, status)
        assert by_id
        print("%s: the whole test took %.1f s" % (kind, time.time() - started))
    finally:
        source.stop()
        target.stop()
