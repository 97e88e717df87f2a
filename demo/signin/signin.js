// The sign-in page: a phone, then its code, through the module's JSON
// endpoints.  A proved code sets the cookie (HttpOnly: this script never
// sees it); the page then goes where the gate sent the visitor from.

const $ = (id) => document.getElementById(id);
let handle = null;
let phone = "";

function say(text, bad) {
  $("status").textContent = text;
  $("status").className = bad ? "bad" : "";
}

// only a local path: "/x", never "//host" or "/\host"
function next() {
  const n = new URLSearchParams(location.search).get("next");
  return n && /^\/(?![\/\\])/.test(n) ? n : "/app/";
}

async function call(path, body) {
  let r;
  try {
    r = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
  } catch (e) {
    return { error: "The server cannot be reached. Check your connection." };
  }
  const answer = await r.json().catch(() => ({}));
  if (r.status === 429) {
    const wait = r.headers.get("Retry-After");
    answer.error = "Too many tries. Please wait" +
      (wait ? " " + wait + " seconds" : " a moment") + " and try again.";
  } else if (r.status >= 500) {
    answer.error = "The SMS service is not answering. Try again shortly.";
  } else if (!r.ok && !answer.error) {
    answer.error = "Something went wrong (" + r.status + ").";
  }
  return answer;
}

async function inbox() {
  const r = await fetch("/demo/inbox?phone=" + encodeURIComponent(phone));
  if (r.ok) {
    const sms = await r.json();
    $("sms").textContent = sms.message || ("Your code is " + sms.code);
    $("inbox").hidden = false;
  }
}

function busy(form, on) {
  for (const b of form.querySelectorAll("button")) b.disabled = on;
}

$("send").addEventListener("submit", async (e) => {
  e.preventDefault();
  phone = $("phoneNumber").value.replace(/[\s()-]/g, "");
  if (!/^\+[1-9][0-9]{7,14}$/.test(phone)) {
    say("Please give the number with its country code, such as " +
        "+919876543210.", true);
    return;
  }
  busy(e.target, true);
  say("Sending a code…");
  const a = await call("/auth/send-otp", { phoneNumber: phone });
  busy(e.target, false);
  if (a.error) {
    say(a.error, true);
    return;
  }
  handle = a.requestId;
  $("send").hidden = true;
  $("verify").hidden = false;
  $("otpCode").focus();
  say("We sent a code to " + phone + ".");
  inbox();
});

$("verify").addEventListener("submit", async (e) => {
  e.preventDefault();
  busy(e.target, true);
  say("Checking…");
  const a = await call("/auth/verify-otp",
                       { requestId: handle, otpCode: $("otpCode").value });
  busy(e.target, false);
  if (a.verified) {
    say("Signed in.");
    location.href = next();
  } else if (a.error) {
    say(a.error, true);
  } else {
    say("That code is not right." + (a.attemptsLeft !== undefined
        ? " " + a.attemptsLeft + " tries left." : ""), true);
  }
});

$("again").addEventListener("click", () => {
  $("verify").hidden = true;
  $("inbox").hidden = true;
  $("send").hidden = false;
  say("");
});
