"""Browser journeys against a running server (see scripts/e2e.sh).

Env: E2E_BASE_URL (e.g. http://127.0.0.1:18080), E2E_PORT. Uses Debian's
chromium + chromedriver; Selenium never downloads anything (SE_OFFLINE).
"""
import os
import pathlib
import urllib.error
import urllib.request

import pytest

BASE = os.environ.get("E2E_BASE_URL", "").rstrip("/")
if not BASE:
    pytest.skip("E2E_BASE_URL not set (run scripts/e2e.sh)", allow_module_level=True)
PORT = os.environ.get("E2E_PORT") or BASE.rsplit(":", 1)[-1]

os.environ.setdefault("SE_OFFLINE", "true")
from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402
from selenium.webdriver.support.events import EventFiringWebDriver  # noqa: E402

import a11y  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM_BIN", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER_BIN", "/usr/bin/chromedriver")
TENANT = "bangkrathum"
PORTAL_HEADING = "บริการประชาชนออนไลน์ e-Service"
SIZES = [(390, 844), (1366, 768)]
WAIT = 20


def tenant_name_th(slug):
    """Thai name from the tenant's yaml (None if it cannot be read)."""
    try:
        import yaml
        d = pathlib.Path(os.environ.get("TENANTS_DIR", ROOT / "Tenants"))
        if not d.is_absolute():
            d = ROOT / d
        with open(d / slug / "tenant.yaml", encoding="utf-8") as f:
            return yaml.safe_load(f)["name"]["th"]
    except Exception:
        return None


def norm(s):
    return " ".join((s or "").split())


@pytest.fixture(scope="session")
def driver():
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
              "--lang=th-TH", "--window-size=1366,768", "--hide-scrollbars"):
        opts.add_argument(a)
    opts.add_experimental_option("prefs", {"intl.accept_languages": "th-TH,th"})
    d = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)
    d.set_page_load_timeout(60)
    d.set_script_timeout(60)
    # Every page the journeys reach is checked with axe-core (a11y.py).
    checked = EventFiringWebDriver(d, a11y.AxeListener())
    yield checked
    a11y.report()
    d.quit()


@pytest.fixture(params=SIZES, ids=lambda s: "%dx%d" % s)
def page(request, driver):
    """The driver at the requested viewport size; screenshot on teardown."""
    w, h = request.param
    driver.set_window_size(w, h)
    # Exact CSS viewport, whatever the window decorations.
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": w, "height": h, "deviceScaleFactor": 1, "mobile": False})
    yield driver
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SHOTS / ("%s-%dx%d.png" % (request.node.originalname, w, h))))


def wait(d):
    # A page that is being replaced (after a form post) makes elements stale: look again, don't fail.
    # Chrome may also report a node "not in the document" while the page is swapped.
    return WebDriverWait(d, WAIT, ignored_exceptions=[StaleElementReferenceException, WebDriverException])


def body_text(d):
    return norm(d.find_element(By.TAG_NAME, "body").text)


def wait_for_text(d, text):
    try:
        wait(d).until(lambda drv: text in body_text(drv))
    except Exception:
        pytest.fail("page %s does not show %r; it shows: %.500s" % (d.current_url, text, body_text(d)))


def assert_no_horizontal_scroll(d):
    sw, iw = d.execute_script(
        "return [document.documentElement.scrollWidth, window.innerWidth]")
    assert sw <= iw + 1, "horizontal scroll at %s: scrollWidth %d > innerWidth %d" % (d.current_url, sw, iw)


def header_share(d):
    """The page header's height as a share of the viewport's height."""
    return d.execute_script(
        "var h = document.querySelector('body > header'); return h ? h.getBoundingClientRect().height / window.innerHeight : 0")


def assert_compact_header(d, limit=0.25):
    """On a phone the tenant's name and menus once took half of the first screen; a quarter at most."""
    share = header_share(d)
    assert 0 < share <= limit, "the header takes %.0f%% of the %dpx-high screen at %s" % (
        share * 100, d.execute_script("return window.innerHeight"), d.current_url)


def open_tenant_home_from_portal(d):
    d.get(BASE + "/")
    wait(d).until(lambda drv: len(drv.find_elements(By.CSS_SELECTOR, "a[data-tenant]")) >= 3)
    links = d.find_elements(By.CSS_SELECTOR, "a[data-tenant]")
    assert len(links) >= 3, "portal lists %d tenants" % len(links)
    assert_no_horizontal_scroll(d)
    link = wait(d).until(EC.element_to_be_clickable((By.CSS_SELECTOR, 'a[data-tenant="%s"]' % TENANT)))
    d.execute_script("arguments[0].scrollIntoView({block: 'center'})", link)
    link.click()
    wait(d).until(EC.url_contains("/t/%s/" % TENANT))


def test_portal_to_service(page):
    d = page
    open_tenant_home_from_portal(d)
    lang = d.find_element(By.TAG_NAME, "html").get_attribute("lang") or ""
    assert lang.split("-")[0].lower() == "th", "html lang=%r" % lang
    wait_for_text(d, PORTAL_HEADING)
    name = tenant_name_th(TENANT)
    if name:
        wait_for_text(d, name)
    assert_no_horizontal_scroll(d)

    menu = d.find_element(By.CSS_SELECTOR, '#services-menu details.menu[data-menu="online"]')
    summary = menu.find_element(By.CSS_SELECTOR, "summary")
    assert norm(summary.text), "online menu has no title"
    d.execute_script("arguments[0].scrollIntoView({block: 'center'})", summary)
    wait(d).until(EC.element_to_be_clickable(summary)).click()
    wait(d).until(lambda drv: menu.get_attribute("open") is not None)
    first = wait(d).until(EC.visibility_of_element_located(
        (By.CSS_SELECTOR, '#services-menu details[data-menu="online"] a.service-link')))
    link_text = norm(first.text)
    assert link_text, "first online service link has no text"
    assert "/t/%s/services/" % TENANT in (first.get_attribute("href") or "")
    d.execute_script("arguments[0].scrollIntoView({block: 'center'})", first)
    wait(d).until(EC.element_to_be_clickable(first)).click()

    title = wait(d).until(EC.visibility_of_element_located((By.ID, "service-title")))
    wait(d).until(EC.url_contains("/services/"))
    assert norm(title.text) == link_text
    assert_no_horizontal_scroll(d)


def test_tenant_header_is_compact(page):
    """Each tenant's home: the header (logo, name, sign-in links, menus) stays within a quarter of the screen,
    the name in at most two lines of at least 15 px, the full name in the link's title; the menus still open."""
    d = page
    for slug in ("bangkrathum", "bangrak", "nakhonpathom"):
        d.get(BASE + "/t/%s/" % slug)
        wait_for_text(d, PORTAL_HEADING)
        assert_compact_header(d)
        brand = d.find_element(By.CSS_SELECTOR, ".tenant-header a.brand")
        name = tenant_name_th(slug)
        if name:
            assert brand.get_attribute("title") == name, "the full name is the brand link's title"
        lines, size = d.execute_script(
            "var n = arguments[0], s = getComputedStyle(n);"
            "return [n.getBoundingClientRect().height / parseFloat(s.lineHeight), parseFloat(s.fontSize)]",
            brand.find_element(By.CSS_SELECTOR, ".brand-name"))
        assert lines <= 2.05, "the name takes %.1f lines on %s" % (lines, slug)
        assert size >= 15, "the name is %.1fpx" % size
        assert_no_horizontal_scroll(d)
    menu = d.find_element(By.CSS_SELECTOR, '#services-menu details.menu[data-menu="complaints"] summary')
    menu.click()
    first = wait(d).until(EC.visibility_of_element_located(
        (By.CSS_SELECTOR, '#services-menu details[data-menu="complaints"] a.service-link')))
    assert norm(first.text)


def test_tenant_by_host(page):
    d = page
    d.get(BASE + "/t/%s/" % TENANT)
    wait_for_text(d, PORTAL_HEADING)
    name = tenant_name_th(TENANT) or norm(d.title)
    assert name, "cannot tell the tenant's Thai name"
    wait_for_text(d, name)

    d.get("http://%s.localhost:%s/" % (TENANT, PORT))
    wait_for_text(d, name)
    wait_for_text(d, PORTAL_HEADING)
    lang = d.find_element(By.TAG_NAME, "html").get_attribute("lang") or ""
    assert lang.split("-")[0].lower() == "th", "html lang=%r" % lang
    assert_no_horizontal_scroll(d)


def test_unknown_tenant_404(page):
    d = page
    url = BASE + "/t/no-such-place/"
    try:
        with urllib.request.urlopen(url, timeout=WAIT) as r:
            status = r.status
    except urllib.error.HTTPError as e:
        status = e.code
    assert status == 404, "GET %s -> %d" % (url, status)
    d.get(url)
    wait_for_text(d, "ไม่พบ")
    lang = d.find_element(By.TAG_NAME, "html").get_attribute("lang") or ""
    assert lang.split("-")[0].lower() == "th", "html lang=%r" % lang
    assert_no_horizontal_scroll(d)


def test_contact_journey(page):
    """A person writes to the municipality from a phone or a PC: a mistake is shown beside its field,
    what was typed stays, the corrected form says สำเร็จ with a reference, and both e-mails go out
    (the server runs without SMTP_URL here, so they appear in the development mailbox)."""
    d = page
    d.get(BASE + "/t/%s/contact" % TENANT)
    wait(d).until(EC.presence_of_element_located((By.ID, "name")))
    assert_no_horizontal_scroll(d)
    subject = "ไฟฟ้าดับหน้าซอย %s" % d.get_window_size()["width"]
    d.find_element(By.ID, "email").send_keys("not-an-email")
    d.find_element(By.ID, "subject").send_keys(subject)
    d.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait_for_text(d, "กรุณาแก้ไขข้อมูลต่อไปนี้")
    wait_for_text(d, "รูปแบบอีเมลไม่ถูกต้อง")
    assert d.find_element(By.ID, "subject").get_attribute("value") == subject, "typed text kept"
    assert d.find_element(By.ID, "email").get_attribute("aria-invalid") == "true"

    d.find_element(By.ID, "name").send_keys("สมชาย ใจดี")
    email = d.find_element(By.ID, "email")
    email.clear()
    email.send_keys("somchai@example.com")
    d.find_element(By.ID, "body").send_keys("ไฟฟ้าสาธารณะดับมาสามคืนแล้ว")
    d.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait_for_text(d, "สำเร็จ")
    reference = d.find_element(By.CSS_SELECTOR, ".reference strong").text
    assert reference.startswith("BKT-C"), reference

    # The outbox worker inside the server delivers both mails within a few seconds.
    def mailbox_has_reference(drv):
        drv.get(BASE + "/dev/mailbox")
        return body_text(drv).count(reference) >= 2
    try:
        WebDriverWait(d, WAIT, poll_frequency=0.5,
                      ignored_exceptions=[StaleElementReferenceException]).until(mailbox_has_reference)
    except Exception:
        pytest.fail("mailbox does not list both e-mails for %s: %.500s" % (reference, body_text(d)))
