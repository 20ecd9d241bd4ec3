#!/usr/bin/env python3
"""Filing through nginx to two instances, beside one instance directly (issue 14, item 6).

The deployment of the scale-out test (Tests/scaleout/stack.py: deploy/nginx/eservice.conf rendered with a
self-signed certificate, two `eservice serve` instances run as deploy/systemd/eservice@.service says, with the
settings of deploy/eservice.env.example, on the throwaway PostgreSQL and S3 server of with-postgres.sh and
with-s3.sh), with the release binary. A citizen registers through nginx; then, in one run, wrk files a two-field
form with a 1 MB PDF (bench/petitions/load.lua, a fresh submission token per request, 8 connections, as
scripts/bench_petitions.py does):

  1. at one instance directly (plain HTTP, no nginx, the other instance idle);
  2. through nginx (HTTPS, HTTP/1.1 from wrk) to both instances.

It prints petitions per second and p95 for each, and the ratio of (2) to (1). On two cores one instance already
uses both (one event loop per core), so a second one cannot add speed: the ratio shows what TLS and the proxy
cost. After each run the 303s, the petitions and the objects in S3 must agree. No outbox worker runs (as in
bench_petitions.py): the filings' e-mails wait in the outbox.

Usage: scripts/with-postgres.sh scripts/with-s3.sh .venv/bin/python scripts/bench_scaleout.py   (BIN= the binary,
default .build/release/eservice). Env: FILE_SECONDS (20), KEEP=1 keeps the folder. Writes bench-results/scaleout.txt.
"""
import os
import pathlib
import re
import signal
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "Tests/scaleout"))
import stack as st  # noqa: E402

bp = st.bp
BIN = os.environ.get("BIN", str(ROOT / ".build/release/eservice"))
FILE_SECONDS = int(os.environ.get("FILE_SECONDS", "20"))
CONNECTIONS = 8
# bench_petitions.py's filing target, for one instance directly. Through nginx the issue asks for the ratio to that
# (on two cores two instances cannot be faster than one), so the rate there is reported beside it, not judged alone.
TARGET_FILED_PER_S = 50.0
TARGET_FILE_P95_MS = 300.0
TARGET_RATIO = 0.8  # TLS and the proxy may take at most a fifth of one instance's filings per second
SERVICE = "bench-complaint"


def cpu_split(pids_before, pids):
    return {name: bp.cpu_ticks(p) - pids_before[name] for name, p in pids.items()}


def nginx_pids(stack):
    """nginx's master and its workers."""
    master = stack.nginx.pid
    out = [master]
    for d in pathlib.Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if int((d / "stat").read_text().rsplit(")", 1)[1].split()[1]) == master:
                    out.append(int(d.name))
            except (OSError, IndexError, ValueError):
                pass
    return out


def s3_pids():
    """The `rclone serve s3` of with-s3.sh (the one listening on TEST_S3_ENDPOINT's port)."""
    port = os.environ.get("TEST_S3_ENDPOINT", "").rsplit(":", 1)[-1]
    out = []
    for d in pathlib.Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                argv = (d / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"serve" in argv and b"s3" in argv and any(a.endswith(b":" + port.encode()) for a in argv):
                out.append(int(d.name))
    return out


def run(stack, url, cookie, content_type, head_file, tail_file, label):
    pids = {"instance a": [stack.instances["a"][0].pid], "instance b": [stack.instances["b"][0].pid], "nginx": nginx_pids(stack),
            "PostgreSQL": bp.postgres_pids(), "S3 (rclone)": s3_pids()}
    before = {k: bp.cpu_ticks(v) for k, v in pids.items()}
    t0 = time.time()
    r = bp.wrk(url, ["file", cookie, content_type, str(head_file), str(tail_file), label + os.urandom(6).hex()],
               threads=2, connections=CONNECTIONS, seconds=FILE_SECONDS, server_pid=stack.instances["a"][0].pid)
    wall = time.time() - t0
    used = cpu_split(before, pids)
    r["cpu"] = ", ".join("%s %.0f%%" % (k, v / bp.CLK_TCK / wall * 100) for k, v in used.items())
    time.sleep(2)  # requests in flight when wrk stopped finish
    return r


def main():
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    tmp = st.new_tmp("bench-scaleout-")
    stack = st.Stack(BIN, tmp)
    ok_all = False
    try:
        stack.start_smtp()
        stack.start_s3()
        stack.start_nginx()
        migrate = stack.migrate()
        if migrate.proc.wait(timeout=300) != 0:
            raise SystemExit("eservice migrate failed:\n" + migrate.log())
        stack.start_instance("a")
        stack.start_instance("b")
        stack.wait_ready("a")
        stack.wait_ready("b")

        citizen = bp.Client(stack.base)
        citizen.register(1, st.SLUG, "bench-scaleout@example.com")
        cid = st.psql("SELECT id FROM citizens WHERE tenant_id = '%s' AND email = 'bench-scaleout@example.com';" % st.SLUG)
        # The address counts as confirmed, so each filing's notices are written as a real citizen's are.
        st.psql("UPDATE citizens SET email_confirmed_at = now() WHERE id = '%s';" % cid)
        apply_path = "/t/%s/services/%s/apply" % (st.SLUG, SERVICE)
        html, _ = citizen.get(apply_path)
        _, csrf = bp.form_of(html)
        version = re.search(r'name="_form_version" value="(\d+)"', html).group(1)
        pdf = bp.sample_pdf(bp.PDF_BYTES)
        boundary = "----benchscaleout" + os.urandom(8).hex()

        def part(name, value):
            return ('--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n' % (boundary, name, value)).encode()

        head = part("_csrf", csrf) + ('--%s\r\nContent-Disposition: form-data; name="_submission"\r\n\r\n' % boundary).encode()
        tail = (b"\r\n" + part("_form_version", version) + part("subject", "ถนนชำรุดหน้าบ้านเลขที่ 12") + part("kind", "ขอใหม่")
                + ('--%s\r\nContent-Disposition: form-data; name="file_document"; filename="report.pdf"\r\n'
                   'Content-Type: application/pdf\r\n\r\n' % boundary).encode() + pdf + ("\r\n--%s--\r\n" % boundary).encode())
        head_file, tail_file = tmp / "body-head", tmp / "body-tail"
        head_file.write_bytes(head)
        tail_file.write_bytes(tail)
        content_type = "multipart/form-data; boundary=" + boundary

        def counts():
            petitions = int(st.psql("SELECT count(*) FROM petitions WHERE tenant_id = '%s' AND citizen_id = '%s';" % (st.SLUG, cid)))
            objects = sum(1 for k in stack.s3["objects"]() if k.startswith("petitions/"))
            return petitions, objects

        rows, notes, results = [], [], {}
        for key, title, url in [
            ("direct", "one instance directly (HTTP)", stack.instance_url("a") + apply_path),
            ("nginx", "nginx (HTTPS) to two instances", stack.base + apply_path),
        ]:
            p0, o0 = counts()
            r = run(stack, url, citizen.cookie, content_type, head_file, tail_file, key[0])
            p1, o1 = counts()
            filed, stored = p1 - p0, o1 - o0
            consistent = (r["s3xx"] <= filed <= r["s3xx"] + CONNECTIONS and stored == filed and r["s2xx"] + r["s4xx"] + r["s5xx"] == 0)
            results[key] = r
            judged = key == "direct"
            rows += [
                ("filing, %s: petitions per second (2 fields + 1 MB PDF, wrk -t2 -c%d -d%ds)" % (title, CONNECTIONS, FILE_SECONDS),
                 ">= %.0f/s" % TARGET_FILED_PER_S if judged else "ratio below", "%.1f/s" % r["rps"],
                 r["rps"] >= TARGET_FILED_PER_S if judged else True),
                ("filing, %s: latency p95 (p50 %.0f, p99 %.0f ms)" % (title, r["p50"] / 1e3, r["p99"] / 1e3),
                 "<= %.0f ms" % TARGET_FILE_P95_MS, "%.0f ms" % (r["p95"] / 1e3), r["p95"] / 1e3 <= TARGET_FILE_P95_MS),
                ("filing, %s: 303s / petitions / objects in S3 (non-303: %d, socket errors %d)"
                 % (title, r["s2xx"] + r["s4xx"] + r["s5xx"], r["errors"]), "equal", "%d / %d / %d" % (r["s3xx"], filed, stored), consistent),
            ]
            notes.append("%s: CPU (%% of one core, %d cores): %s; wrk+bench %.0f%%; the rest of the machine (S3 included) %.0f%%"
                         % (title, os.cpu_count(), r["cpu"], r["bench_cpu"], r["other_cpu"]))
            bp.print_rows(rows[-3:])
        ratio = results["nginx"]["rps"] / results["direct"]["rps"] if results["direct"]["rps"] else 0.0
        rows.append(("filings per second, nginx to two instances / one instance directly (p95 %.0f / %.0f ms)"
                     % (results["nginx"]["p95"] / 1e3, results["direct"]["p95"] / 1e3), ">= %.2f" % TARGET_RATIO, "%.2f" % ratio,
                     ratio >= TARGET_RATIO))
        bp.print_rows(rows[-1:])
        header = [
            "Scale-out filing (issue 14): nginx %s with deploy/nginx/eservice.conf in front of two instances, beside one instance directly"
            % subprocess.run(["nginx", "-v"], capture_output=True, text=True).stderr.strip().split("/")[-1],
            "  release build, APP_ENV=production, %d cores, PostgreSQL %s (throwaway: fsync off), files in S3 (rclone serve s3), no outbox worker;"
            " one citizen files every petition (UPLOAD_FILES_PER_HOUR lifted)" % (os.cpu_count(), st.psql("SHOW server_version;")),
            "",
        ]
        ok_all = all(r[3] for r in rows)
        text = "\n".join(header + bp.format_rows(rows) + ["", "overall: %s" % ("PASS" if ok_all else "FAIL"), "", "notes:"]
                         + ["  " + n for n in notes]) + "\n"
        print()
        print(text)
        out = ROOT / "bench-results"
        out.mkdir(exist_ok=True)
        (out / "scaleout.txt").write_text(text, encoding="utf-8")
    finally:
        stack.close()
        st.keep_or_remove(tmp, not ok_all)


if __name__ == "__main__":
    main()
