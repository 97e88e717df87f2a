#!/usr/bin/python3
"""make test-browser: Debian's chromium, driven through chromium-driver by
python3-selenium, walks the demo as a visitor would, once phone-sized and
once desktop-sized: the app's URL, the gate's redirect to the sign-in
page, a bad number (an error, and no request made), a phone, the code
read off the page's demo inbox, a wrong code, the right one, the app's
page naming the phone, an HttpOnly cookie, sign out; and, once, a second
send within the cooldown (a 429 with its wait, in words).

The demo runs on ports and in a directory of its own (scripts/demo.sh
--serve), so it never meets a demo or a make test already running.  A
screenshot of each step goes to build/browser/.  Every process it starts
it stops, whatever happens; the whole run is bounded (TOTAL).

/usr/bin/python3: Debian's python3-selenium is installed for it only.
"""

import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "build", "browser")
PORTS = {"DEMO_PORT": "19870", "DEMO_API_HTTP_PORT": "19871",
         "DEMO_API_PORT": "19872", "DEMO_APP_PORT": "19873"}
URL = "http://127.0.0.1:%s" % PORTS["DEMO_PORT"]
STANDIN = "http://127.0.0.1:%s" % PORTS["DEMO_API_HTTP_PORT"]
# (name, width, height, the phone as typed, as E.164); another phone in
# each pass, as the demo's cooldown refuses a second SMS within 30 s
PASSES = (("phone", 390, 844, "+919876543210", "+919876543210"),
          ("desktop", 1280, 900, "+91 98123-45678", "+919812345678"))
TOTAL = 110   # seconds, for the whole run
WAIT = 10     # seconds, for any one thing to happen on the page
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu",
         "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
         "--no-default-browser-check", "--disable-background-networking",
         "--disable-component-update", "--disable-sync",
         "--disable-extensions")


class Failed(Exception):
    pass


def check(ok, what):
    if not ok:
        raise Failed(what)


def standin_stats():
    """The API calls and SMS the stand-in has seen (its connection count
    leaves out: this very question opens one)."""
    with urllib.request.urlopen(STANDIN + "/_test/stats", timeout=5) as r:
        stats = json.load(r)
    return {"requests": stats["requests"], "sms": stats["sms"]}


class Walk:
    def __init__(self, driver, name):
        self.d = driver
        self.name = name
        self.n = 0
        self.wait = WebDriverWait(driver, WAIT)

    def step(self, what):
        self.n += 1
        path = os.path.join(OUT, "%s-%02d-%s.png" % (self.name, self.n, what))
        self.d.save_screenshot(path)
        print("browser: %-7s %2d %-22s ok  %s"
              % (self.name, self.n, what, os.path.relpath(path, ROOT)),
              flush=True)

    def js(self, script, *args):
        return self.d.execute_script(script, *args)

    def el(self, css):
        return self.d.find_element(By.CSS_SELECTOR, css)

    def status_has(self, text):
        self.wait.until(ec.text_to_be_present_in_element((By.ID, "status"),
                                                         text))
        return self.el("#status").text

    def to_signin(self):
        self.wait.until(ec.url_to_be(URL + "/signin/?next=/app/"))
        self.wait.until(ec.visibility_of_element_located((By.ID,
                                                          "phoneNumber")))

    def requests_to(self, path):
        # what this page asked the network for, as the browser saw it
        return self.js("return performance.getEntriesByType('resource')"
                       ".filter(e => new URL(e.name).pathname === "
                       "arguments[0]).length", path)

    def send(self, typed):
        box = self.el("#phoneNumber")
        box.clear()
        box.send_keys(typed)
        self.el("#send button[type=submit]").click()

    def verify(self, code):
        box = self.el("#otpCode")
        box.clear()
        box.send_keys(code)
        self.el("#verify button[type=submit]").click()

    def fits(self):
        width = self.js("return [document.documentElement.scrollWidth,"
                        " window.innerWidth]")
        check(width[0] <= width[1],
              "the page is wider than the window: %r" % width)

    def first_page(self):
        """The page's shape, once: labels, the code field's hints, the
        live status, and next= kept to this site."""
        check(self.js("return [...document.querySelectorAll('input')]"
                      ".every(i => i.labels.length > 0)"),
              "an input without a label")
        code = self.el("#otpCode")
        check(code.get_attribute("inputmode") == "numeric"
              and code.get_attribute("autocomplete") == "one-time-code",
              "the code field lacks inputmode/autocomplete")
        check(self.el("#status").get_attribute("aria-live") == "polite",
              "the status is not announced")
        # the page's own check of next=, as the browser resolves it
        bad = ["//example.com", "/\\example.com", "/\t/example.com",
               "/\n/example.com", "https://example.com/", "javascript:x",
               "/.//example.com", "/%2F/example.com"]
        out = self.js("""
            const out = {}, was = location.search;
            for (const n of arguments[0]) {
              history.replaceState(null, "", "?next=" + encodeURIComponent(n));
              out[n] = new URL(next(), location.href).origin;
            }
            history.replaceState(null, "", was);
            return out;""", bad + ["/orders?id=7"])
        for n, origin in out.items():
            check(origin == URL, "next=%r leads to %s" % (n, origin))
        check(self.d.current_url == URL + "/signin/?next=/app/",
              "next= not put back")

    def run(self, typed, phone, first):
        d = self.d
        d.get(URL + "/app/")
        self.to_signin()
        self.fits()
        if first:
            self.first_page()
        self.step("redirected-to-signin")

        before = standin_stats()
        self.send("98765 43210")
        text = self.status_has("country code")
        check(self.el("#phoneNumber").get_attribute("aria-invalid") == "true",
              "the bad number is not marked invalid")
        check(self.requests_to("/auth/send-otp") == 0,
              "a bad number was sent to nginx")
        check(standin_stats() == before, "a bad number reached the API")
        print("browser:            bad number: %r" % text)
        self.step("bad-number")

        self.send(typed)
        self.wait.until(ec.visibility_of_element_located((By.ID, "sms-code")))
        check(self.el("#inbox h2").text.lower().find("demo") >= 0,
              "the inbox panel is not labelled as the demo's")
        code = self.el("#sms-code").text.strip()
        check(code.isdigit() and 4 <= len(code) <= 8,
              "no code in the inbox panel: %r" % code)
        check(standin_stats()["sms"] == before["sms"] + 1, "not one SMS")
        check(self.js("return document.activeElement.id") == "otpCode",
              "the code field has no focus")
        self.fits()
        self.step("code-in-demo-inbox")

        self.verify("000000" if code != "000000" else "111111")
        text = self.status_has("not right")
        print("browser:            wrong code: %r" % text)
        self.step("wrong-code")

        self.verify(code)
        self.wait.until(ec.url_to_be(URL + "/app/"))
        self.wait.until(ec.text_to_be_present_in_element((By.ID, "phone"),
                                                         phone))
        check(self.el("#phone").text == phone, "the app names another phone")
        check("smotp" not in self.js("return document.cookie"),
              "the cookie is readable by scripts")
        cookie = d.get_cookie("smotp")
        check(cookie and cookie.get("httpOnly"),
              "no HttpOnly cookie: %r" % cookie)
        self.fits()
        self.step("signed-in")

        self.el("#logout button").click()
        self.to_signin()
        check(d.get_cookie("smotp") is None, "the cookie outlived sign out")
        d.get(URL + "/app/")
        self.to_signin()
        self.step("signed-out")

        if first:
            # the same phone again within smotp_resend_interval: a 429
            # with Retry-After, told as a wait, and no SMS
            before = standin_stats()
            self.send(typed)
            text = self.status_has("wait")
            check("seconds" in text, "no wait given: %r" % text)
            check(standin_stats()["sms"] == before["sms"], "an SMS was sent")
            check(not self.el("#send button").get_attribute("disabled"),
                  "the button stays disabled")
            print("browser:            cooldown: %r" % text)
            self.step("cooldown")

        # a script error or a refused resource (CSP) is a failure; the
        # 4xx answers the walk asked for are not
        errors = [e["message"] for e in d.get_log("browser")
                  if e["level"] == "SEVERE"
                  and "Failed to load resource" not in e["message"]]
        check(not errors, "browser console: %r" % errors)


def start_demo():
    log = open(os.path.join(OUT, "demo.log"), "w")
    # a session of its own: a straggler of the demo's can be stopped by
    # the group's id even if demo.sh itself is gone
    demo = subprocess.Popen(
        [os.path.join(ROOT, "scripts", "demo.sh"), "--serve"],
        env=dict(os.environ, DEMO_DIR=os.path.join(OUT, "demo"), **PORTS),
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        start_new_session=True)
    log.close()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if demo.poll() is not None:
            raise Failed("the demo stopped: see build/browser/demo.log")
        with open(os.path.join(OUT, "demo.log")) as f:
            if "demo: serving" in f.read():
                return demo
        time.sleep(0.2)
    raise Failed("the demo did not come up in 30 s")


def stop_demo(demo):
    demo.terminate()
    try:
        demo.wait(20)
    except subprocess.TimeoutExpired:
        print("browser: the demo did not stop; killing its group")
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(demo.pid, sig)
        except ProcessLookupError:
            break
        time.sleep(0.5)
    demo.wait(5)


def stop_browser(driver, profile):
    if driver:
        try:
            driver.quit()
        except WebDriverException as e:
            print("browser: quit: %s" % e.msg)
    # a chromium that outlived its driver is known by its profile
    for pid in os.listdir("/proc"):
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                if profile.encode() in f.read():
                    os.kill(int(pid), signal.SIGKILL)
        except (OSError, ValueError):
            pass
    shutil.rmtree(profile, ignore_errors=True)


def new_browser(profile, width, height):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in FLAGS + ("--window-size=%d,%d" % (width, height),
                         "--user-data-dir=" + profile):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(
        service=Service("/usr/bin/chromedriver",
                        log_path=os.path.join(OUT, "chromedriver.log")),
        options=options)
    driver.set_page_load_timeout(WAIT)
    driver.set_script_timeout(WAIT)
    return driver


def main():
    start = time.monotonic()
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)

    def too_long(*_):
        raise Failed("over %d s" % TOTAL)
    signal.signal(signal.SIGALRM, too_long)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.alarm(TOTAL)

    demo = driver = walk = None
    profile = tempfile.mkdtemp(prefix="smotp-chromium-")
    try:
        demo = start_demo()
        driver = new_browser(profile, *PASSES[0][1:3])
        for name, width, height, typed, phone in PASSES:
            driver.delete_all_cookies()
            driver.set_window_size(width, height)
            walk = Walk(driver, name)
            print("browser: %s, %dx%d (inner %s)"
                  % (name, width, height,
                     walk.js("return innerWidth + 'x' + innerHeight")))
            walk.run(typed, phone, name == PASSES[0][0])
        print("browser: ok (%.1f s)" % (time.monotonic() - start))
        return 0
    except (Failed, WebDriverException) as e:
        print("browser: FAILED: %s" % (getattr(e, "msg", None) or e),
              file=sys.stderr)
        if walk:
            try:
                walk.step("FAILED")
                print("browser: at %s, status %r" % (
                    driver.current_url, walk.el("#status").text),
                    file=sys.stderr)
            except WebDriverException:
                pass
        print("browser: logs in build/browser/ (demo.log, demo/*.log, "
              "chromedriver.log)", file=sys.stderr)
        return 1
    finally:
        signal.alarm(0)
        stop_browser(driver, profile)
        if demo:
            stop_demo(demo)


if __name__ == "__main__":
    sys.exit(main())
