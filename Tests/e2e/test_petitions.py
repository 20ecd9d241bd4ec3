"""A petition from filing to licence, on a phone (390×844): the verified citizen from test_citizen.py opens
บริการออนไลน์ ▾ → ขอรับถังขยะ → ยื่นคำร้องออนไลน์, fills the form and attaches a PDF, sees "สำเร็จ" with the
tracking number and the ใบรับคำร้อง; bangkrathum's officer (test_backoffice.py) finds it in the queue, moves it
through every status and issues a licence; the citizen sees ดำเนินการสำเร็จ, downloads the licence, rates the
result and then says it is not settled (back to กำลังดำเนินการ), and the QR code on the officer's page (decoded with zbarimg) opens the public verification page, whose SHA-256 is the
downloaded file's. Screenshots go to test-artifacts/screenshots/petition-*.png.
"""
import hashlib
import os
import pathlib
import re
import subprocess
import tempfile
import urllib.request

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from test_backoffice import OFFICER, PHONE, fill, sign_in, sign_out
from test_citizen import CITIZEN, submit
from test_journeys import BASE, SHOTS, assert_compact_header, assert_no_horizontal_scroll, driver, wait, wait_for_text  # noqa: F401

step_no = [0]

PDF = b"""%PDF-1.4
1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj
2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj
3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >> endobj
trailer << /Root 1 0 R >>
%%EOF
"""


def shot(d, name):
    step_no[0] += 1
    SHOTS.mkdir(parents=True, exist_ok=True)
    d.save_screenshot(str(SHOTS / ("petition-%02d-%s.png" % (step_no[0], name))))


def cookies(d):
    return "; ".join("%s=%s" % (c["name"], c["value"]) for c in d.get_cookies())


def fetch(d, url):
    with urllib.request.urlopen(urllib.request.Request(url, headers={"Cookie": cookies(d)})) as r:
        return r.headers, r.read()


# Each petition status's badge colours in Public/css/site.css (text, background), as the browser computes them.
STATUS_COLOURS = {
    "submitted": ("rgb(29, 43, 79)", "rgb(232, 236, 245)"),
    "accepted": ("rgb(107, 75, 0)", "rgb(255, 247, 224)"),
    "in_progress": ("rgb(90, 45, 130)", "rgb(241, 233, 248)"),
    "completed": ("rgb(0, 90, 48)", "rgb(230, 244, 234)"),
    "cannot_proceed": ("rgb(164, 22, 26)", "rgb(253, 234, 234)"),
}


def computed(d, element, prop):
    return d.execute_script("return getComputedStyle(arguments[0]).getPropertyValue(arguments[1])", element, prop)


def rgb(css):
    """(r, g, b, alpha) of a computed colour such as "rgb(1, 2, 3)" or "rgba(0, 0, 0, 0)"."""
    parts = [float(p) for p in css[css.index("(") + 1:css.index(")")].split(",")]
    return tuple(parts[:3]) + ((parts[3],) if len(parts) == 4 else (1.0,))


def contrast(a, b):
    def luminance(c):
        ch = [v / 255 for v in c[:3]]
        ch = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in ch]
        return 0.2126 * ch[0] + 0.7152 * ch[1] + 0.0722 * ch[2]
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def assert_status_badge(d, badge, status):
    """The badge carries its status's colours (a stylesheet block left open once dropped them on phones)."""
    assert badge.get_attribute("data-status") == status, badge.get_attribute("outerHTML")
    text, background = computed(d, badge, "color"), computed(d, badge, "background-color")
    assert rgb(background)[3] > 0 and rgb(background)[:3] != (255, 255, 255), "status %s badge has no colour: %s" % (status, background)
    assert (text, background) == STATUS_COLOURS[status], "status %s badge is %s on %s" % (status, text, background)
    assert contrast(rgb(text), rgb(background)) >= 4.5


def citizen_sign_in(d):
    d.get(BASE + "/t/bangkrathum/login")
    fill(d, {"nationalID": CITIZEN["nid"], "password": CITIZEN["password"]})
    submit(d, "เข้าสู่ระบบ")
    wait_for_text(d, "ยินดีต้อนรับเข้าสู่ระบบบริการประชาชนออนไลน์")


def move(d, status, note=None):
    d.execute_script("arguments[0].click()", d.find_element(By.ID, "status-" + status))
    if note:
        d.find_element(By.ID, "note").send_keys(note)
    submit(d, "บันทึกสถานะ")


def test_petition_from_filing_to_verified_licence(driver):  # noqa: F811
    if not OFFICER or not CITIZEN:
        pytest.skip("needs the officer (test_backoffice.py) and the verified citizen (test_citizen.py)")
    d = driver
    d.set_window_size(*PHONE)
    d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": PHONE[0], "height": PHONE[1], "deviceScaleFactor": 1, "mobile": False})
    d.delete_all_cookies()
    work = pathlib.Path(tempfile.mkdtemp(prefix="petition-e2e-"))
    house = work / "สำเนาทะเบียนบ้าน.pdf"
    house.write_bytes(PDF)

    # The citizen finds the service in the menu and files it.
    citizen_sign_in(d)
    d.find_element(By.CSS_SELECTOR, 'details[data-menu="online"] summary').click()
    d.find_element(By.LINK_TEXT, "ขอรับถังขยะ").click()
    wait_for_text(d, "ยื่นคำร้องออนไลน์")
    d.find_element(By.ID, "apply").click()
    wait(d).until(EC.url_contains("/services/waste-bin/apply"))
    for el in d.find_elements(By.CSS_SELECTOR, "main form input:not([type=hidden]), main form select, main form textarea"):
        assert d.find_elements(By.CSS_SELECTOR, 'label[for="%s"]' % el.get_attribute("id")), "no label for %s" % el.get_attribute("name")
    submit(d, "ยื่นคำร้อง")
    wait_for_text(d, "กรุณาเลือกประเภทอาคาร")
    assert d.find_elements(By.CSS_SELECTOR, ".error-summary a[href='#premises_type']"), "the summary links to the field"
    shot(d, "form-errors")
    Select(d.find_element(By.ID, "premises_type")).select_by_visible_text("บ้านพักอาศัย")
    d.execute_script("arguments[0].click()", d.find_element(By.CSS_SELECTOR, "input[name=reason][value='ยังไม่มีถังขยะ']"))
    Select(d.find_element(By.ID, "bin_type")).select_by_visible_text("ถังขยะทั่วไป ขนาด 120 ลิตร")
    fill(d, {"quantity": "๒", "placement": "หน้าบ้านเลขที่ 12/3 หมู่ 4 ริมถนนสายพิษณุโลก-บางกระทุ่ม"})
    d.find_element(By.ID, "file_house_registration").send_keys(str(house))
    assert_no_horizontal_scroll(d)
    shot(d, "form-filled")
    submit(d, "ยื่นคำร้อง")
    wait_for_text(d, "สำเร็จ")
    number = d.find_element(By.CSS_SELECTOR, "[data-petition-number]").text
    assert re.fullmatch(r"BKT-25\d\d-\d{6}", number), number
    assert_no_horizontal_scroll(d)
    shot(d, "filed")
    d.find_element(By.PARTIAL_LINK_TEXT, "ใบรับคำร้อง").click()
    wait_for_text(d, "ใบรับคำร้อง")
    for text in ("เทศบาลตำบลบางกระทุ่ม", "ขอรับถังขยะ", number, "สำเนาทะเบียนบ้าน.pdf"):
        wait_for_text(d, text)
    shot(d, "receipt")
    d.get(BASE + "/t/bangkrathum/account/petitions")
    wait_for_text(d, number)
    wait_for_text(d, "ส่งคำร้อง")
    # On the phone each petition is a card (not a squeezed four-column table row), its number on one line,
    # its status in colour; the header stays small.
    row = d.find_element(By.CSS_SELECTOR, ".petition-table tbody tr")
    assert computed(d, row, "display") == "block", "คำร้องของฉัน is a table row on the phone"
    cells = row.find_elements(By.CSS_SELECTOR, "td")
    assert all(computed(d, td, "display") == "block" for td in cells)
    tops = [td.rect["y"] for td in cells]
    assert tops == sorted(tops) and len(set(tops)) == len(cells), "the cells are not stacked: %s" % tops
    assert d.execute_script("return document.querySelector('.petition-table thead').getBoundingClientRect().right") <= 0
    link = row.find_element(By.CSS_SELECTOR, "a.petition-number-link")
    assert link.text == number
    assert d.execute_script("return arguments[0].getClientRects().length", link) == 1, "the tracking number is split over lines"
    assert_status_badge(d, row.find_element(By.CSS_SELECTOR, ".status-badge"), "submitted")
    assert_compact_header(d)
    assert_no_horizontal_scroll(d)
    shot(d, "my-petitions")
    d.find_element(By.CSS_SELECTOR, ".citizen-links form.signout button").click()
    wait_for_text(d, "ออกจากระบบแล้ว")

    # The officer: the queue, the petition, every status, a licence.
    sign_in(d, OFFICER["user"], OFFICER["password"], OFFICER["secret"])
    d.get(BASE + "/backoffice/t/bangkrathum/petitions")
    wait_for_text(d, number)
    shot(d, "officer-queue")
    d.find_element(By.LINK_TEXT, number).click()
    wait_for_text(d, "ผู้ยื่นคำร้อง")
    move(d, "accepted")
    wait(d).until(lambda drv: drv.find_element(By.ID, "current-status").text == "เจ้าหน้าที่รับเรื่อง")
    move(d, "in_progress", "นัดส่งถังขยะภายในสัปดาห์นี้")
    wait(d).until(lambda drv: drv.find_element(By.ID, "current-status").text == "กำลังดำเนินการ")
    move(d, "completed", "ส่งถังขยะเรียบร้อยแล้ว")
    wait(d).until(lambda drv: drv.find_element(By.ID, "current-status").text == "ดำเนินการสำเร็จ")
    licence = work / "licence.pdf"
    licence.write_bytes(PDF.replace(b"200 200", b"595 842"))
    d.execute_script("arguments[0].click()", d.find_element(By.CSS_SELECTOR, "input[name=kind][value=licence]"))
    fill(d, {"title": "หนังสืออนุญาตใช้ถังขยะ เลขที่ 1/2569", "valid_until": "31/12/2570"})
    d.find_element(By.ID, "file").send_keys(str(licence))
    submit(d, "ออกเอกสาร")
    wait(d).until(EC.presence_of_element_located((By.ID, "document-list")))
    qr = d.find_element(By.CSS_SELECTOR, ".document-qr img")
    wait(d).until(lambda drv: drv.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", qr))
    d.execute_script("arguments[0].scrollIntoView({block: 'center'})", qr)
    shot(d, "officer-licence")
    qr_png = work / "qr.png"
    qr_png.write_bytes(qr.screenshot_as_png)
    decoded = subprocess.run(["zbarimg", "--raw", "-q", str(qr_png)], capture_output=True, text=True)
    assert decoded.returncode == 0, "zbarimg could not read the QR code: %s" % decoded.stderr
    verify_url = decoded.stdout.strip()
    assert "/verify/" in verify_url, verify_url
    sign_out(d)

    # The citizen: ดำเนินการสำเร็จ, the officer's notes, the licence to download.
    citizen_sign_in(d)
    d.get(BASE + "/t/bangkrathum/account/petitions/" + number)
    wait_for_text(d, "ดำเนินการสำเร็จ")
    wait_for_text(d, "ส่งถังขยะเรียบร้อยแล้ว")
    wait_for_text(d, "ใบอนุญาต")
    assert_no_horizontal_scroll(d)
    assert_compact_header(d)
    assert_status_badge(d, d.find_element(By.CSS_SELECTOR, "main p.status-badge"), "completed")
    # เปิดดู and ดาวน์โหลด look like buttons: a background unlike the page's, readable text (AA), a tap-sized box.
    page_bg = rgb(computed(d, d.find_element(By.TAG_NAME, "body"), "background-color"))
    for selector in (".documents a[data-view]", ".documents a[data-download]"):
        button = d.find_element(By.CSS_SELECTOR, selector)
        d.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
        bg, fg = rgb(computed(d, button, "background-color")), rgb(computed(d, button, "color"))
        assert bg[3] == 1 and bg[:3] != page_bg[:3], "%s has the page's background %s" % (button.text, bg)
        assert contrast(fg, bg) >= 4.5, "%s: text contrast %.1f" % (button.text, contrast(fg, bg))
        assert button.rect["height"] >= 40
    shot(d, "citizen-completed")
    download = d.find_element(By.CSS_SELECTOR, ".documents a[data-download]").get_attribute("href")
    headers, body = fetch(d, download)
    assert headers["Content-Type"] == "application/pdf"
    assert headers["Content-Disposition"].startswith("attachment")
    assert body == licence.read_bytes(), "the citizen downloads the file the officer issued"
    digest = hashlib.sha256(body).hexdigest()

    # The citizen rates the result (a choice is required: the error links to the group), then says it is not settled.
    d.execute_script("arguments[0].scrollIntoView({block: 'start'})", d.find_element(By.ID, "feedback"))
    submit(d, "ส่งคะแนน")
    wait_for_text(d, "กรุณาเลือกระดับความพึงพอใจ 1 ถึง 5")
    assert d.find_elements(By.CSS_SELECTOR, "#feedback .error-summary a[href='#rating-stars']"), "the summary links to the choices"
    for radio in d.find_elements(By.CSS_SELECTOR, "#rating-form input[type=radio]"):
        assert d.find_elements(By.CSS_SELECTOR, 'label[for="%s"]' % radio.get_attribute("id"))
        assert radio.rect["height"] >= 20
    assert_no_horizontal_scroll(d)
    d.execute_script("arguments[0].click()", d.find_element(By.ID, "rating-5"))
    d.find_element(By.ID, "rating-comment").send_keys("ได้ถังขยะเร็วมาก ขอบคุณครับ")
    shot(d, "citizen-rating")
    submit(d, "ส่งคะแนน")
    wait_for_text(d, "ขอบคุณที่ให้คะแนน")
    assert "5 จาก 5 (พอใจมากที่สุด)" in d.find_element(By.ID, "rating-given").text
    assert not d.find_elements(By.ID, "rating-form"), "rated once: no second form"
    submit(d, "แจ้งว่ายังไม่ได้รับการแก้ไข")
    wait_for_text(d, "กรุณาบอกว่ายังไม่ได้รับการแก้ไขอย่างไร")
    d.find_element(By.ID, "reopen-reason").send_keys("ได้ถังแล้วแต่ฝาถังแตก ใช้งานไม่ได้")
    submit(d, "แจ้งว่ายังไม่ได้รับการแก้ไข")
    wait_for_text(d, "แจ้งแล้วว่ายังไม่ได้รับการแก้ไข")
    assert_status_badge(d, d.find_element(By.CSS_SELECTOR, "main p.status-badge"), "in_progress")
    wait_for_text(d, "ฝาถังแตก")
    assert not d.find_elements(By.ID, "reopen-form")
    assert_no_horizontal_scroll(d)
    shot(d, "citizen-reopened")

    # The QR code's page, with no sign-in: the tenant, the kind, the number and the file's SHA-256.
    d.delete_all_cookies()
    d.get(verify_url)
    wait_for_text(d, "เอกสารนี้ออกโดยระบบบริการประชาชนออนไลน์จริง")
    for text in ("เทศบาลตำบลบางกระทุ่ม", "ใบอนุญาต", number):
        wait_for_text(d, text)
    assert d.find_element(By.ID, "sha256").text.strip() == digest
    page = d.find_element(By.TAG_NAME, "body").text
    for personal in (CITIZEN["nid"], "มาลี", "ศรีบางกระทุ่ม", CITIZEN["email"], "089-765-4321"):
        assert personal not in page, "the verification page shows %r" % personal
    assert_no_horizontal_scroll(d)
    shot(d, "verify")

    # The completion e-mail went out with the number (the server writes mail to files in this run).
    d.get(BASE + "/dev/mailbox")
    wait_for_text(d, number)

    log = os.environ.get("E2E_SERVER_LOG")
    if log:
        text = pathlib.Path(log).read_text(encoding="utf-8", errors="replace")
        for secret in (CITIZEN["nid"], CITIZEN["password"], "ศรีบางกระทุ่ม"):
            assert secret not in text, "the server log contains %r" % secret
