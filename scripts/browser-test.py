#!/usr/bin/python3
"""make test-browser: Debian's chromium, driven through chromium-driver by
python3-selenium, walks the demo as a visitor would: the app's URL, the
gate's redirect to the sign-in page, a bad number, a phone, a wrong code,
the code read off the page's demo inbox, the app's page naming the phone,
sign out.  The demo runs on ports of its own (scripts/demo.sh);
a screenshot of each step goes to build/browser/.  Every process it starts
it stops."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHOTS = os.path.join(ROOT, "build", "browser")
PORTS = {"DEMO_PORT": "19870", "DEMO_API_HTTP_PORT": "19871",
         "DEMO_API_PORT": "19872", "DEMO_APP_PORT": "19873"}
URL = "http://127.0.0.1:%s" % PORTS["DEMO_PORT"]
PHONE = "+919876543210"
step_no = [0]


def step(driver, name):
    step_no[0] += 1
    path = os.path.join(SHOTS, "%02d-%s.png" % (step_no[0], name))
    driver.save_screenshot(path)
    print("browser: %2d %s ok (%s)" % (step_no[0], name,
                                       os.path.relpath(path, ROOT)))


def sms_count():
    try:
        with urllib.request.urlopen(
                "http://127.0.0.1:%s/_test/inbox?phone=%%2B%s"
                % (PORTS["DEMO_API_HTTP_PORT"], PHONE[1:]), timeout=5) as r:
            return json.load(r)["count"]
    except urllib.error.HTTPError:
        return 0


def wait_up(url, proc, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit("browser: the demo stopped before it was up")
        try:
            urllib.request.urlopen(url + "/signin/", timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    sys.exit("browser: the demo did not come up")


def walk(driver):
    wait = WebDriverWait(driver, 10)

    driver.get(URL + "/app/")
    wait.until(ec.url_contains("/signin/?next=/app/"))
    step(driver, "redirected-to-signin")

    before = sms_count()
    phone = driver.find_element(By.ID, "phoneNumber")
    phone.send_keys("98765")
    driver.find_element(By.CSS_SELECTOR, "#send button").click()
    wait.until(ec.text_to_be_present_in_element((By.ID, "status"),
                                                "country code"))
    assert sms_count() == before, "a bad number reached the API"
    step(driver, "bad-number")

    phone.clear()
    phone.send_keys(PHONE)
    driver.find_element(By.CSS_SELECTOR, "#send button").click()
    wait.until(ec.visibility_of_element_located((By.ID, "inbox")))
    wait.until(lambda d: d.find_element(By.ID, "sms").text.strip())
    step(driver, "code-sent")

    code = "".join(c for c in driver.find_element(By.ID, "sms").text
                   if c.isdigit())
    assert len(code) == 6, "no code in the inbox panel: %r" % code

    box = driver.find_element(By.ID, "otpCode")
    box.send_keys("000000" if code != "000000" else "111111")
    driver.find_element(By.CSS_SELECTOR, "#verify button[type=submit]") \
        .click()
    wait.until(ec.text_to_be_present_in_element((By.ID, "status"),
                                                "not right"))
    step(driver, "wrong-code")

    box.clear()
    box.send_keys(code)
    driver.find_element(By.CSS_SELECTOR, "#verify button[type=submit]") \
        .click()
    wait.until(ec.url_to_be(URL + "/app/"))
    wait.until(ec.text_to_be_present_in_element((By.ID, "phone"), PHONE))
    assert "smotp=" not in driver.execute_script("return document.cookie"), \
        "the cookie is readable by scripts"
    step(driver, "signed-in")

    driver.find_element(By.CSS_SELECTOR, "#logout button").click()
    wait.until(ec.url_contains("/signin/?next=/app/"))
    step(driver, "signed-out")


def main():
    shutil.rmtree(SHOTS, ignore_errors=True)
    os.makedirs(SHOTS)

    # the demo as make demo runs it (SIGTERM stops it all), on its own
    # ports
    demo = subprocess.Popen([os.path.join(ROOT, "scripts", "demo.sh")],
                            env=dict(os.environ, **PORTS),
                            stdout=subprocess.DEVNULL)
    profile = tempfile.mkdtemp(prefix="smotp-chromium-")
    driver = None
    try:
        wait_up(URL, demo)
        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        for flag in ("--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", "--disable-quic",
                     "--no-first-run", "--no-default-browser-check",
                     "--disable-background-networking",
                     "--disable-component-update", "--disable-sync",
                     "--disable-extensions", "--window-size=390,844",
                     "--user-data-dir=" + profile):
            options.add_argument(flag)
        driver = webdriver.Chrome(
            service=Service("/usr/bin/chromedriver"), options=options)
        driver.set_page_load_timeout(15)
        walk(driver)
        print("browser: ok")
    finally:
        if driver:
            driver.quit()
        demo.terminate()
        demo.wait(20)
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    main()
