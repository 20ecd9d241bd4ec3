"""A complaint with a map pin and a photo, on a phone (390×844): the verified citizen from test_citizen.py opens
แจ้งซ่อมไฟฟ้าสาธารณะ; the map (Debian's Leaflet, tiles from the test tile server) opens on Bang Krathum's area;
a photo whose EXIF carries a GPS position inside the area suggests the pin and fills the coordinates; a tap on
the map moves the pin; a typed point outside the area is refused naming the municipality; the complaint is
filed. bangkrathum's officer (test_backoffice.py) sees the pin on the petition page and the queue on a map.
Screenshots go to test-artifacts/screenshots/location-*.png.
"""
import os
import pathlib
import struct
import tempfile
import urllib.request

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

from test_backoffice import OFFICER, PHONE, fill, sign_in, sign_out
from test_citizen import CITIZEN, submit
from test_journeys import BASE, SHOTS, assert_no_horizontal_scroll, driver, wait, wait_for_text  # noqa: F401
from test_petitions import citizen_sign_in

ROOT = pathlib.Path(__file__).resolve().parents[2]
PHOTO_LAT, PHOTO_LNG = 16.5791, 100.3012  # inside Bang Krathum's area (Tenants/bangkrathum/tenant.yaml)


def shot(d, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    d.save_screenshot(str(SHOTS / ("location-%s.png" % name)))


def jpeg_with_gps(lat, lng):
    """Tests/AppTests/Fixtures/id-photo.jpg with an APP1 Exif segment whose GPS IFD holds lat N, lng E."""
    def rational(v):
        d = int(v)
        m = int((v - d) * 60)
        s = round(((v - d) * 60 - m) * 60 * 10000)
        return struct.pack("<6I", d, 1, m, 1, s, 10000)
    gps_ifd = 8 + 2 + 12 + 4
    data = gps_ifd + 2 + 4 * 12 + 4
    tiff = (b"II*\x00" + struct.pack("<I", 8)
            + struct.pack("<HHHII", 1, 0x8825, 4, 1, gps_ifd) + struct.pack("<I", 0)
            + struct.pack("<H", 4)
            + struct.pack("<HHI", 1, 2, 2) + b"N\x00\x00\x00"
            + struct.pack("<HHII", 2, 5, 3, data)
            + struct.pack("<HHI", 3, 2, 2) + b"E\x00\x00\x00"
            + struct.pack("<HHII", 4, 5, 3, data + 24)
            + struct.pack("<I", 0) + rational(lat) + rational(lng))
    payload = b"Exif\x00\x00" + tiff
    base = (ROOT / "Tests/AppTests/Fixtures/id-photo.jpg").read_bytes()
    return base[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + base[2:]


def tiles_served():
    with urllib.request.urlopen(os.environ["E2E_TILE_URL"] + "/count", timeout=5) as r:
        return int(r.read())


def value(d, element_id):
    return d.find_element(By.ID, element_id).get_attribute("value")


def test_complaint_with_map_pin_and_photo(driver):  # noqa: F811
    if not OFFICER or not CITIZEN:
        pytest.skip("needs the officer (test_backoffice.py) and the verified citizen (test_citizen.py)")
    d = driver
    d.set_window_size(*PHONE)
    d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": PHONE[0], "height": PHONE[1], "deviceScaleFactor": 1, "mobile": False})
    d.delete_all_cookies()
    work = pathlib.Path(tempfile.mkdtemp(prefix="location-e2e-"))
    photo = work / "เสาไฟหน้าวัด.jpg"
    photo.write_bytes(jpeg_with_gps(PHOTO_LAT, PHOTO_LNG))

    citizen_sign_in(d)
    d.get(BASE + "/t/bangkrathum/services/street-light/apply")
    wait_for_text(d, "ตำแหน่งไฟฟ้าสาธารณะที่ชำรุด")
    canvas = wait(d).until(lambda drv: drv.find_element(By.CSS_SELECTOR, "[data-map-canvas].leaflet-container"))
    assert canvas.is_displayed() and canvas.size["width"] >= 300 and canvas.size["height"] >= 250, canvas.size
    wait(d).until(lambda drv: drv.execute_script("return document.querySelectorAll('img.leaflet-tile-loaded').length") > 0)
    assert tiles_served() > 0
    assert "แผนที่ทดสอบ" in d.find_element(By.CSS_SELECTOR, ".leaflet-control-attribution").text
    assert d.find_elements(By.CSS_SELECTOR, "path.leaflet-interactive, svg path"), "the area's outline is drawn"
    assert not d.find_elements(By.CSS_SELECTOR, ".leaflet-marker-icon"), "no pin before one is chosen"
    assert d.find_element(By.CSS_SELECTOR, "[data-geolocate]").is_displayed(), "ใช้ตำแหน่งปัจจุบัน is offered"
    assert value(d, "light_location_lat") == "" and value(d, "light_location_lng") == ""

    # A photo with a GPS position offers its position; the pin moves only when the citizen says so.
    d.find_element(By.ID, "file_photos").send_keys(str(photo))
    use = wait(d).until(lambda drv: drv.find_element(By.CSS_SELECTOR, "[data-photo-position]"))
    wait(d).until(lambda drv: use.is_displayed())
    assert value(d, "light_location_lat") == "", "nothing is filled before the citizen chooses"
    assert "ระบบจะลบข้อมูลตำแหน่งออกจากไฟล์รูปก่อนเก็บ" in d.find_element(By.CSS_SELECTOR, ".photo-position").text
    shot(d, "photo-offer")
    use.click()
    wait(d).until(lambda drv: value(drv, "light_location_lat") != "")
    assert abs(float(value(d, "light_location_lat")) - PHOTO_LAT) < 1e-3 and abs(float(value(d, "light_location_lng")) - PHOTO_LNG) < 1e-3
    assert "ใช้ตำแหน่งจากรูป" in d.find_element(By.CSS_SELECTOR, "[data-map-status]").text
    assert len(d.find_elements(By.CSS_SELECTOR, ".leaflet-marker-icon")) == 1
    d.execute_script("arguments[0].scrollIntoView({block: 'center'})", canvas)
    shot(d, "photo-pin")

    # A tap on the map moves the pin and the coordinates follow.
    before = (value(d, "light_location_lat"), value(d, "light_location_lng"))
    ActionChains(d).move_to_element_with_offset(canvas, 40, 30).click().perform()
    wait(d).until(lambda drv: (value(drv, "light_location_lat"), value(drv, "light_location_lng")) != before)
    assert "ปักหมุดแล้วที่" in d.find_element(By.CSS_SELECTOR, "[data-map-status]").text
    assert_no_horizontal_scroll(d)
    shot(d, "tapped")

    # Typed by hand outside the area: the server refuses it, naming the municipality.
    lat, lng = d.find_element(By.ID, "light_location_lat"), d.find_element(By.ID, "light_location_lng")
    lat.clear()
    lat.send_keys("13.7563")
    lng.clear()
    lng.send_keys("100.5018")
    fill(d, {"light_location": "หน้าวัดบางกระทุ่ม ริมถนนสายหลัก", "lamp_count": "2"})
    d.execute_script("arguments[0].click()", d.find_element(By.CSS_SELECTOR, "input[name=problem][value='ไฟดับ']"))
    submit(d, "ยื่นคำร้อง")
    wait_for_text(d, "อยู่นอกเขตเทศบาลตำบลบางกระทุ่ม")
    assert d.find_elements(By.CSS_SELECTOR, ".error-summary a[href='#light_location_lat']")
    shot(d, "outside")

    # Back inside, with the photo again (files are never kept from a refused form).
    lat, lng = d.find_element(By.ID, "light_location_lat"), d.find_element(By.ID, "light_location_lng")
    lat.clear()
    lat.send_keys("16.5734")
    lng.clear()
    lng.send_keys("100.2958")
    d.find_element(By.ID, "file_photos").send_keys(str(photo))
    submit(d, "ยื่นคำร้อง")
    wait_for_text(d, "สำเร็จ")
    number = d.find_element(By.CSS_SELECTOR, "[data-petition-number]").text
    shot(d, "filed")
    d.find_element(By.CSS_SELECTOR, ".citizen-links form.signout button").click()
    wait_for_text(d, "ออกจากระบบแล้ว")

    # The officer sees the pin on the petition and the queue on a map.
    sign_in(d, OFFICER["user"], OFFICER["password"], OFFICER["secret"])
    d.get(BASE + "/backoffice/t/bangkrathum/petitions")
    wait_for_text(d, number)
    d.find_element(By.LINK_TEXT, number).click()
    wait_for_text(d, "16.5734, 100.2958")
    wait(d).until(lambda drv: len(drv.find_elements(By.CSS_SELECTOR, ".leaflet-marker-icon")) == 1)
    d.execute_script("arguments[0].scrollIntoView({block: 'center'})", d.find_element(By.CSS_SELECTOR, "[data-map-canvas]"))
    shot(d, "officer-petition")
    d.get(BASE + "/backoffice/t/bangkrathum/petitions")
    d.find_element(By.LINK_TEXT, "ดูบนแผนที่").click()
    wait_for_text(d, "แผนที่แสดง")
    wait(d).until(lambda drv: len(drv.find_elements(By.CSS_SELECTOR, ".leaflet-marker-icon")) >= 1)
    marker = d.find_elements(By.CSS_SELECTOR, ".leaflet-marker-icon")[0]
    d.execute_script("arguments[0].scrollIntoView({block: 'center'})", marker)
    d.execute_script("arguments[0].click()", marker)
    popup = wait(d).until(lambda drv: drv.find_element(By.CSS_SELECTOR, ".leaflet-popup-content a"))
    assert "/backoffice/t/bangkrathum/petitions/" in popup.get_attribute("href")
    wait_for_text(d, number)  # the list stays below the map
    shot(d, "officer-queue-map")
    sign_out(d)
