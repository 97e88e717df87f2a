# The prefix of a phone number (issue 13): $smotp_phone and its country
# code, $smotp_phone_prefix, by the ITU's list of assigned codes; the
# numbers smotp_allowed_prefixes and smotp_denied_prefixes let receive an
# SMS, the others refused in JSON before any API call; and
# $smotp_client_net, the network one client host holds.
#
# nginx runs through t/inc/nginx-startup-log (see t/009-config.t), so that
# the configuration errors are read from logs/error.log.

use FindBin;
use lib "$FindBin::Bin/inc";

BEGIN {
    $ENV{SMOTP_NGINX_BINARY} = $ENV{TEST_NGINX_BINARY} || 'nginx';
    $ENV{TEST_NGINX_BINARY} = "$FindBin::Bin/inc/nginx-startup-log";
}

use Test::Nginx::Socket 'no_plan';
use SmotpTest;

no_shuffle();
no_long_string();
run_tests();

__DATA__

=== TEST 1: $smotp_phone and $smotp_phone_prefix of a NANP number: +1
--- config
    location = /auth/send-otp {
        smotp_send;
        add_header X-Phone $smotp_phone always;
        add_header X-Prefix $smotp_phone_prefix always;
    }
--- request
POST /auth/send-otp
{"phoneNumber":"+14155550131"}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_headers
X-Phone: +14155550131
X-Prefix: +1



=== TEST 2: Jamaica is in NANP: +1 876 is +1, not +876
--- config
    location = /auth/send-otp {
        smotp_send;
        add_header X-Prefix $smotp_phone_prefix always;
    }
--- request
POST /auth/send-otp
{"phoneNumber":"+18765550132"}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_headers
X-Prefix: +1



=== TEST 3: two-digit codes: +44, +91, +20; +7, one digit
--- config
    location = /auth/send-otp {
        smotp_send;
        add_header X-Prefix $smotp_phone_prefix always;
    }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+442079460133\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919812340134\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+201012340135\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+79161230136\"}"]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 200, 200, 200]
--- response_headers eval
["X-Prefix: +44", "X-Prefix: +91", "X-Prefix: +20", "X-Prefix: +7"]



=== TEST 4: three-digit codes: +971, +880, the global +881
--- config
    location = /auth/send-otp {
        smotp_send;
        add_header X-Prefix $smotp_phone_prefix always;
    }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+971501230137\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+8801712340138\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+881612340139\"}"]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 200, 200]
--- response_headers eval
["X-Prefix: +971", "X-Prefix: +880", "X-Prefix: +881"]



=== TEST 5: codes not assigned (+28x, +422, +801): no prefix, the number still known
--- config
    location = /auth/send-otp {
        smotp_send;
        add_header X-Phone $smotp_phone always;
        add_header X-Prefix "[$smotp_phone_prefix]" always;
    }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+28012340140\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+42212340141\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+80112340142\"}"]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 200, 200]
--- response_headers eval
["X-Phone: +28012340140\nX-Prefix: []",
 "X-Phone: +42212340141\nX-Prefix: []",
 "X-Phone: +80112340142\nX-Prefix: []"]



=== TEST 6: no phone before the body is valid, none on a verify
--- config
    location = /auth/send-otp {
        smotp_send;
        add_header X-Phone "[$smotp_phone]" always;
        add_header X-Prefix "[$smotp_phone_prefix]" always;
    }
    location = /auth/verify-otp {
        smotp_verify;
        add_header X-Phone "[$smotp_phone]" always;
        add_header X-Prefix "[$smotp_phone_prefix]" always;
    }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"4412345678\"}",
 "POST /auth/verify-otp\n{\"requestId\":\"no-such-request-0143\",\"otpCode\":\"123456\"}"]
--- more_headers
Content-Type: application/json
--- error_code eval
[400, 404]
--- response_headers eval
["X-Phone: []\nX-Prefix: []", "X-Phone: []\nX-Prefix: []"]



=== TEST 7: smotp_allowed_prefixes: a listed country's number is sent
--- config
    location = /auth/send-otp {
        smotp_send;
        smotp_allowed_prefixes +1 +44 +91 +971;
    }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+14155550144\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+18765550145\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+447700900146\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919812340147\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+971501230148\"}"]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 200, 200, 200, 200]
--- no_error_log
smotp_allowed_prefixes
[alert]
[crit]



=== TEST 8: smotp_allowed_prefixes: another country's number is refused, no API call, logged masked
--- config
    location = /auth/send-otp {
        smotp_send;
        smotp_allowed_prefixes +1 +44 +91 +971;
        add_header X-Prefix $smotp_phone_prefix always;
    }
--- request
POST /auth/send-otp
{"phoneNumber":"+33612340149"}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_headers
Content-Type: application/json
X-Prefix: +33
--- response_body chomp
{"error":"phone numbers of this country are not accepted"}
--- error_log
[warn]
smotp send: +33*****0149 refused by smotp_allowed_prefixes or smotp_denied_prefixes
--- no_error_log
+33612340149
API call



=== TEST 9: the refused number never reached the API
--- config
    location = /auth/send-otp {
        smotp_send;
        smotp_allowed_prefixes +1 +44 +91 +971;
    }
    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/stats?phone=%2B9725012340150;
    }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+97150123401\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+9725012340150\"}",
 "GET /stats"]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 400, 200]
--- response_body_like eval
[qr/^\{"requestId"/,
 qr/^\Q{"error":"phone numbers of this country are not accepted"}\E$/,
 qr/^\Q{"requests":0,"sms":0}\E$/]



=== TEST 10: an unassigned code is refused by an allowed list
--- config
    location = /auth/send-otp {
        smotp_send;
        smotp_allowed_prefixes +1 +44 +91 +971;
    }
--- request
POST /auth/send-otp
{"phoneNumber":"+28012340151"}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body chomp
{"error":"phone numbers of this country are not accepted"}



=== TEST 11: smotp_denied_prefixes: +971 and an unassigned code refused, +1 and +44 sent
--- config
    location = /auth/send-otp {
        smotp_send;
        smotp_denied_prefixes +971 +28;
    }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+971501230152\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+28012340153\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+14155550154\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+447700900155\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919812340156\"}"]
--- more_headers
Content-Type: application/json
--- error_code eval
[400, 400, 200, 200, 200]
--- response_body_like eval
[qr/^\Q{"error":"phone numbers of this country are not accepted"}\E$/,
 qr/^\Q{"error":"phone numbers of this country are not accepted"}\E$/,
 qr/^\{"requestId"/, qr/^\{"requestId"/, qr/^\{"requestId"/]



=== TEST 12: a denied prefix inside an allowed one wins; a prefix need not be a whole code
--- config
    location = /auth/send-otp {
        smotp_send;
        smotp_allowed_prefixes +91 +4420;
        smotp_denied_prefixes +9199;
    }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919912340157\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919812340158\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+442079460159\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+447700900160\"}"]
--- more_headers
Content-Type: application/json
--- error_code eval
[400, 200, 200, 400]



=== TEST 13: the lists are inherited from the server, and a location's own replaces them
--- config
    smotp_allowed_prefixes +44;
    location = /auth/send-otp { smotp_send; }
    location = /us/send-otp { smotp_send; smotp_allowed_prefixes +1; }
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+447700900161\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+14155550162\"}",
 "POST /us/send-otp\n{\"phoneNumber\":\"+14155550163\"}",
 "POST /us/send-otp\n{\"phoneNumber\":\"+447700900164\"}"]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 400, 200, 400]



=== TEST 14: a prefix without "+"
--- config
    location = /auth/send-otp { smotp_send; smotp_allowed_prefixes +1 44; }
--- must_die
--- error_log
invalid value "44" in "smotp_allowed_prefixes" directive: "+" and 1 to 15 digits, the first not 0, are expected, such as +44



=== TEST 15: a prefix with letters
--- config
    location = /auth/send-otp { smotp_send; smotp_denied_prefixes +4a; }
--- must_die
--- error_log
invalid value "+4a" in "smotp_denied_prefixes" directive



=== TEST 16: an empty prefix
--- config
    location = /auth/send-otp { smotp_send; smotp_denied_prefixes ""; }
--- must_die
--- error_log
invalid value "" in "smotp_denied_prefixes" directive



=== TEST 17: "+" alone
--- config
    location = /auth/send-otp { smotp_send; smotp_allowed_prefixes +; }
--- must_die
--- error_log
invalid value "+" in "smotp_allowed_prefixes" directive



=== TEST 18: a prefix of 16 digits, longer than any number
--- config
    location = /auth/send-otp {
        smotp_send;
        smotp_allowed_prefixes +1234567890123456;
    }
--- must_die
--- error_log
invalid value "+1234567890123456" in "smotp_allowed_prefixes" directive



=== TEST 19: a prefix of 15 digits is taken
--- config
    location = /auth/send-otp {
        smotp_send;
        smotp_allowed_prefixes +123456789012345 +44;
    }
--- request
POST /auth/send-otp
{"phoneNumber":"+447700900165"}
--- more_headers
Content-Type: application/json
--- error_code: 200



=== TEST 20: a prefix beginning with 0 matches no number
--- config
    location = /auth/send-otp { smotp_send; smotp_allowed_prefixes +044; }
--- must_die
--- error_log
invalid value "+044" in "smotp_allowed_prefixes" directive



=== TEST 21: a list given twice in one place
--- config
    location = /auth/send-otp {
        smotp_send;
        smotp_denied_prefixes +971;
        smotp_denied_prefixes +28;
    }
--- must_die
--- error_log
"smotp_denied_prefixes" directive is duplicate



=== TEST 22: $smotp_client_net: IPv4 as it is, IPv4-mapped IPv6 as IPv4
--- config
    set_real_ip_from 127.0.0.1;
    real_ip_header X-Real-IP;
    location = /net { return 200 "$smotp_client_net\n"; }
--- request eval
["GET /net", "GET /net", "GET /net"]
--- more_headers eval
["X-Real-IP: 192.0.2.17", "X-Real-IP: ::ffff:198.51.100.9", ""]
--- response_body eval
["192.0.2.17\n", "198.51.100.9\n", "127.0.0.1\n"]



=== TEST 23: $smotp_client_net: two addresses of one IPv6 /64 are one network, another /64 is another
--- config
    set_real_ip_from 127.0.0.1;
    real_ip_header X-Real-IP;
    location = /net { return 200 "$smotp_client_net\n"; }
--- request eval
["GET /net", "GET /net", "GET /net", "GET /net"]
--- more_headers eval
["X-Real-IP: 2001:db8:1:2::1",
 "X-Real-IP: 2001:db8:1:2:aaaa:bbbb:cccc:dddd",
 "X-Real-IP: 2001:db8:1:3::1",
 "X-Real-IP: 2001:db8::1"]
--- response_body eval
["2001:db8:1:2::/64\n", "2001:db8:1:2::/64\n", "2001:db8:1:3::/64\n",
 "2001:db8::/64\n"]



=== TEST 24: $smotp_client_net of a client on a UNIX socket: empty
--- http_config
    smotp_api_key sm_test_0123456789abcdef;
    server {
        listen unix:$TEST_NGINX_SERVER_ROOT/logs/net.sock;
        location = /net { return 200 "[$smotp_client_net]\n"; }
    }
--- config
    location = /net {
        proxy_pass http://unix:$TEST_NGINX_SERVER_ROOT/logs/net.sock;
    }
--- request
GET /net
--- response_body
[]
