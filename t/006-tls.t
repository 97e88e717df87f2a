# HTTPS to the API, as in production: the certificate verified against a
# CA, over a keepalive upstream; a certificate that does not verify is a
# 502 and a log line, never a call made in the clear.

use FindBin;
use lib "$FindBin::Bin/inc";

use Test::Nginx::Socket 'no_plan';
use SmotpTest;

no_shuffle();
no_long_string();
run_tests();

__DATA__

=== TEST 1: HTTPS with the certificate verified against the test CA
--- http_config
    smotp_api_key sm_test_0123456789abcdef;
    upstream standin_tls {
        server 127.0.0.1:$TEST_NGINX_STANDIN_TLS_PORT;
        keepalive 4;
    }
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass https://standin_tls/;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_ssl_server_name on;
        proxy_ssl_name localhost;
        proxy_ssl_verify on;
        proxy_ssl_trusted_certificate $TEST_NGINX_CERT_DIR/ca.crt;
        proxy_ssl_session_reuse on;
    }
    location = /auth/send-otp { smotp_send; }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800000601\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919800000602\"}"]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/^\{"requestId":"[0-9a-f-]{36}",/, qr/^\{"requestId":"[0-9a-f-]{36}",/]
--- no_error_log
[error]
[alert]



=== TEST 2: a certificate from another CA is refused: 502, logged
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass https://127.0.0.1:$TEST_NGINX_STANDIN_TLS_PORT/;
        proxy_ssl_server_name on;
        proxy_ssl_name localhost;
        proxy_ssl_verify on;
        proxy_ssl_trusted_certificate $TEST_NGINX_CERT_DIR/wrong-ca.crt;
    }
    location = /auth/send-otp { smotp_send; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000603"}
--- more_headers
Content-Type: application/json
--- error_code: 502
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"OTP service unreachable"}
--- error_log
upstream SSL certificate verify error
the API call failed



=== TEST 3: a certificate for another name is refused: 502, logged
--- config
    location /_smotp_api/ {
        internal;
        proxy_pass https://127.0.0.1:$TEST_NGINX_STANDIN_TLS_PORT/;
        proxy_ssl_server_name on;
        proxy_ssl_name api.startmessaging.com;
        proxy_ssl_verify on;
        proxy_ssl_trusted_certificate $TEST_NGINX_CERT_DIR/ca.crt;
    }
    location = /auth/send-otp { smotp_send; }
--- request
POST /auth/send-otp
{"phoneNumber":"+919800000604"}
--- more_headers
Content-Type: application/json
--- error_code: 502
--- response_body chomp
{"error":"OTP service unreachable"}
--- error_log
upstream SSL certificate does not match "api.startmessaging.com"
