// The sign-in page: a phone, then its code, through the module's JSON
// endpoints.  The send answers an opaque handle (requestId) that only
// goes back to the verify; a proved code sets the cookie (HttpOnly: this
// script never sees it), and the page goes where the gate sent the
// visitor from.
"use strict";

const $ = (id) => document.getElementById(id);

// the module's own rules: checked here first so that a typo costs no
// request, let alone an SMS
const PHONE = /^\+[1-9][0-9]{7,14}$/;
const CODE = /^[0-9]{4,8}$/;
const PHONE_HELP = "Please give the whole number with its country code, " +
  "such as +919876543210.";
const CODE_HELP = "The code is the 4 to 8 digits in the SMS.";

let handle = null;
let phone = "";

function say(text, bad) {
  $("status").textContent = text;
  $("status").classList.toggle("bad", Boolean(bad));
}

function mark(input, bad) {
  if (bad) input.setAttribute("aria-invalid", "true");
  else input.removeAttribute("aria-invalid");
}

function busy(form, on) {
  form.setAttribute("aria-busy", on ? "true" : "false");
  for (const b of form.querySelectorAll("button")) b.disabled = on;
}

// Where the gate sent the visitor from, if it is this site's: resolved
// as the browser would resolve it (it drops tabs and newlines, takes "\"
// for "/" and collapses "/./", so a text test alone lets "/\t/evil" or
// "/.//evil" through as "//evil"), then its origin compared.
function next() {
  const n = new URLSearchParams(location.search).get("next");
  if (n && n.startsWith("/") && !n.startsWith("//")) {
    try {
      const u = new URL(n, location.origin);
      if (u.origin === location.origin) return u.href;
    } catch (e) {
      // not a URL: the app's page instead
    }
  }
  return "/app/";
}

function wait(seconds) {
  const s = parseInt(seconds, 10);
  if (!(s > 0)) return "a moment";
  if (s < 90) return s + (s === 1 ? " second" : " seconds");
  return "about " + Math.round(s / 60) + " minutes";
}

// the module's {"error": ...} answers, in words a visitor understands;
// restart: the handle is spent, only a new code helps
function friendly(status, answer, retryAfter) {
  const e = String(answer.error || "");
  if (status === 429 && /wrong code/.test(e)) {
    return { text: "Too many wrong codes. Ask for a new code.",
             restart: true };
  }
  if (status === 429) {
    return { text: "Too many tries. Please wait " +
             wait(retryAfter || answer.retryAfter) + " and try again." };
  }
  if (/^requestId/.test(e) || status === 404 || status === 410) {
    return { text: "This code has expired or was already used. " +
             "Ask for a new one.", restart: true };
  }
  if (/^phoneNumber/.test(e)) return { text: PHONE_HELP };
  if (/country/.test(e)) {
    return { text: "Sorry, we cannot send codes to numbers of this " +
             "country." };
  }
  if (/^otpCode/.test(e)) return { text: CODE_HELP };
  if (status === 403) {
    return { text: "Please sign in from this site's own sign-in page." };
  }
  if (status >= 500) {
    return { text: "The SMS service is not answering. Please try again " +
             "in a minute." };
  }
  return { text: "Something went wrong (" + (e || status) + "). " +
           "Please try again." };
}

async function call(path, body) {
  let r;
  try {
    r = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(20000),
    });
  } catch (e) {
    return { failed: { text: e.name === "TimeoutError"
      ? "The server is taking too long to answer. Please try again."
      : "The server cannot be reached. Check your connection and try " +
        "again." } };
  }
  const answer = await r.json().catch(() => ({}));
  if (!r.ok || answer.error) {
    answer.failed = friendly(r.status, answer, r.headers.get("Retry-After"));
  }
  return answer;
}

// The demo only: what the stand-in "sent" to the phone, through
// nginx's /demo/inbox; a real site has no such thing.
async function inbox(to) {
  const sms = $("sms");
  sms.textContent = "Waiting for the SMS…";
  $("inbox").hidden = false;
  for (let i = 0; i < 5 && to === phone; i++) {
    try {
      const r = await fetch("/demo/inbox?phone=" + encodeURIComponent(to),
                            { cache: "no-store" });
      if (r.ok) {
        const m = await r.json();
        if (to !== phone) return;
        const code = document.createElement("strong");
        code.id = "sms-code";
        code.textContent = m.code;
        sms.replaceChildren("To " + m.phoneNumber + ": your code is ",
                            code, ".");
        return;
      }
    } catch (e) {
      // asked again below
    }
    await new Promise((done) => setTimeout(done, 500));
  }
  if (to === phone) sms.textContent = "No SMS has arrived.";
}

// back to the phone, which stays filled in; the status stays too, so an
// error that brought the visitor here is still there to read
function restart() {
  handle = null;
  phone = "";
  $("verify").hidden = true;
  $("inbox").hidden = true;
  $("send").hidden = false;
  $("phoneNumber").focus();
}

$("send").addEventListener("submit", async (e) => {
  e.preventDefault();
  const form = e.currentTarget;
  const input = $("phoneNumber");
  // people type spaces, dashes, dots and brackets; E.164 has none
  const typed = input.value.replace(/[\s().-]/g, "");
  if (!PHONE.test(typed)) {
    mark(input, true);
    say(PHONE_HELP, true);
    input.focus();
    return;
  }
  mark(input, false);
  busy(form, true);
  say("Sending a code…");
  const a = await call("/auth/send-otp", { phoneNumber: typed });
  busy(form, false);
  if (a.failed) {
    say(a.failed.text, true);
    return;
  }
  handle = a.requestId;
  phone = typed;
  $("sent-to").textContent = "We sent a code to " + phone + ".";
  $("send").hidden = true;
  $("verify").hidden = false;
  $("otpCode").value = "";
  mark($("otpCode"), false);
  $("otpCode").focus();
  say("We sent a code to " + phone + ".");
  inbox(phone);
});

$("verify").addEventListener("submit", async (e) => {
  e.preventDefault();
  const form = e.currentTarget;
  const input = $("otpCode");
  const code = input.value.trim();
  if (!CODE.test(code)) {
    mark(input, true);
    say(CODE_HELP, true);
    input.focus();
    return;
  }
  busy(form, true);
  say("Checking the code…");
  const a = await call("/auth/verify-otp",
                       { requestId: handle, otpCode: code });
  if (a.verified === true) {
    // the buttons stay off: the page is leaving
    say("Signed in. Taking you back…");
    location.assign(next());
    return;
  }
  busy(form, false);
  if (a.failed) {
    say(a.failed.text, true);
    if (a.failed.restart) restart();
    return;
  }
  mark(input, true);
  const left = a.attemptsLeft;
  if (left === 0) {
    say("That code is not right, and it was the last try. Ask for a new " +
        "code.", true);
    restart();
    return;
  }
  say("That code is not right. Please check the SMS and try again." +
      (left > 0 ? " " + left + (left === 1 ? " try" : " tries") + " left."
                : ""), true);
  input.select();
});

$("again").addEventListener("click", () => {
  say("");
  restart();
});
