"""A citizen's journey on a phone (390×844), as the seed walks it: the e-Service banner → ลงทะเบียน →
terms (checkbox, ตกลง) → the form (address chosen from lists, Buddhist-era birth date, live password
meter) → two identity images → the pending welcome page; bangkrathum's officer (created by the staff
journey in test_backoffice.py) opens the queue, looks at the watermarked images and approves; the
citizen signs in again and sees "ยืนยันตัวตนแล้ว". Screenshots go to test-artifacts/screenshots/citizen-*.png,
and the watermarked image itself to test-artifacts/screenshots/citizen-watermarked.jpg.
"""
import io
import json
import os
import urllib.request
import zipfile
import pathlib
import random
import re
import urllib.request

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from test_backoffice import OFFICER, PHONE, fill, sign_in, sign_out
from test_journeys import BASE, ROOT, SHOTS, assert_compact_header, assert_no_horizontal_scroll, driver, wait, wait_for_text  # noqa: F401

step_no = [0]
# The verified citizen, for the petition journey (test_petitions.py) that runs after this one.
CITIZEN = {}
PHOTO = ROOT / "Tests/AppTests/Fixtures/id-photo.jpg"


def shot(d, name):
    step_no[0] += 1
    SHOTS.mkdir(parents=True, exist_ok=True)
    d.save_screenshot(str(SHOTS / ("citizen-%02d-%s.png" % (step_no[0], name))))


def submit(d, text):
    """Clicks the visible submit button with this text (the registration form also has a hidden default one
    first, so that Enter in a text box submits the form rather than refreshing the address lists)."""
    buttons = d.find_elements(By.CSS_SELECTOR, "main form button[type=submit]:not(.visually-hidden)")
    button = next((b for b in buttons if text in b.text), None)
    assert button is not None, "no button %r on %s" % (text, d.current_url)
    d.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
    button.click()


def national_id():
    digits = [random.randint(1, 8)] + [random.randint(0, 9) for _ in range(11)]
    check = (11 - sum(v * (13 - i) for i, v in enumerate(digits)) % 11) % 10
    return "".join(map(str, digits + [check]))


def choose(d, element_id, value):
    """Picks a list option once the address picker has filled the list."""
    wait(d).until(lambda drv: any(o.get_attribute("value") == value for o in Select(drv.find_element(By.ID, element_id)).options))
    Select(d.find_element(By.ID, element_id)).select_by_value(value)


def test_citizen_registers_and_is_verified(driver):  # noqa: F811
    if not OFFICER:
        pytest.skip("needs the officer from the staff journey (test_backoffice.py)")
    d = driver
    d.set_window_size(*PHONE)
    d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": PHONE[0], "height": PHONE[1], "deviceScaleFactor": 1, "mobile": False})
    d.delete_all_cookies()
    nid = national_id()
    password = "Krathum#Citizen2569"

    # The banner's ลงทะเบียน, then the terms.
    d.get(BASE + "/t/bangkrathum/")
    wait_for_text(d, "บริการประชาชนออนไลน์ e-Service")
    d.find_element(By.CSS_SELECTOR, ".banner-actions a.button").click()
    wait_for_text(d, "ข้อตกลงและเงื่อนไขการให้บริการ")
    assert_no_horizontal_scroll(d)
    assert_compact_header(d)
    # The tenant's terms.md is rendered: headings and a numbered list, no Markdown source.
    box = d.find_element(By.CSS_SELECTOR, ".terms-box")
    assert box.find_elements(By.CSS_SELECTOR, "h2"), "the terms have no heading"
    assert len(box.find_elements(By.CSS_SELECTOR, "ol > li")) >= 10, "the numbered clauses are not a list"
    text = box.get_attribute("textContent")
    assert "# " not in text and "**" not in text, "the terms show Markdown source: %.200s" % text
    shot(d, "terms")
    submit(d, "ตกลง")
    wait_for_text(d, "กรุณาทำเครื่องหมายยอมรับ")
    shot(d, "terms-not-accepted")
    fill(d, {"accept": "1"})
    submit(d, "ตกลง")

    # The form: every input has its label; the address comes from lists.
    wait_for_text(d, "ที่อยู่ตามทะเบียนบ้าน")
    for el in d.find_elements(By.CSS_SELECTOR, "main form input:not([type=hidden]), main form select"):
        assert d.find_elements(By.CSS_SELECTOR, 'label[for="%s"]' % el.get_attribute("id")), "no label for %s" % el.get_attribute("name")
    fill(d, {"title": "นางสาว", "firstName": "มาลี", "lastName": "ศรีบางกระทุ่ม", "nationalID": nid,
             "birthDay": "9", "birthMonth": "8", "birthYear": "2535", "mobile": "089-765-4321", "email": "malee@example.com",
             "address_house": "12/3", "address_moo": "4", "address_road": "สายพิษณุโลก-บางกระทุ่ม"})
    Select(d.find_element(By.ID, "address_province")).select_by_value("65")
    choose(d, "address_district", "6505")
    choose(d, "address_subdistrict", "650501")
    wait(d).until(lambda drv: drv.find_element(By.ID, "address_postcode").get_attribute("value") == "65110")
    d.find_element(By.ID, "password").send_keys(password)
    wait_for_text(d, "รหัสผ่าน มีความปลอดภัยระดับ")
    d.find_element(By.ID, "passwordConfirm").send_keys(password)
    assert_no_horizontal_scroll(d)
    shot(d, "registration-form")
    submit(d, "ถัดไป")

    # The identity step: two images with the tenant's labels, previews.
    wait(d).until(EC.url_contains("/account/identity"))
    wait_for_text(d, "ภาพถ่ายหน้าบัตรประจำตัวประชาชน")
    d.find_element(By.ID, "image_0").send_keys(str(PHOTO))
    d.find_element(By.ID, "image_1").send_keys(str(PHOTO))
    wait(d).until(lambda drv: len(drv.find_elements(By.CSS_SELECTOR, ".preview img")) == 2)
    assert_no_horizontal_scroll(d)
    shot(d, "identity-images")
    submit(d, "ยืนยันตัวตน")
    wait_for_text(d, "ยินดีต้อนรับเข้าสู่ระบบบริการประชาชนออนไลน์")
    wait_for_text(d, "กำลังตรวจสอบการยืนยันตัวตน")
    assert_no_horizontal_scroll(d)
    assert_compact_header(d)  # signed in: three links in the header as well
    shot(d, "welcome-pending")
    d.find_element(By.CSS_SELECTOR, ".citizen-links form.signout button").click()
    wait_for_text(d, "ออกจากระบบแล้ว")

    # The officer approves after looking at the watermarked images.
    sign_in(d, OFFICER["user"], OFFICER["password"], OFFICER["secret"])
    d.get(BASE + "/backoffice/t/bangkrathum/identity")
    wait_for_text(d, "มาลี ศรีบางกระทุ่ม")
    shot(d, "officer-queue")
    d.find_element(By.LINK_TEXT, "นางสาวมาลี ศรีบางกระทุ่ม").click()
    wait_for_text(d, "ภาพยืนยันตัวตน (ขีดคร่อมแล้ว)")
    wait(d).until(lambda drv: all(drv.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", i)
                                  for i in drv.find_elements(By.CSS_SELECTOR, ".review-images img")))
    shot(d, "officer-review")
    # The watermarked image as stored, fetched with the officer's session.
    src = d.find_element(By.CSS_SELECTOR, ".review-images img").get_attribute("src")
    cookie = "; ".join("%s=%s" % (c["name"], c["value"]) for c in d.get_cookies())
    with urllib.request.urlopen(urllib.request.Request(src, headers={"Cookie": cookie})) as r:
        assert r.headers["Content-Type"] == "image/jpeg"
        (SHOTS / "citizen-watermarked.jpg").write_bytes(r.read())
    d.execute_script("arguments[0].click()", d.find_element(By.ID, "decision-approve"))
    submit(d, "บันทึกผลการตรวจสอบ")
    wait_for_text(d, "อนุมัติการยืนยันตัวตนของ")
    sign_out(d)

    # The citizen signs in with the national ID and sees the result.
    d.get(BASE + "/t/bangkrathum/login")
    fill(d, {"nationalID": nid, "password": password})
    submit(d, "เข้าสู่ระบบ")
    wait_for_text(d, "ยินดีต้อนรับเข้าสู่ระบบบริการประชาชนออนไลน์")
    wait_for_text(d, "ยืนยันตัวตนแล้ว")
    assert_no_horizontal_scroll(d)
    shot(d, "welcome-verified")

    # The registration's e-mail waits for the link sent to it (nothing else goes to it until then): the profile
    # says so; the link from the mailbox, then its button, confirms it.
    d.get(BASE + "/t/bangkrathum/account/profile")
    wait_for_text(d, "รอการยืนยัน")
    assert d.find_element(By.ID, "resend-email").is_displayed()
    assert_no_horizontal_scroll(d)
    shot(d, "email-unconfirmed")

    def confirmation_mail(drv):
        drv.get(BASE + "/dev/mailbox")
        rows = [r for r in drv.find_elements(By.CSS_SELECTOR, "main table tbody tr")
                if "malee@example.com" in r.text and "ยืนยันอีเมล" in r.text]
        return rows[0].find_element(By.TAG_NAME, "a").get_attribute("href") if rows else False
    message = wait(d).until(confirmation_mail)
    d.get(message)
    found = re.search(r"(https?://[^\s\"<>]+/confirm-email/[A-Za-z0-9_-]+)", d.page_source)
    assert found, "no confirmation link in the mail"
    d.get(found.group(1))
    submit(d, "ยืนยันอีเมลนี้")
    wait_for_text(d, "ยืนยันอีเมลแล้ว")

    # Their own account on the phone: contact details (a new mobile number), the password page, their data as a ZIP.
    d.get(BASE + "/t/bangkrathum/account/profile")
    d.find_element(By.ID, "edit-contact").click()
    wait_for_text(d, "แก้ไขข้อมูลติดต่อ")
    mobile = d.find_element(By.ID, "mobile")
    mobile.clear()
    mobile.send_keys("12")
    submit(d, "บันทึก")
    wait_for_text(d, "กรุณาแก้ไขข้อมูลต่อไปนี้")
    mobile = d.find_element(By.ID, "mobile")
    mobile.clear()
    mobile.send_keys("081-555-0101")
    assert_no_horizontal_scroll(d)
    shot(d, "contact-details")
    submit(d, "บันทึก")
    wait_for_text(d, "บันทึกข้อมูลติดต่อแล้ว")
    wait_for_text(d, "0815550101")
    d.find_element(By.ID, "change-password").click()
    wait_for_text(d, "รหัสผ่านปัจจุบัน")
    assert_no_horizontal_scroll(d)
    shot(d, "change-password")
    # "ขอปิดบัญชี": what goes, what the municipality keeps and why, then the form (not sent: the petition journey
    # that follows uses this citizen).
    d.get(BASE + "/t/bangkrathum/account/profile")
    d.find_element(By.ID, "close-account").click()
    wait_for_text(d, "ข้อมูลที่หน่วยงานเก็บไว้")
    assert d.find_element(By.ID, "currentPassword").is_displayed()
    assert_no_horizontal_scroll(d)
    shot(d, "close-account")
    d.get(BASE + "/t/bangkrathum/account/profile")
    href = d.find_element(By.ID, "my-data").get_attribute("href")
    cookie = "; ".join("%s=%s" % (c["name"], c["value"]) for c in d.get_cookies())
    with urllib.request.urlopen(urllib.request.Request(href, headers={"Cookie": cookie})) as r:
        assert r.headers["Content-Type"] == "application/zip"
        data = r.read()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        mine = json.loads(z.read("my-data.json"))
    assert mine["account"]["nationalID"] == nid and mine["account"]["mobile"] == "0815550101"
    assert len(mine["account"]["images"]) >= 2, "the identity images are in the ZIP"
    CITIZEN.update({"nid": nid, "password": password, "email": "malee@example.com"})

    # Nothing personal reached the server's log: not the national ID, the password, the e-mail or the name.
    log = os.environ.get("E2E_SERVER_LOG")
    if log:
        text = pathlib.Path(log).read_text(encoding="utf-8", errors="replace")
        for secret in (nid, password, "malee@example.com", "ศรีบางกระทุ่ม", "089-765-4321", "0897654321"):
            assert secret not in text, "the server log contains %r" % secret
