"""/metrics read by the Prometheus project's own parser (prometheus_client.parser), before and after a citizen
files a complaint over HTTP (bench_petitions' browser-like client: the real registration pages, then the real
multipart filing form). The filing route's request counter must move by exactly one 303, the in-process outbox
worker's done counters and the e-mail delivery counter must move, and the outbox gauges (read from the database,
cached five seconds) must show the e-mail queue empty again once it is delivered. No browser; about ten seconds.
The tenant is bangrak, so the browser journeys' bangkrathum data stays as they expect.
"""
import os
import pathlib
import random
import re
import sys
import time
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import bench_petitions as bp  # noqa: E402  (the browser-like client and its registration)

BASE = os.environ.get("E2E_BASE_URL", "").rstrip("/")
SLUG = "bangrak"
APPLY = "/t/%s/services/general-complaint/apply" % SLUG
APPLY_ROUTE = "/t/:tenant/services/:service/apply"


def scrape():
    """Every sample of /metrics as {(sample name, sorted labels): value}, parsed by prometheus_client."""
    with urllib.request.urlopen(BASE + "/metrics", timeout=30) as r:
        assert r.status == 200
        assert r.headers.get("Content-Type", "").startswith("text/plain; version=0.0.4")
        assert r.headers.get("Set-Cookie") is None, "no session for /metrics"
        text = r.read().decode("utf-8")
    samples = {}
    families = list(text_string_to_metric_families(text))
    for family in families:
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples, {f.name: f.type for f in families}


def value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def file_complaint(client):
    """Posts the complaint form as the browser does: multipart, the CSRF token first."""
    html, _ = client.get(APPLY)
    _, csrf = bp.form_of(html)
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
    fields = [("_csrf", csrf)] + [(k, v) for k, v in hidden.items() if k != "_csrf"] + [
        ("category", "ข้อเสนอแนะ"), ("subject", "ทดสอบตัวนับ /metrics"), ("details", "ไฟทางเดินหน้าซอยดับสามวันแล้ว")]
    boundary = "----metrics%08x" % random.getrandbits(32)
    body = b"".join(('--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n' % (boundary, k, v)).encode() for k, v in fields)
    body += ("--%s--\r\n" % boundary).encode()
    req = urllib.request.Request(BASE + APPLY, body, {"Content-Type": "multipart/form-data; boundary=" + boundary})
    with client.opener.open(req, timeout=60) as r:
        r.read()
        assert r.geturl().endswith("/filed"), r.geturl()


def test_metrics_parse_and_move_when_a_petition_is_filed():
    before, types = scrape()
    assert types["eservice_http_requests"] == "counter"
    assert types["eservice_http_request_duration_seconds"] == "histogram"
    assert types["eservice_outbox_jobs"] == "gauge"
    assert value(before, "eservice_tenants_loaded") >= 3
    filed_before = value(before, "eservice_http_requests_total", route=APPLY_ROUTE, method="POST", status="3xx")

    n = random.randrange(100_000, 900_000)
    client = bp.Client(BASE)
    client.register(n, SLUG, "metrics-%d@example.com" % n)
    file_complaint(client)

    # The worker in the server sends the notice and its e-mail; the gauges are re-read at most every 5 s.
    deadline = time.time() + 30
    while True:
        after, _ = scrape()
        moved = (value(after, "eservice_outbox_jobs_done_total", kind="petition.filed") > value(before, "eservice_outbox_jobs_done_total", kind="petition.filed")
                 and value(after, "eservice_deliveries_total", channel="email", result="sent")
                 > value(before, "eservice_deliveries_total", channel="email", result="sent"))
        # The gauges must be there (a series never written would read as "0" through value()).
        gauges = [("eservice_outbox_jobs", (("kind", k), ("status", "pending"))) for k in ("email", "petition.filed")]
        drained = all(g in after and after[g] == 0 for g in gauges)
        if (moved and drained) or time.time() > deadline:
            break
        time.sleep(1)

    assert value(after, "eservice_http_requests_total", route=APPLY_ROUTE, method="POST", status="3xx") == filed_before + 1
    assert value(after, "eservice_http_request_duration_seconds_count", route=APPLY_ROUTE, method="POST") >= 1
    assert value(after, "eservice_http_requests_total", route="/t/:tenant/register/details", method="POST", status="3xx") >= 1
    assert value(after, "eservice_outbox_jobs_done_total", kind="petition.filed") > value(before, "eservice_outbox_jobs_done_total", kind="petition.filed")
    assert value(after, "eservice_outbox_jobs_done_total", kind="email") > value(before, "eservice_outbox_jobs_done_total", kind="email")
    assert value(after, "eservice_deliveries_total", channel="email", result="sent") > value(before, "eservice_deliveries_total", channel="email", result="sent")
    assert drained, "the e-mail and notice queues did not drain in the gauges"
    assert (("eservice_outbox_oldest_waiting_age_seconds", (("kind", "email"),)) in after)
    # Nothing from the request itself in a label: no tenant slug, no e-mail address.
    assert not any(SLUG in str(labels) or "example.com" in str(labels) for _, labels in after)
