// The app page's sign-out: smotp_logout takes a POST (a form would
// navigate to its JSON answer), then back to the app, which the gate
// sends to the sign-in page.
document.getElementById("logout").addEventListener("submit", async (e) => {
  e.preventDefault();
  await fetch("/auth/logout", { method: "POST" });
  location.href = "/app/";
});
