# smotp_metrics across workers and reloads: nginx runs here with a master
# and two workers.  /burst fires its mirrors at once, each a send of its
# own (through /m, which proxies to this server) over a connection of its
# own, taken by whichever worker accepts it (see t/017-limits-shared.t);
# each /metrics is a connection of its own too.

use FindBin;
use lib "$FindBin::Bin/inc";

use Test::Nginx::Socket;
use SmotpTest;
use PromCheck;

# concurrency and a reload: the runner stops nginx after each block under
# valgrind; the counters' code runs under valgrind in t/023-metrics.t
if ($ENV{TEST_NGINX_USE_VALGRIND}) {
    plan skip_all => 'timed for nginx without valgrind';
} else {
    plan 'no_plan';
}

master_on();
workers(2);
worker_connections(1024);

sub burst {
    my ($n) = @_;

    return "    location = /burst {\n"
           . ("        mirror /m;\n" x $n)
           . "        proxy_pass http://127.0.0.1:\$TEST_NGINX_STANDIN_PORT/otp/none;\n"
           . "        proxy_pass_request_body off;\n"
           . "        proxy_set_header Content-Length \"\";\n"
           . "        proxy_set_header X-Standin-Fault \"delay=1.5; status=404\";\n"
           . "    }\n"
           . "    location = /m {\n"
           . "        internal;\n"
           . "        proxy_pass http://127.0.0.1:\$TEST_NGINX_SERVER_PORT/auth/send-otp;\n"
           . "    }\n";
}

our $Counts = <<'_EOC_';
smotp_requests_total{endpoint="send",result="sent"} 40
smotp_api_calls_total{endpoint="send",outcome="2xx"} 40
smotp_api_duration_seconds_count{endpoint="send"} 40
_EOC_

no_shuffle();
no_long_string();
run_tests();

__DATA__

=== TEST 1: 40 sends at once, from both workers: every /metrics, whichever worker answers it, counts them all
--- config eval
::burst(40) . <<'_EOC_';
    location = /auth/send-otp { smotp_send; }
    location = /metrics { smotp_metrics; }
_EOC_
--- request eval
["POST /burst\n{\"phoneNumber\":\"+919800002331\"}",
 "GET /metrics", "GET /metrics", "GET /metrics", "GET /metrics"]
--- more_headers
Content-Type: application/json
--- timeout: 5
--- error_code eval
[404, 200, 200, 200, 200]
--- response_body_filters eval
[[], [PromCheck::filter()], [PromCheck::filter()], [PromCheck::filter()],
 [PromCheck::filter()]]
--- response_body eval
[qr/"injected 404"/, $::Counts, $::Counts, $::Counts, $::Counts]
--- no_error_log
[alert]
[crit]



=== TEST 2: after nginx -s reload, the new workers go on from the same counts
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
GET /metrics
--- error_code: 200
--- response_body_filters eval
PromCheck::filter()
--- response_body eval
$::Counts
--- error_log
reconfiguring



=== TEST 3: and count on
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800002332\"}",
 "GET /metrics"]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 200]
--- response_body_filters eval
[[], [PromCheck::filter('sent')]]
--- response_body eval
[qr/requestId/, <<'_EOC_']
smotp_requests_total{endpoint="send",result="sent"} 41
_EOC_
