#!/usr/bin/env python3
"""The demo's "app": it knows nothing of OTP.  nginx lets a request reach
it only with a valid cookie (smotp_require) and hands it the verified
phone in X-Verified-Phone; the app trusts that header because nginx sets
it on every proxied request, and drops any the client sent.

    demo/app.py PORT
"""

import html
import http.server
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
<p class="hint">This page is the app behind nginx: it got the phone in
the <code>X-Verified-Phone</code> header nginx set.</p>
<form method="post" action="/auth/logout" id="logout">
<button type="submit">Sign out</button>
</form>
</main>
<script src="/signin/app.js"></script>
</body>
</html>
"""


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        phone = self.headers.get("X-Verified-Phone", "")
        body = PAGE.format(phone=html.escape(phone or "nobody")).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        sys.stderr.write("app: " + fmt % args + "\n")


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 19862
    http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler) \
        .serve_forever()


if __name__ == "__main__":
    main()
