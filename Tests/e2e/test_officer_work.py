"""Officers' work as a municipality organises it (issue 16), in the browser. bangkrathum's Organization admin
(test_backoffice.py) puts the officer into กองสาธารณสุขและสิ่งแวดล้อม on a 1366×768 screen; the verified citizen
(test_citizen.py) files ขอรับถังขยะ on a phone (390×844), a service of that division; the officer's queue opens on
his division with the petition in it; he takes it, writes an internal note and asks the citizen for a missing
document; on the phone the citizen sees the request (and never the internal note) and answers with text and a
PDF; the officer sees the answer and its file in the timeline, the dashboard draws the petition into its
figures, and the queue's CSV export (UTF-8 with BOM) holds the petition without the citizen's national ID.
Screenshots go to test-artifacts/screenshots/work-*.png.
"""
import pathlib
import re
import tempfile
import urllib.request

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from test_backoffice import OFFICER, ORG_ADMIN, PHONE, fill, sign_in, sign_out
from test_citizen import CITIZEN, submit
from test_journeys import BASE, SHOTS, assert_no_horizontal_scroll, driver, wait, wait_for_text  # noqa: F401
from test_petitions import PDF, citizen_sign_in, cookies

DESKTOP = (1366, 768)
TENANT = BASE + "/backoffice/t/bangkrathum"
INTERNAL = "ตรวจแล้ว บ้านหลังนี้เคยได้รับถังไปเมื่อปี 2566 (บันทึกภายใน)"
ASK = "กรุณาส่งสำเนาทะเบียนบ้านหน้าที่มีชื่อเจ้าบ้านเพิ่มเติม"
ANSWER = "ส่งสำเนาทะเบียนบ้านหน้าที่มีชื่อเจ้าบ้านมาให้แล้วค่ะ"
step_no = [0]


def shot(d, name):
    step_no[0] += 1
    SHOTS.mkdir(parents=True, exist_ok=True)
    d.save_screenshot(str(SHOTS / ("work-%02d-%s.png" % (step_no[0], name))))


def size(d, wh):
    d.set_window_size(*wh)
    d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": wh[0], "height": wh[1], "deviceScaleFactor": 1, "mobile": False})


def fetch(d, url):
    with urllib.request.urlopen(urllib.request.Request(url, headers={"Cookie": cookies(d)})) as r:
        return r.headers, r.read()


def file_waste_bin(d, house):
    d.get(BASE + "/t/bangkrathum/services/waste-bin/apply")
    wait_for_text(d, "ยื่นคำร้อง")
    Select(d.find_element(By.ID, "premises_type")).select_by_visible_text("บ้านพักอาศัย")
    d.execute_script("arguments[0].click()", d.find_element(By.CSS_SELECTOR, "input[name=reason][value='ยังไม่มีถังขยะ']"))
    Select(d.find_element(By.ID, "bin_type")).select_by_visible_text("ถังขยะทั่วไป ขนาด 120 ลิตร")
    fill(d, {"quantity": "1", "placement": "หน้าบ้านเลขที่ 12/3 หมู่ 4"})
    d.find_element(By.ID, "file_house_registration").send_keys(str(house))
    submit(d, "ยื่นคำร้อง")
    wait_for_text(d, "สำเร็จ")
    number = d.find_element(By.CSS_SELECTOR, "[data-petition-number]").text
    assert re.fullmatch(r"BKT-25\d\d-\d{6}", number), number
    return number


def test_officers_work_journey(driver):  # noqa: F811
    if not OFFICER or not CITIZEN or not ORG_ADMIN:
        pytest.skip("needs the officer and the Organization admin (test_backoffice.py) and the verified citizen (test_citizen.py)")
    d = driver
    work = pathlib.Path(tempfile.mkdtemp(prefix="work-e2e-"))
    house = work / "สำเนาทะเบียนบ้าน.pdf"
    house.write_bytes(PDF)
    extra = work / "ทะเบียนบ้านหน้าเจ้าบ้าน.pdf"
    extra.write_bytes(PDF.replace(b"200 200", b"300 300"))

    # 1. The Organization admin puts the officer into กองสาธารณสุขและสิ่งแวดล้อม (the demo tenant's divisions
    #    come from its folder).
    size(d, DESKTOP)
    d.delete_all_cookies()
    sign_in(d, ORG_ADMIN["user"], ORG_ADMIN["password"], ORG_ADMIN["secret"])
    d.get(TENANT + "/settings")
    d.find_element(By.LINK_TEXT, "จัดการกอง/ฝ่าย").click()
    wait_for_text(d, "กองสาธารณสุขและสิ่งแวดล้อม")
    for name in ("สำนักปลัดเทศบาล", "กองคลัง", "กองช่าง"):
        wait_for_text(d, name)
    d.find_element(By.CSS_SELECTOR, "#division-HLT a").click()
    wait_for_text(d, "เจ้าหน้าที่ในกอง/ฝ่าย")
    member = d.find_element(By.XPATH, "//label[contains(., 'สมชาย')]/preceding-sibling::input | //label[contains(., 'สมชาย')]//input")
    if not member.is_selected():
        d.execute_script("arguments[0].click()", member)
    shot(d, "division-members")
    submit(d, "บันทึก")
    wait(d).until(lambda drv: "สมชาย" in drv.find_element(By.ID, "division-HLT").text)
    shot(d, "divisions")
    sign_out(d)

    # 2. The citizen files ขอรับถังขยะ (handled by กองสาธารณสุขและสิ่งแวดล้อม) on the phone.
    size(d, PHONE)
    citizen_sign_in(d)
    number = file_waste_bin(d, house)
    d.find_element(By.CSS_SELECTOR, ".citizen-links form.signout button").click()
    wait_for_text(d, "ออกจากระบบแล้ว")

    # 3. The officer's queue opens on his division; he takes the petition, notes something for staff only and
    #    asks the citizen for a missing document.
    size(d, DESKTOP)
    sign_in(d, OFFICER["user"], OFFICER["password"], OFFICER["secret"])
    d.get(TENANT + "/petitions")
    wait_for_text(d, "กองสาธารณสุขและสิ่งแวดล้อม")
    wait_for_text(d, number)
    shot(d, "queue-my-division")
    d.find_element(By.LINK_TEXT, number).click()
    wait_for_text(d, "ยังไม่มีผู้รับผิดชอบ")
    submit(d, "รับเรื่องนี้")
    wait(d).until(lambda drv: "สมชาย" in drv.find_element(By.ID, "work-holder").text)
    fill(d, {"note": INTERNAL})
    submit(d, "บันทึกภายใน")
    wait_for_text(d, INTERNAL)
    d.find_element(By.CSS_SELECTOR, "details.info-request summary").click()
    d.find_element(By.ID, "info-message").send_keys(ASK)
    submit(d, "ส่งคำขอถึงผู้ยื่น")
    wait(d).until(EC.presence_of_element_located((By.ID, "info-waiting")))
    shot(d, "officer-asked")
    d.get(TENANT + "/petitions?assigned=me")
    wait_for_text(d, number)
    sign_out(d)

    # 4. The citizen, on the phone, sees the request (not the internal note) and answers with a file.
    size(d, PHONE)
    citizen_sign_in(d)
    d.get(BASE + "/t/bangkrathum/account/petitions/" + number)
    wait_for_text(d, ASK)
    page = d.find_element(By.TAG_NAME, "body").text
    assert INTERNAL not in page and "สมชาย" not in page, "the citizen's page shows staff-only work"
    assert_no_horizontal_scroll(d)
    shot(d, "citizen-asked")
    d.find_element(By.ID, "answer-text").send_keys(ANSWER)
    d.find_element(By.CSS_SELECTOR, "#answer input[type=file]").send_keys(str(extra))
    submit(d, "ส่งข้อมูลเพิ่มเติม")
    wait_for_text(d, ANSWER)
    assert not d.find_elements(By.ID, "answer-text"), "the answer form stays after answering"
    wait_for_text(d, "ทะเบียนบ้านหน้าเจ้าบ้าน.pdf")
    assert INTERNAL not in d.find_element(By.TAG_NAME, "body").text
    assert_no_horizontal_scroll(d)
    shot(d, "citizen-answered")
    d.find_element(By.CSS_SELECTOR, ".citizen-links form.signout button").click()
    wait_for_text(d, "ออกจากระบบแล้ว")

    # 5. The officer sees the answer and its file; the dashboard and the export count the petition.
    size(d, DESKTOP)
    sign_in(d, OFFICER["user"], OFFICER["password"], OFFICER["secret"])
    d.get(TENANT + "/petitions/" + number)
    wait_for_text(d, ANSWER)
    link = d.find_element(By.PARTIAL_LINK_TEXT, "ทะเบียนบ้านหน้าเจ้าบ้าน.pdf").get_attribute("href")
    headers, body = fetch(d, link)
    assert body == extra.read_bytes(), "the officer downloads the file the citizen sent"
    assert not d.find_elements(By.ID, "info-waiting"), "still waiting after the answer"
    shot(d, "officer-answer")
    d.get(TENANT + "/dashboard")
    wait_for_text(d, "รับคำร้อง")
    received = d.find_element(By.XPATH, "//dl[@id='dashboard-totals']//dt[normalize-space(.)='รับคำร้อง']/following-sibling::dd[1]").text
    assert re.search(r"[1-9]", received), "the dashboard counts no petition received: %r" % received
    assert d.find_elements(By.CSS_SELECTOR, "main svg[role=img]"), "the dashboard draws its charts as SVG"
    assert d.find_elements(By.CSS_SELECTOR, "main table"), "the charts' numbers are in tables"
    assert_no_horizontal_scroll(d)
    shot(d, "dashboard")
    # On a phone: the totals two a row, the charts as wide as the screen, nothing wider than it.
    size(d, PHONE)
    d.get(TENANT + "/dashboard")
    wait_for_text(d, "รับคำร้อง")
    assert_no_horizontal_scroll(d)
    chart = d.find_element(By.CSS_SELECTOR, "main svg[role=img]")
    assert chart.size["width"] <= d.execute_script("return document.documentElement.clientWidth"), "the chart is wider than the phone"
    shot(d, "dashboard-phone")
    size(d, DESKTOP)
    d.get(TENANT + "/petitions?division=HLT")
    export = d.find_element(By.PARTIAL_LINK_TEXT, "CSV").get_attribute("href")
    headers, body = fetch(d, export)
    assert body.startswith(b"\xef\xbb\xbf"), "the CSV starts with a BOM so Excel shows Thai"
    text = body.decode("utf-8-sig")
    assert number in text and "ขอรับถังขยะ" in text
    assert CITIZEN["nid"] not in text, "the export holds the national ID"
    sign_out(d)
