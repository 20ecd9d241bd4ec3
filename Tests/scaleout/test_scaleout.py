"""Scale-out (issue 14): the deployment of README "Deploying" (stack.py) on free local ports, checked end to end.

1. The deploy files: nginx -t on the rendered site, systemd-analyze verify on each unit.
2. Both instances, the migration step and the worker start at once on an empty database: all come up and every
   migration is recorded once (without the advisory lock, one of them fails on "already exists" or a migration
   is recorded twice).
3. nginx: HTTP goes to HTTPS, HTTP/2, the static files and web fonts come from nginx, not from an instance.
4. A citizen registers and sends an ID image through nginx; the officer's review page and the image, fetched
   from each instance directly, show the same watermarked bytes (with files on one instance's disk, the other
   answers 404); the officer's image view through nginx is audited with the client's address, not nginx's.
5. Rate limits count the address nginx forwards: one client address spends the contact form's 5 an hour, another
   (which also writes a false X-Forwarded-For itself) is still served (without trusted proxies both are nginx's
   127.0.0.1 and share one limit).
6. Eight clients file petitions with a 1 MB PDF through nginx while one instance is killed with SIGKILL and
   started again (as its unit would: MIGRATE_ON_START=off). Each filing not answered 303 is sent once more with
   the same submission token, as a browser's retry would. Then: every token is exactly one petition, the one its
   303 named; every petition has its one attachment, stored in S3 whole (size and SHA-256) and downloadable
   through nginx; objects no row names are at most the filings cut short by the kill; each petition's e-mail was
   delivered exactly once.

Run by scripts/scaleout.sh (inside scripts/with-postgres.sh), part of `make test`.
"""
import http.client
import json
import os
import pathlib
import re
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from email import policy
from email.header import decode_header, make_header
from email.parser import BytesParser

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import stack as st  # noqa: E402

bp = st.bp
BIN = os.environ.get("BIN", str(st.ROOT / ".build/debug/eservice"))
SLUG = st.SLUG
PHOTO = st.ROOT / "Tests/AppTests/Fixtures/id-photo.jpg"
CLIENTS = 8
PDF = bp.sample_pdf(1 << 20)
STATE = {}


@pytest.fixture(scope="module")
def stack(request):
    tmp = st.new_tmp("scaleout-")
    s = st.Stack(BIN, tmp)
    try:
        s.start_smtp()
        s.start_s3()
        s.start_nginx()
        yield s
    finally:
        s.close()
        # conftest.py marks the session when a check failed: the logs are kept then.
        st.keep_or_remove(tmp, getattr(request.session, "scaleout_failed", False))


# ----------------------------------------------------------------------------------------------- helpers

def request(s, method, path, source="127.0.0.1", cookie=None, body=None, headers=None, base=None, timeout=60):
    """One request through nginx (HTTPS) from the given local address, or to `base` (an instance, plain HTTP).
    Returns (status, headers as a dict of lower-case names, body)."""
    if base:
        u = urllib.parse.urlparse(base)
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout, source_address=(source, 0))
    else:
        conn = http.client.HTTPSConnection("127.0.0.1", s.https_port, timeout=timeout, source_address=(source, 0), context=s.tls)
    h = dict(headers or {})
    if cookie:
        h["Cookie"] = cookie
    try:
        conn.request(method, path, body=body, headers=h)
        r = conn.getresponse()
        data = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data, r.msg.get_all("Set-Cookie") or []
    finally:
        conn.close()


def cookies_of(set_cookie, jar):
    for line in set_cookie:
        name, _, value = line.split(";", 1)[0].partition("=")
        jar[name.strip()] = value.strip()
    return "; ".join("%s=%s" % kv for kv in jar.items())


multipart = bp.multipart


def setup_link(s):
    """The platform admin's set-up link an instance printed at its first start."""
    for name in ("a", "b"):
        m = re.findall(r"(https?://\S+/backoffice/setup/[A-Za-z0-9_-]+)", s.instances[name][0].log())
        if m:
            return m[-1]
    raise AssertionError("no instance printed a set-up link")


def citizen(s):
    """The citizen of the identity and filing checks, registered through nginx (once)."""
    if "citizen" not in STATE:
        c = bp.Client(s.base)
        c.register(1, SLUG, "scaleout-citizen@example.com")
        cid = st.psql("SELECT id FROM citizens WHERE tenant_id = '%s' AND email = 'scaleout-citizen@example.com';" % SLUG)
        # Notices go only to a confirmed address: the link in the mail the worker delivered, followed through nginx.
        c.submit(confirmation_path(s, "scaleout-citizen@example.com"), {})
        assert st.psql("SELECT count(*) FROM citizens WHERE id = '%s' AND email_confirmed_at IS NOT NULL;" % cid) == "1"
        STATE["citizen"] = (c, cid)
    return STATE["citizen"]


def confirmation_path(s, address, timeout=60):
    """The path of the e-mail confirmation link sent to `address` (waits for the worker to deliver it)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        for path in sorted((s.tmp / "mail").glob("*.eml")):
            msg = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
            if address not in str(msg["To"]):
                continue
            m = re.search(r"https?://[^/\s]+(/t/[^/\s]+/confirm-email/[A-Za-z0-9_-]+)", msg.get_body(preferencelist=("plain",)).get_content())
            if m:
                return m.group(1)
        time.sleep(0.3)
    raise AssertionError("no confirmation mail reached %s" % address)


def officer(s):
    """bench_petitions' staff journey through nginx: the first platform admin (from the set-up link), an officer
    of the tenant with Officer rights, signed in with OTP."""
    if "officer" not in STATE:
        folder = s.tmp / "setup"
        folder.mkdir(exist_ok=True)
        # sign_in_officer reads the link from a server's output and uses only its path.
        (folder / "server.out").write_text("http://scaleout" + urllib.parse.urlparse(setup_link(s)).path + "\n")
        STATE["officer"] = bp.sign_in_officer(s.base, folder)
    return STATE["officer"]


# ------------------------------------------------------------------------------------------------ checks

def test_deploy_files_check(stack):
    r = stack.nginx_check()
    assert r.returncode == 0, r.stderr
    # Each unit as shipped, but for the binary's path (the release's /opt/eservice/bin/eservice does not exist
    # here, and verify checks that ExecStart is executable); a warning (unknown key, bad value) fails too.
    folder = stack.tmp / "units"
    folder.mkdir()
    for name, as_name in [("eservice@.service", "eservice@8081.service"), ("eservice-worker.service", None), ("eservice-migrate.service", None)]:
        text = (st.DEPLOY / "systemd" / name).read_text().replace(st.RELEASE_BIN, stack.binary)
        path = folder / (as_name or name)
        path.write_text(text)
        r = subprocess.run(["systemd-analyze", "verify", "--man=no", str(path)], capture_output=True, text=True)
        assert r.returncode == 0 and not (r.stdout + r.stderr).strip(), "%s: %s%s" % (name, r.stdout, r.stderr)
    # Every setting the example file names is one the server knows (README's settings table).
    readme = (st.ROOT / "README.md").read_text()
    for key in st.env_file(st.DEPLOY / "eservice.env.example"):
        assert "`%s`" % key in readme, "deploy/eservice.env.example names %s, which README's settings table does not" % key


def test_instances_start_together_and_migrate_once(stack):
    # The deploy step, both instances (told to migrate as well, as they would without MIGRATE_ON_START=off) and the
    # worker, all at once on the empty database.
    migrate = stack.migrate()
    stack.start_instance("a", MIGRATE_ON_START="on")
    stack.start_instance("b", MIGRATE_ON_START="on")
    worker = stack.start_worker(MIGRATE_ON_START="on")
    stack.wait_ready("a")
    stack.wait_ready("b")
    assert migrate.proc.wait(timeout=120) == 0, "eservice migrate failed:\n" + migrate.summary()
    time.sleep(1)
    assert worker.alive(), "the worker stopped:\n" + worker.summary()
    rows = st.psql("SELECT name || '|' || count(*) FROM _fluent_migrations GROUP BY name ORDER BY name;").split()
    twice = [r for r in rows if not r.endswith("|1")]
    assert not twice, "migrations recorded more than once: %s" % twice
    listed = re.findall(r"^\s*(\w+)\(\),?\s*$", (st.ROOT / "Migrations/AllMigrations.swift").read_text(), re.M)
    assert len(rows) >= len(listed) > 30, "%d migrations recorded, %d listed" % (len(rows), len(listed))


def test_nginx_serves_tls_http2_and_static_files(stack):
    # HTTP only redirects.
    conn = http.client.HTTPConnection("127.0.0.1", stack.http_port, timeout=10)
    conn.request("GET", "/t/%s/?x=1" % SLUG)
    r = conn.getresponse()
    assert r.status == 301 and r.getheader("Location") == "https://127.0.0.1:%d/t/%s/?x=1" % (stack.https_port, SLUG)
    conn.close()
    # HTTP/2 over TLS (curl speaks it; Python's http.client does not).
    out = subprocess.run(["curl", "-sS", "--http2", "--cacert", str(stack.cert), "-o", "/dev/null", "-w", "%{http_version} %{http_code}",
                          stack.base + "/t/%s/" % SLUG], capture_output=True, text=True)
    assert out.stdout == "2 200", out.stdout + out.stderr
    # The stylesheet and a web font come from nginx: the bytes of the files, no X-Request-ID (every answer of
    # an instance has one), cached.
    status, h, body, _ = request(stack, "GET", "/css/site.css")
    assert status == 200 and body == (st.ROOT / "Public/css/site.css").read_bytes()
    assert "x-request-id" not in h and "public" in h.get("cache-control", ""), h
    status, h, body, _ = request(stack, "GET", "/fonts/tlwg/Loma.woff")
    assert status == 200 and body == pathlib.Path("/usr/share/fonts/woff/tlwg/Loma.woff").read_bytes()
    assert h.get("content-type") == "font/woff" and "x-request-id" not in h, h
    # A body over nginx's limit for ordinary forms (12m) gets nginx's 413 in Thai.
    status, h, body, _ = request(stack, "POST", "/t/%s/contact" % SLUG, body=b"x" * (13 << 20),
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 413 and "ขนาดใหญ่เกินกำหนด" in body.decode("utf-8", "replace"), (status, body[:300])
    # A page comes from an instance.
    status, h, _, _ = request(stack, "GET", "/t/%s/" % SLUG)
    assert status == 200 and "x-request-id" in h and h.get("strict-transport-security"), h


def test_identity_images_are_the_same_on_both_instances(stack):
    c, cid = citizen(stack)
    html, _ = c.get("/t/%s/account/identity" % SLUG)
    action, csrf = bp.form_of(html)
    boundary = "----scaleout" + os.urandom(8).hex()
    body = multipart(boundary, [("_csrf", csrf), ("image_0", ("id-card.jpg", "image/jpeg", PHOTO.read_bytes()))])
    req = urllib.request.Request(stack.base + (action or "/t/%s/account/identity" % SLUG), body,
                                 {"Content-Type": "multipart/form-data; boundary=" + boundary})
    with c.opener.open(req, timeout=120) as r:
        page = r.read().decode()
    assert "กำลังตรวจสอบ" in page, page[:2000]
    rows = st.psql("SELECT id || '|' || sha256 FROM identity_images WHERE tenant_id = '%s' AND citizen_id = '%s' AND slot >= 0;" % (SLUG, cid)).split()
    assert len(rows) == 1, rows
    image_id, sha = rows[0].split("|")

    o = officer(stack)
    review = "/backoffice/t/%s/identity/%s" % (SLUG, cid)
    seen = {}
    for name in ("a", "b"):
        status, _, page, _ = request(stack, "GET", review, cookie=o.cookie, base=stack.instance_url(name))
        assert status == 200, "instance %s: review page %d" % (name, status)
        links = set(re.findall(r"/backoffice/t/%s/identity/%s/images/([0-9a-f-]{36})" % (SLUG, cid), page.decode()))
        assert links == {image_id}, (name, links)
        status, h, image, _ = request(stack, "GET", "%s/images/%s" % (review, image_id), cookie=o.cookie, base=stack.instance_url(name))
        assert status == 200, "instance %s answered %d for the image (files on the other instance's disk?)" % (name, status)
        seen[name] = image
    assert seen["a"] == seen["b"], "the two instances served different bytes"
    image = seen["a"]
    assert image[:3] == b"\xff\xd8\xff" and image != PHOTO.read_bytes() and st.sha256(image) == sha
    # The citizen sees the same watermarked image through nginx.
    status, _, mine, _ = request(stack, "GET", "/t/%s/account/images/%s" % (SLUG, image_id), cookie=c.cookie)
    assert status == 200 and mine == image
    # The officer's view through nginx from another address is audited with that address.
    status, _, again, _ = request(stack, "GET", "%s/images/%s" % (review, image_id), source="127.0.0.4", cookie=o.cookie)
    assert status == 200 and again == image
    ip = st.psql("SELECT ip FROM audit_events WHERE action = 'identity_image_viewed' ORDER BY at DESC LIMIT 1;")
    assert ip == "127.0.0.4", "the audit log shows %r for a view from 127.0.0.4 through nginx" % ip


def contact(s, source, n, spoof=None):
    """The contact form through nginx from `source`: GET the form, POST it. Returns the POST's status."""
    jar = {}
    status, _, page, set_cookie = request(s, "GET", "/t/%s/contact" % SLUG, source=source)
    assert status == 200
    cookie = cookies_of(set_cookie, jar)
    page = page.decode()
    csrf = re.search(r'name="_csrf" value="([^"]+)"', page).group(1)
    submission = re.search(r'name="submission" value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode({"_csrf": csrf, "submission": submission, "name": "ผู้ทดสอบ %s" % source,
                                   "email": "contact-%s-%d@example.com" % (source.replace(".", "-"), n), "phone": "",
                                   "subject": "สอบถามการให้บริการ", "body": "ข้อความทดสอบจากเครื่อง %s ครั้งที่ %d" % (source, n)})
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if spoof:
        headers["X-Forwarded-For"] = spoof
    status, _, _, _ = request(s, "POST", "/t/%s/contact" % SLUG, source=source, cookie=cookie, body=body, headers=headers)
    return status


def test_rate_limits_count_the_forwarded_address(stack):
    # 127.0.0.2 sends the five messages an hour one address may send, and a sixth.
    first = [contact(stack, "127.0.0.2", n) for n in range(6)]
    assert first == [303] * 5 + [429], first
    # 127.0.0.3 is another client: still served, also when it claims to be 127.0.0.2 or 127.0.0.1 itself.
    second = [contact(stack, "127.0.0.3", 0), contact(stack, "127.0.0.3", 1, spoof="127.0.0.2"),
              contact(stack, "127.0.0.3", 2, spoof="198.51.100.7, 127.0.0.1")]
    assert second == [303] * 3, "127.0.0.3 answered %s: counted with another address (nginx's, or the one it wrote itself)" % second
    # The instances' access logs name the clients, not nginx.
    logs = stack.instances["a"][0].log() + stack.instances["b"][0].log()
    for address in ("127.0.0.2", "127.0.0.3"):
        assert re.search(r"POST /t/:tenant/contact 303 .*client: %s\b" % re.escape(address), logs), "no access log line names %s" % address


class Filer(threading.Thread):
    """One of the eight clients: files petitions through nginx on one keep-alive connection until told to stop;
    records (token, status, tracking number from the 303's Location)."""

    def __init__(self, s, n, cookie, head, tail, content_type, stop):
        super().__init__(daemon=True)
        self.s, self.n, self.cookie, self.head, self.tail, self.content_type, self.stop = s, n, cookie, head, tail, content_type, stop
        self.results = []

    def run(self):
        holder, k = [None], 0
        while not self.stop.is_set():
            k += 1
            token = "scaleout%02dx%06d%s" % (self.n, k, os.urandom(6).hex())
            self.results.append(file_once(self.s, self.cookie, self.head, self.tail, self.content_type, token, holder))
        if holder[0]:
            holder[0].close()


def file_once(s, cookie, head, tail, content_type, token, holder=None):
    holder = holder if holder is not None else [None]
    t0 = time.time()
    try:
        if holder[0] is None:
            holder[0] = http.client.HTTPSConnection("127.0.0.1", s.https_port, timeout=60, context=s.tls)
        holder[0].request("POST", "/t/%s/services/bench-complaint/apply" % SLUG, body=head + token.encode() + tail,
                          headers={"Cookie": cookie, "Content-Type": content_type})
        r = holder[0].getresponse()
        body = r.read()
        location = r.getheader("Location") or ""
        if r.getheader("Connection", "").lower() == "close":
            holder[0].close()
            holder[0] = None
        m = re.search(r"/account/petitions/([A-Z]+-\d{4}-\d+)/filed$", location)
        return {"token": token, "status": r.status, "number": m.group(1) if m else None, "t0": t0, "t1": time.time(),
                "body": body.decode("utf-8", "replace") if r.status != 303 else ""}
    except (OSError, http.client.HTTPException) as e:
        if holder[0] is not None:
            holder[0].close()
        holder[0] = None
        return {"token": token, "status": None, "error": repr(e), "number": None, "t0": t0, "t1": time.time()}


def test_kill_one_instance_while_eight_clients_file(stack):
    c, cid = citizen(stack)
    apply_path = "/t/%s/services/bench-complaint/apply" % SLUG
    html, _ = c.get(apply_path)
    _, csrf = bp.form_of(html)
    version = re.search(r'name="_form_version" value="(\d+)"', html).group(1)
    boundary = "----scaleoutfiling" + os.urandom(8).hex()
    head = ('--%s\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n%s\r\n--%s\r\nContent-Disposition: form-data; name="_submission"\r\n\r\n'
            % (boundary, csrf, boundary)).encode()
    tail = (b"\r\n" + multipart(boundary, [("_form_version", version), ("subject", "ถนนชำรุดหน้าบ้านเลขที่ 12"), ("kind", "ขอใหม่"),
                                            ("file_document", ("photo-report.pdf", "application/pdf", PDF))]))
    content_type = "multipart/form-data; boundary=" + boundary
    # One filing alone first, so that petitions/<tenant>/ exists in the folder rclone serves the bucket from: in one of
    # the first runs, rclone answered the very first PutObject under it (eight arriving at once) with 500 InternalError.
    warm = file_once(stack, c.cookie, head, tail, content_type, "scaleoutwarmup" + os.urandom(8).hex())
    assert warm["status"] == 303, warm
    before = int(st.psql("SELECT count(*) FROM petitions WHERE tenant_id = '%s';" % SLUG))
    log_a = stack.instances["a"][0].log_path
    a_before = log_a.read_text(errors="replace").count("services/:service/apply 303")

    stop = threading.Event()
    filers = [Filer(stack, n, c.cookie, head, tail, content_type, stop) for n in range(CLIENTS)]
    for f in filers:
        f.start()
    answered = lambda: sum(1 for f in filers for r in list(f.results) if r["status"] == 303)
    deadline = time.time() + 60
    while answered() < 24 and time.time() < deadline:
        time.sleep(0.1)
    a_filed = log_a.read_text(errors="replace").count("services/:service/apply 303") - a_before
    nginx_errors = stack.tmp / "nginx" / "eservice.error.log"
    errors_before = nginx_errors.stat().st_size if nginx_errors.exists() else 0
    stack.kill9("a")
    killed_at = time.time()
    at_kill = answered()
    time.sleep(1.0)
    stack.start_instance("a")  # as the unit starts it: the settings file's MIGRATE_ON_START=off
    stack.wait_ready("a")
    restarted_at = time.time()
    deadline = time.time() + 60
    while (answered() < at_kill + 24 or time.time() < restarted_at + 3) and time.time() < deadline:
        time.sleep(0.1)
    stop.set()
    for f in filers:
        f.join(timeout=90)
    results = [r for f in filers for r in f.results]
    first_pass = {r["token"]: r for r in results}
    failed = [r for r in results if r["status"] != 303]
    print("filings: %d sent, %d answered 303, %d not (%s); instance a filed %d before SIGKILL %.1f s into the run"
          % (len(results), len(results) - len(failed), len(failed),
             ", ".join(sorted({str(r["status"]) for r in failed})), a_filed, killed_at - min(r["t0"] for r in results)))
    assert a_filed > 0, "instance a filed nothing before it was killed: the kill tested nothing"
    # nginx itself saw instance a go: a refused connection or a connection cut mid-request, naming a's address.
    with open(nginx_errors, "rb") as f:
        f.seek(errors_before)
        seen = [line for line in f.read().decode(errors="replace").splitlines() if "127.0.0.1:%d" % stack.instances["a"][1] in line]
    assert seen, "nginx logged no upstream error for instance a after the kill: the kill was not felt"
    print("nginx's upstream errors for instance a after the kill: %d, first: %s" % (len(seen), seen[0][:200]))
    assert not [r for r in failed if r["status"] not in (None, 502, 503, 504)], failed
    # What a citizen whose filing met the dying instance saw: nginx's page in Thai, not its English default.
    assert all("ระบบขัดข้องชั่วคราว" in r["body"] for r in failed if r["status"]), [(r["status"], r["body"][:200]) for r in failed]
    # A browser's retry of each filing that got no 303: the same body, the same submission token.
    retried = [file_once(stack, c.cookie, head, tail, content_type, r["token"]) for r in failed]
    assert all(r["status"] == 303 for r in retried), retried
    final = {**{t: r for t, r in first_pass.items()}, **{r["token"]: r for r in retried}}

    # Every submission token is exactly one petition, the one its 303 named.
    rows = st.psql("SELECT submission_key || '|' || number || '|' || id FROM petitions WHERE tenant_id = '%s' AND citizen_id = '%s';" % (SLUG, cid)).split()
    by_key = {}
    for row in rows:
        key, number, pid = row.split("|")
        by_key.setdefault(key, []).append((number, pid))
    for token, r in final.items():
        found = by_key.get(st.submission_key(cid, token), [])
        assert [n for n, _ in found] == [r["number"]], "token %s: 303 named %s, rows %s" % (token, r["number"], found)
    total = int(st.psql("SELECT count(*) FROM petitions WHERE tenant_id = '%s';" % SLUG)) - before
    assert total == len(final), "%d petitions for %d submissions" % (total, len(final))

    # Nothing half-written: each petition has its one attachment, whole in S3 and readable through nginx.
    attachments = st.psql(
        "SELECT p.number || '|' || a.id || '|' || a.file_name || '|' || a.bytes || '|' || a.sha256 FROM petitions p "
        "JOIN petition_attachments a ON a.petition_id = p.id WHERE p.tenant_id = '%s' AND p.citizen_id = '%s';" % (SLUG, cid)).split()
    by_number = {}
    for row in attachments:
        number, aid, name, size, sha = row.split("|")
        by_number.setdefault(number, []).append((aid, name, int(size), sha))
    numbers = {r["number"] for r in final.values()}
    assert all(len(by_number.get(n, [])) == 1 for n in numbers), [n for n in numbers if len(by_number.get(n, [])) != 1]
    objects = stack.s3["objects"]()
    pdf_sha = st.sha256(PDF)
    for n in numbers:
        aid, name, size, sha = by_number[n][0]
        assert size == len(PDF) and sha == pdf_sha, (n, size, sha)
        assert objects.get(name) == (len(PDF), pdf_sha), "petition %s: object %s missing or not whole in S3" % (n, name)
        status, _, data, _ = request(stack, "GET", "/t/%s/account/petitions/%s/files/%s" % (SLUG, n, aid), cookie=c.cookie)
        assert status == 200 and st.sha256(data) == pdf_sha, "petition %s: attachment through nginx gave %d" % (n, status)
    # Objects no row names: only what a filing cut short by the kill could leave (its file stored, its
    # transaction never committed), at most one per filing that got no 303 the first time.
    named = set(st.psql("SELECT file_name FROM petition_attachments;").split())
    orphans = sorted(k for k in objects if k.startswith("petitions/") and k not in named)
    print("objects no row names: %d (%s)" % (len(orphans), ", ".join(orphans)))
    assert len(orphans) <= len(failed), orphans

    # Each petition's e-mail, delivered once by the worker.
    deadline = time.time() + 120
    while time.time() < deadline and int(st.psql("SELECT count(*) FROM outbox_jobs WHERE status IN ('pending', 'running');")):
        time.sleep(0.5)
    assert st.psql("SELECT count(*) FROM outbox_jobs WHERE status IN ('pending', 'running', 'failed');") == "0", \
        st.psql("SELECT kind || ' ' || status || ' ' || coalesce(last_error, '') FROM outbox_jobs WHERE status <> 'done';")
    time.sleep(1)
    subjects = []
    for path in (stack.tmp / "mail").glob("*.eml"):
        msg = BytesParser(policy=policy.compat32).parsebytes(path.read_bytes(), headersonly=True)
        subjects.append(str(make_header(decode_header(msg["Subject"]))))
    for n in numbers:
        got = [s for s in subjects if n in s]
        assert len(got) == 1, "petition %s: %d e-mails" % (n, len(got))
    # The worker's own /metrics (its unit's --metrics-port) counted those e-mails; nginx never serves /metrics.
    status, _, body, _ = request(stack, "GET", "/metrics", base="http://127.0.0.1:%d" % stack.ports["worker-metrics"])
    assert status == 200, status
    sent = sum(float(line.rsplit(" ", 1)[1]) for line in body.decode().splitlines()
               if line.startswith('eservice_deliveries_total{') and 'channel="email"' in line and 'result="sent"' in line)
    assert sent >= len(numbers), "worker counted %s e-mails sent, %d petitions mailed" % (sent, len(numbers))
    for path in ("/metrics", "/metrics/", "//metrics", "/metrics?x=1"):
        status, _, _, _ = request(stack, "GET", path)
        assert status == 404, "nginx answered %s with %d" % (path, status)
    STATE["kill"] = {"sent": len(results), "not_303": len(failed), "petitions": total, "orphans": len(orphans), "mails": len(subjects)}
    print("kill test: %s" % json.dumps(STATE["kill"]))
