# The abuse limits across workers, reloads and a full zone: nginx runs
# here with a master and four workers.
#
# /burst fires its mirrors at once: each is a request of its own to the
# send endpoint (through /m, which proxies to this server), over a
# connection of its own, taken by whichever worker accepts it, while
# /burst itself waits at the stand-in long enough for every mirror to be
# answered.  nginx makes at most 50 subrequests a request: /fan takes a
# burst of bursts.

use FindBin;
use lib "$FindBin::Bin/inc";

use Test::Nginx::Socket;
use SmotpTest;

# concurrency and reloads, timed for a plain nginx: under valgrind a
# burst does not end within its wait, and the runner stops nginx after
# each block; the limits' code runs under valgrind in t/016-limits.t
if ($ENV{TEST_NGINX_USE_VALGRIND}) {
    plan skip_all => 'timed for nginx without valgrind';
} else {
    plan 'no_plan';
}

master_on();
workers(4);
worker_connections(1024);

our $Http = <<'_EOC_';
    smotp_api_key sm_test_0123456789abcdef;
    smotp_zone otp:1m;
    smotp_zone tiny:32k;
_EOC_

sub burst {
    my ($name, $n, $to, $delay) = @_;

    return "    location = /$name {\n"
           . ("        mirror /m$name;\n" x $n)
           . "        proxy_pass http://127.0.0.1:\$TEST_NGINX_STANDIN_PORT/otp/none;\n"
           . "        proxy_pass_request_body off;\n"
           . "        proxy_set_header Content-Length \"\";\n"
           . "        proxy_set_header X-Standin-Fault \"delay=$delay; status=404\";\n"
           . "    }\n"
           . "    location = /m$name {\n"
           . "        internal;\n"
           . "        proxy_pass http://127.0.0.1:\$TEST_NGINX_SERVER_PORT$to;\n"
           . "    }\n";
}

no_shuffle();
no_long_string();
run_tests();

__DATA__

=== TEST 1: 50 sends at once to one phone, from 4 workers, against 3/10m: exactly 3 reach the API
--- http_config eval: $::Http
--- config eval
::burst("burst", 50, "/auth/send-otp", 1.5) . <<'_EOC_';
    location = /auth/send-otp {
        smotp_send;
        smotp_limit zone=otp key=all rate=3/10m;
    }
    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/stats?phone=%2B919800001701;
    }
_EOC_
--- request eval
["POST /burst\n{\"phoneNumber\":\"+919800001701\"}", "GET /stats"]
--- more_headers
Content-Type: application/json
--- timeout: 5
--- error_code eval
[404, 200]
--- response_body_like eval
['', '^\{"requests":3,"sms":3\}$']
--- no_error_log
[alert]
[crit]



=== TEST 2: a daily budget of 5 holds exactly too, against 50 sends at once
--- http_config eval: $::Http
--- config eval
::burst("burst", 50, "/auth/send-otp", 1.5) . <<'_EOC_';
    location = /auth/send-otp {
        smotp_send;
        smotp_limit zone=otp key=all rate=5/d;
        add_header X-Limit $smotp_limit_status always;
        access_log logs/sends.log;
    }
    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/stats?phone=%2B919800001702;
    }
_EOC_
--- request eval
["POST /burst\n{\"phoneNumber\":\"+919800001702\"}", "GET /stats"]
--- more_headers
Content-Type: application/json
--- timeout: 5
--- error_code eval
[404, 200]
--- response_body_like eval
['', '^\{"requests":5,']



=== TEST 3: the refusals are logged at warn, naming the limit, with the phone masked
--- http_config eval: $::Http
--- config eval
::burst("burst", 2, "/auth/send-otp", 1) . <<'_EOC_';
    location = /auth/send-otp {
        smotp_send;
        smotp_limit zone=otp key=all rate=1/10m;
    }
_EOC_
--- request
POST /burst
{"phoneNumber":"+919800001703"}
--- more_headers
Content-Type: application/json
--- timeout: 4
--- error_code: 404
--- error_log eval
qr/\[warn\].*smotp send: refused by smotp_limit key=all rate=1\/10m, phone \+91\*{6}1703, retry after (59\d|600)s/
--- no_error_log
+919800001703



=== TEST 4: the counts before a reload
--- http_config eval: $::Http
--- config eval
<<'_EOC_';
    location = /auth/send-otp {
        smotp_send;
        smotp_limit zone=otp key=all rate=2/10m;
    }
_EOC_
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800001704\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919800001705\"}"]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 200]



=== TEST 5: after nginx -s reload, the zone keeps them: the third is refused
--- init
my $pid = '';
for (1 .. 50) {
    $pid = `cat $Test::Nginx::Util::PidFile 2>/dev/null`;
    chomp $pid;
    last if $pid =~ /^\d+$/;
    select undef, undef, undef, 0.1;
}
die "no nginx pid in $Test::Nginx::Util::PidFile\n" unless $pid =~ /^\d+$/;
kill 'HUP', $pid;
sleep 1.5;
--- request
POST /auth/send-otp
{"phoneNumber":"+919800001706"}
--- more_headers
Content-Type: application/json
--- error_code: 429
--- response_body_like: ^\{"error":"too many requests, try again later","retryAfter":\d+\}$
--- error_log
reconfiguring



=== TEST 6: a full zone evicts its oldest entries, and says so
--- http_config eval: $::Http
--- config eval
::burst("fan", 6, "/burst", 3) . ::burst("burst", 50, "/auth/send-otp", 1.5) . <<'_EOC_';
    location = /auth/send-otp {
        smotp_send;
        smotp_limit zone=tiny key=$request_id rate=1/h;
        smotp_limit zone=tiny key=all rate=4/h;
    }
    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/stats?phone=%2B919800001707;
    }
_EOC_
--- request
POST /fan
{"phoneNumber":"+919800001707"}
--- more_headers
Content-Type: application/json
--- timeout: 8
--- error_code: 404
--- error_log
smotp_zone "tiny" is full: the oldest entries are evicted; make it larger
--- no_error_log
[alert]
[crit]



=== TEST 7: and the limits still applied: of 300 sends, the 4 of the budget reached the API
--- request
GET /stats
--- error_code: 200
--- response_body_like: ^\{"requests":4,



=== TEST 8: 100 sends at once, shaped by limit_req in the API location to 20 a second: every one is made, in turn, within the deadline
--- http_config eval
$::Http . <<'_EOC_';
    limit_req_zone $request_method zone=api:1m rate=20r/s;
_EOC_
--- config eval
::burst("fan", 2, "/burst", 7) . ::burst("burst", 50, "/auth/send-otp", 6.5) . <<'_EOC_';
    location /_smotp_api/ {
        internal;
        limit_req zone=api burst=200;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
    }
    location = /auth/send-otp {
        smotp_send;
        smotp_deadline 10s;
    }
    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/stats?phone=%2B919800001708;
    }
_EOC_
--- request
POST /fan
{"phoneNumber":"+919800001708"}
--- more_headers
Content-Type: application/json
--- timeout: 10
--- error_code: 404
--- error_log eval
qr/delaying request, excess: 9[0-9]\.\d+, by zone "api"/
--- no_error_log
smotp_deadline
OTP service
[crit]
[alert]



=== TEST 9: and the stand-in got all 100
--- request
GET /stats
--- error_code: 200
--- response_body_like: ^\{"requests":100,
