// The app page's sign-out.  smotp_logout answers a POST with JSON, so a
// plain form would leave the visitor looking at {"loggedOut":true}; with
// a script it posts, then goes back to the app, which the gate now sends
// to the sign-in page.  Without a script the form still signs out.
const form = document.getElementById("logout");
const status = document.getElementById("status");

form.addEventListener("submit", async (e) => {
  e.preventDefault();
  const button = form.querySelector("button");
  button.disabled = true;
  status.textContent = "Signing out…";
  try {
    const r = await fetch("/auth/logout", { method: "POST" });
    if (!r.ok) throw new Error(String(r.status));
    location.href = "/app/";
  } catch (err) {
    status.textContent = "Could not sign out. Please try again.";
    button.disabled = false;
  }
});
