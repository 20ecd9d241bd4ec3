"""The staff journey through the shared back office, on a phone-sized window, from an empty database:

the server prints a one-time set-up link → the first platform admin is created and enrols OTP →
the platform admin creates an account for bangkrathum's Organization admin (initial password = birth
date DDMMYYYY, Buddhist era) → that person's first sign-in forces a new password and OTP enrolment,
and they ask for Organization-admin rights, which the platform admin approves → a staff member
registers with a supporting document → the platform admin approves the registration in the bulk
table → the staff member's first sign-in enrols OTP, and they ask for Officer rights in bangkrathum →
bangkrathum's Organization admin approves in the bulk table → the officer reaches the tenant's back
office. Screenshots of each step go to test-artifacts/screenshots/backoffice-*.png.
"""
import os
import pathlib
import re
import time

import pyotp
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from test_journeys import BASE, ROOT, SHOTS, assert_no_horizontal_scroll, body_text, driver, wait, wait_for_text  # noqa: F401

LOG = os.environ.get("E2E_SERVER_LOG")
PHONE = (390, 844)
step_no = [0]
used_steps = {}
# The officer this journey creates, for the journeys that need one after it (test_citizen.py).
OFFICER = {}
# bangkrathum's Organization admin, for the officers' work journey (test_officer_work.py).
ORG_ADMIN = {}


def shot(d, name):
    step_no[0] += 1
    SHOTS.mkdir(parents=True, exist_ok=True)
    d.save_screenshot(str(SHOTS / ("backoffice-%02d-%s.png" % (step_no[0], name))))


def setup_link():
    deadline = time.time() + 20
    while time.time() < deadline:
        text = pathlib.Path(LOG).read_text(encoding="utf-8", errors="replace") if LOG else ""
        m = re.search(r"(http://\S+/backoffice/setup/[A-Za-z0-9_-]+)", text)
        if m:
            return m.group(1)
        time.sleep(0.2)
    pytest.fail("the server printed no set-up link (E2E_SERVER_LOG=%s)" % LOG)


def code_for(user, secret):
    """A fresh TOTP code: each code works once, so a second sign-in in the same 30 s uses the next step."""
    totp = pyotp.TOTP(secret)
    while True:
        now = int(time.time()) // 30
        step = max(now, used_steps.get(user, -1) + 1)
        if step <= now + 1 and (step == now or 30 - time.time() % 30 > 3):
            break
        time.sleep(30 - time.time() % 30 + 0.5)  # the window's steps are used up: wait for the next one
    used_steps[user] = step
    return totp.at(step * 30)


def fill(d, values):
    for name, value in values.items():
        el = d.find_element(By.NAME, name)
        if el.tag_name == "select":
            Select(el).select_by_value(value)
        elif el.get_attribute("type") == "date":
            d.execute_script("arguments[0].value = arguments[1]", el, value)
        elif el.get_attribute("type") == "checkbox":
            if not el.is_selected():
                d.execute_script("arguments[0].click()", el)
        else:
            el.clear()
            el.send_keys(value)


def submit(d, text=None):
    buttons = d.find_elements(By.CSS_SELECTOR, "main form button[type=submit]")
    button = next((b for b in buttons if text is None or text in b.text), None)
    assert button is not None, "no button %r on %s" % (text, d.current_url)
    d.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
    button.click()


def enrol(d, user, name):
    wait(d).until(EC.presence_of_element_located((By.ID, "secret")))
    wait_for_text(d, "ลงทะเบียนแอปยืนยันตัวตน")
    assert d.find_elements(By.CSS_SELECTOR, ".qr svg path"), "a QR code is drawn"
    assert_no_horizontal_scroll(d)
    shot(d, name + "-otp-enrolment")
    secret = d.find_element(By.ID, "secret").text.replace(" ", "")
    fill(d, {"code": code_for(user, secret)})
    submit(d)
    wait(d).until(EC.presence_of_element_located((By.ID, "recovery-codes")))
    assert len(d.find_elements(By.CSS_SELECTOR, "#recovery-codes li")) == 10
    shot(d, name + "-recovery-codes")
    d.find_element(By.LINK_TEXT, "บันทึกรหัสแล้ว ไปต่อ").click()
    wait_for_text(d, "สิทธิ์การใช้งานระบบ")
    return secret


def sign_in(d, user, password, secret):
    d.get(BASE + "/backoffice/login")
    fill(d, {"username": user, "password": password})
    submit(d)
    wait(d).until(EC.url_contains("/backoffice/login/otp"))
    fill(d, {"code": code_for(user, secret)})
    submit(d, "ตกลง")
    wait_for_text(d, "สิทธิ์การใช้งานระบบ")


def sign_out(d):
    d.find_element(By.CSS_SELECTOR, "form.signout button").click()
    wait(d).until(EC.url_contains("signedout=1"))
    wait_for_text(d, "ออกจากระบบเรียบร้อยแล้ว")


def approve_all(d, table_id, path):
    d.get(BASE + path)
    wait(d).until(EC.presence_of_element_located((By.ID, table_id)))
    for box in d.find_elements(By.CSS_SELECTOR, "#%s input[type=checkbox]" % table_id):
        d.execute_script("arguments[0].click()", box)
    submit(d, "อนุมัติรายการที่เลือก")
    wait(d).until(EC.presence_of_element_located((By.ID, "flash")))


def test_staff_journey(driver):  # noqa: F811
    d = driver
    d.set_window_size(*PHONE)
    d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": PHONE[0], "height": PHONE[1], "deviceScaleFactor": 1, "mobile": False})
    d.delete_all_cookies()

    # 1. The first platform admin, from the link the server printed.
    d.get(setup_link())
    wait_for_text(d, "ตั้งค่าผู้ดูแลระบบกลาง")
    shot(d, "setup")
    fill(d, {"username": "root.admin", "titleTH": "นาย", "firstNameTH": "ผู้ดูแล", "lastNameTH": "ระบบกลาง",
             "nationalID": "1101700203450", "email": "root@example.go.th", "mobile": "0800000001",
             "password": "Platform#Admin2569", "confirm": "Platform#Admin2569"})
    submit(d)
    root_secret = enrol(d, "root.admin", "platform-admin")

    # 2. The platform admin creates bangkrathum's Organization admin (initial password = birth date, B.E.).
    d.get(BASE + "/backoffice/admin/staff/new")
    fill(d, {"tenant": "bangkrathum", "unit2": "palad", "unit3": "palad/plan", "unit4": "palad/plan/it",
             "position": "หัวหน้าฝ่ายแผนงาน", "mobile": "081-000-0002", "titleTH": "นาง", "firstNameTH": "วิไล",
             "lastNameTH": "ดูแลดี", "titleEN": "Mrs.", "firstNameEN": "Wilai", "lastNameEN": "Doolaedee",
             "nationalID": "3101500123459", "nationality": "ไทย", "birthDay": "15", "birthMonth": "6", "birthYear": "2528",
             "email": "wilai@example.go.th", "username": "wilai.d"})
    # The birth date in the Buddhist era, no Gregorian picker; the hint shows the first password it gives.
    assert not d.find_elements(By.CSS_SELECTOR, "input[type=date]"), "no Gregorian date picker"
    wait_for_text(d, "รหัสผ่านเริ่มต้นของบัญชีนี้: 15062528")
    shot(d, "admin-creates-account")
    submit(d, "สร้างบัญชี")
    wait_for_text(d, "สร้างบัญชี wilai.d แล้ว")
    sign_out(d)

    # 3. Her first sign-in: the birth date, a new password, then OTP enrolment; she asks for admin rights.
    d.get(BASE + "/backoffice/login")
    fill(d, {"username": "wilai.d", "password": "15062528"})
    submit(d)
    wait(d).until(EC.url_contains("/backoffice/login/new-password"))
    wait_for_text(d, "ตั้งรหัสผ่านใหม่")
    d.find_element(By.ID, "password").send_keys("Tambon#Admin2569")
    wait_for_text(d, "รหัสผ่าน มีความปลอดภัยระดับ")
    d.find_element(By.ID, "confirm").send_keys("Tambon#Admin2569")
    shot(d, "first-sign-in-new-password")
    submit(d)
    wilai_secret = enrol(d, "wilai.d", "org-admin")
    d.get(BASE + "/backoffice/requests")
    fill(d, {"tenant": "bangkrathum", "role": "org_admin", "note": "ผู้ดูแลระบบของเทศบาล"})
    submit(d, "ส่งคำขอสิทธิ์")
    wait_for_text(d, "รอตรวจสอบ")
    sign_out(d)
    sign_in(d, "root.admin", "Platform#Admin2569", root_secret)
    approve_all(d, "pending-requests", "/backoffice/approvals")
    sign_out(d)

    # 4. A staff member registers with a supporting document.
    d.get(BASE + "/backoffice/login")
    d.find_element(By.LINK_TEXT, "ลงทะเบียนเจ้าหน้าที่ใหม่").click()
    wait_for_text(d, "ลงทะเบียนเจ้าหน้าที่")
    assert_no_horizontal_scroll(d)
    fill(d, {"tenant": "bangkrathum", "unit2": "works", "unit3": "works/publicworks", "unit4": "works/publicworks/lighting",
             "position": "นายช่างไฟฟ้า", "mobile": "089-123-4567", "titleTH": "นาย", "firstNameTH": "สมชาย",
             "lastNameTH": "ใจดี", "titleEN": "Mr.", "firstNameEN": "Somchai", "lastNameEN": "Jaidee",
             "nationalID": "1234567890121", "nationality": "ไทย", "birthDay": "3", "birthMonth": "2", "birthYear": "2533",
             "email": "somchai@example.go.th", "username": "somchai.j", "password": "Street#Light2569",
             "confirm": "Street#Light2569", "consent": "1"})
    # The lists depend on each other: only the works division's sections are offered.
    third = [o.get_attribute("value") for o in Select(d.find_element(By.ID, "unit3")).options if o.get_attribute("value")]
    assert third and all(v.startswith("works/") for v in third), third
    d.find_element(By.ID, "document").send_keys(str(ROOT / "Tests/ImagingTests/Fixtures/sample.pdf"))
    shot(d, "registration-form")
    submit(d)
    wait(d).until(EC.presence_of_element_located((By.ID, "request-number")))
    number = d.find_element(By.ID, "request-number").text
    assert re.match(r"SR-25\d\d-\d{6}$", number), number
    shot(d, "registration-sent")

    # 5. The platform admin approves the registration in the bulk table.
    sign_in(d, "root.admin", "Platform#Admin2569", root_secret)
    d.get(BASE + "/backoffice/admin/registrations")
    wait_for_text(d, number)
    shot(d, "registrations-table")
    approve_all(d, "pending-registrations", "/backoffice/admin/registrations")
    wait_for_text(d, "ไม่มีคำขอลงทะเบียนรอตรวจสอบ")

    # 5b. The platform admin's system page, from the menu: the deployment and the outbox queue (the staff
    # e-mails sent so far), on the phone without sideways scrolling.
    d.find_element(By.LINK_TEXT, "สถานะระบบ").click()
    wait_for_text(d, "คิวงาน (outbox)")
    facts = d.find_element(By.ID, "facts").text
    assert "SQLite" in facts or "PostgreSQL" in facts, facts
    assert "ทำงานมาแล้ว" in facts and "หน่วยงานที่โหลด" in facts, facts
    queue = d.find_element(By.ID, "outbox-queue").text
    assert "ส่งอีเมล" in queue, queue
    assert_no_horizontal_scroll(d)
    shot(d, "system-page")
    sign_out(d)

    # 6. The staff member's first sign-in enrols OTP; they ask for Officer rights in bangkrathum.
    d.get(BASE + "/backoffice/login")
    fill(d, {"username": "somchai.j", "password": "Street#Light2569"})
    submit(d)
    wait(d).until(EC.url_contains("/backoffice/login/enrol"))
    somchai_secret = enrol(d, "somchai.j", "officer")
    wait_for_text(d, "ท่านยังไม่มีสิทธิ์ใช้งานระบบของหน่วยงานใด")
    d.find_element(By.LINK_TEXT, "+ เปลี่ยนแปลงสิทธิ์การใช้งาน").click()
    fill(d, {"tenant": "bangkrathum", "role": "officer", "note": "งานไฟฟ้าสาธารณะ"})
    submit(d, "ส่งคำขอสิทธิ์")
    wait_for_text(d, "รอตรวจสอบ")
    shot(d, "rights-requested")
    d.get(BASE + "/backoffice/t/bangkrathum/")
    wait_for_text(d, "ไม่มีสิทธิ์เข้าถึง")
    sign_out_form = d.find_elements(By.CSS_SELECTOR, "form.signout button")
    if sign_out_form:
        sign_out(d)

    # 7. bangkrathum's Organization admin approves in the bulk table.
    sign_in(d, "wilai.d", "Tambon#Admin2569", wilai_secret)
    d.get(BASE + "/backoffice/approvals")
    wait_for_text(d, "สมชาย ใจดี")
    shot(d, "approvals-table")
    approve_all(d, "pending-requests", "/backoffice/approvals")
    wait_for_text(d, "อนุมัติ 1 รายการแล้ว")
    ORG_ADMIN.update(user="wilai.d", password="Tambon#Admin2569", secret=wilai_secret)
    sign_out(d)

    # 8. The officer reaches the tenant's back office.
    sign_in(d, "somchai.j", "Street#Light2569", somchai_secret)
    OFFICER.update(user="somchai.j", password="Street#Light2569", secret=somchai_secret)
    wait_for_text(d, "BKT")
    d.find_element(By.CSS_SELECTOR, "#systems a").click()
    wait_for_text(d, "ระบบงานเจ้าหน้าที่ เทศบาล")
    wait_for_text(d, "เจ้าหน้าที่ (Officer)")
    assert_no_horizontal_scroll(d)
    shot(d, "officer-in-tenant-back-office")
    d.get(BASE + "/backoffice/t/nakhonpathom/")
    wait_for_text(d, "ไม่มีสิทธิ์เข้าถึง")

    # 9. bangkrathum's Organization admin opens the tenant settings on the phone; the officer may not.
    d.get(BASE + "/backoffice/t/bangkrathum/settings")
    wait_for_text(d, "ไม่มีสิทธิ์เข้าถึง")
    sign_out(d)
    sign_in(d, "wilai.d", "Tambon#Admin2569", wilai_secret)
    d.get(BASE + "/backoffice/t/bangkrathum/settings")
    wait_for_text(d, "ตั้งค่าหน่วยงาน")
    wait_for_text(d, "บริการที่เลิกให้บริการแล้ว")
    assert_no_horizontal_scroll(d)
    shot(d, "org-admin-tenant-settings")
