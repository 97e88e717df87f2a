#!/usr/bin/env python3
"""The demo's "app": it knows nothing of OTP.  nginx lets a request reach
it only with a valid cookie (smotp_require) and hands it the verified
phone in X-Verified-Phone; the app trusts that header because nginx sets
it on every proxied request, and drops any the client sent.  It listens
on 127.0.0.1 only, so nothing reaches it but through nginx.

    demo/app.py [PORT]      (else $DEMO_APP_PORT, else 19862)
"""

import html
import http.server
import os
import sys

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Demo app</title>
<link rel="stylesheet" href="/signin/signin.css">
</head>
<body>
<main class="card">
<h1>Demo app</h1>
<p>Signed in as <strong id="phone">{phone}</strong>.</p>
<p class="hint">Verified {verified_at}. This page is the app behind
nginx: it got the phone in the <code>X-Verified-Phone</code> header nginx
set, and knows nothing else of the sign-in.</p>
<form method="post" action="/auth/logout" id="logout">
<button type="submit">Sign out</button>
</form>
<p id="status" role="status" aria-live="polite"></p>
</main>
<script src="/signin/app.js"></script>
</body>
</html>
"""


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        # a header the app was not handed means nginx is not in front
        phone = self.headers.get("X-Verified-Phone") or "nobody (no nginx?)"
        at = self.headers.get("X-Verified-At") or "at an unknown time"
        if at[:1].isdigit():
            at = "at " + at
        body = PAGE.format(phone=html.escape(phone),
                           verified_at=html.escape(at)).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        # a page for one visitor: no cache may keep it for the next
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Security-Policy",
                         "default-src 'self'; frame-ancestors 'none'")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        sys.stderr.write("app: " + fmt % args + "\n")


def main():
    port = int(sys.argv[1] if len(sys.argv) > 1
               else os.environ.get("DEMO_APP_PORT", "19862"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
