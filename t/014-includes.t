# The include files of conf/, as shipped: the API location that asks the
# resolver (nginx before 1.27.3) lets nginx start and serve everything
# else while the API's name does not resolve, and reaches the API once it
# does; the keepalive location works with an upstream; the upstream with
# "resolve" (nginx 1.27.3 or later) too; an X-Accel-Redirect or an
# inherited proxy_intercept_errors cannot take the API's answer away.
#
# The files are read from conf/, their comments dropped, with three
# changes for the test: the API's name becomes api.test (a name of the
# stand-in's certificate) with the stand-in's port, the system CA bundle
# the test CA.  Names are resolved by a DNS stub this script runs on
# 127.0.0.1 (a free UDP port, in $TEST_NGINX_DNS_PORT): it knows api.test
# (127.0.0.1) and answers "no such name" for every other one.

use FindBin;
use lib "$FindBin::Bin/inc";

use Test::Nginx::Socket 'no_plan';
use SmotpTest;

use IO::Select;
use IO::Socket::INET;
use POSIX ();

my %DnsNames = ('api.test' => '127.0.0.1');


sub dns_answer {
    my ($query) = @_;

    return undef if length $query < 17;

    my ($id, $flags, $qdcount) = unpack 'n n n', $query;

    return undef if $flags & 0x8000 || $qdcount != 1;

    my ($pos, @labels) = (12);

    while ($pos < length $query) {
        my $len = ord substr($query, $pos++, 1);
        last if $len == 0;
        return undef if $len > 63;
        push @labels, lc substr($query, $pos, $len);
        $pos += $len;
    }

    return undef if $pos + 4 > length $query;

    my $type = unpack 'n', substr($query, $pos, 2);
    my $question = substr($query, 12, $pos + 4 - 12);
    my $addr = $DnsNames{join '.', @labels};

    # A: the address; AAAA of a known name: none; any other name: NXDOMAIN
    my $answer = '';

    if (defined $addr && $type == 1) {
        $answer = pack('n n n N n C4', 0xc00c, 1, 1, 60, 4, split /\./, $addr);
    }

    return pack('n n n n n n', $id, 0x8080 | ($flags & 0x0100)
                                   | (defined $addr ? 0 : 3),
                1, length $answer ? 1 : 0, 0, 0)
           . $question . $answer;
}


my $dns = IO::Socket::INET->new(Proto => 'udp', LocalAddr => '127.0.0.1',
                                LocalPort => 0)
    or die "DNS stub: $!\n";

$ENV{TEST_NGINX_DNS_PORT} = $dns->sockport;

my $parent = $$;
my $dns_pid = fork;

die "DNS stub: fork: $!\n" unless defined $dns_pid;

if ($dns_pid == 0) {
    my $sel = IO::Select->new($dns);

    while (getppid() == $parent) {
        next unless $sel->can_read(1);
        my $from = $dns->recv(my $query, 512) or next;
        my $reply = dns_answer($query);
        $dns->send($reply, 0, $from) if defined $reply;
    }

    POSIX::_exit(0);
}

close $dns;

END {
    local $?;

    if ($dns_pid) {
        kill 'TERM', $dns_pid;
        waitpid $dns_pid, 0;
    }
}


# a file of conf/, ready for a test's config: $server, when given, stands
# for api.startmessaging.com:443, and api.test for the API's name
sub main::shipped {
    my ($file, $server) = @_;

    open my $fh, '<', "$FindBin::Bin/../conf/$file" or die "$file: $!\n";
    my $text = do { local $/; <$fh> };
    close $fh;

    $text =~ s/^[ \t]*#.*\n//mg;
    $text =~ s{/etc/ssl/certs/ca-certificates\.crt}
              {\$TEST_NGINX_CERT_DIR/ca.crt}g;

    if (defined $server) {
        $text =~ s/api\.startmessaging\.com:443/$server/g;
        $text =~ s/api\.startmessaging\.com/api.test/g;
    }

    return $text;
}


no_shuffle();
no_long_string();
no_root_location();
run_tests();

__DATA__

=== TEST 1: the API's name does not resolve: nginx starts and serves the rest of the site
--- http_config
    smotp_api_key sm_test_0123456789abcdef;
    resolver 127.0.0.1:$TEST_NGINX_DNS_PORT;
    resolver_timeout 2s;
--- config eval
main::shipped("api_location_resolver.conf") . q{
    location = /auth/send-otp { smotp_send; }
    location / { return 200 "the rest of the site\n"; }
}
--- request
GET /
--- error_code: 200
--- response_body
the rest of the site
--- no_error_log
[error]
[emerg]



=== TEST 2: ... while a send answers 502 in JSON, the name logged
--- http_config
    smotp_api_key sm_test_0123456789abcdef;
    resolver 127.0.0.1:$TEST_NGINX_DNS_PORT;
    resolver_timeout 2s;
--- config eval
main::shipped("api_location_resolver.conf") . q{
    location = /auth/send-otp { smotp_send; }
    location / { return 200 "the rest of the site\n"; }
}
--- request
POST /auth/send-otp
{"phoneNumber":"+919800001401"}
--- more_headers
Content-Type: application/json
--- error_code: 502
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"OTP service unreachable"}
--- error_log
api.startmessaging.com could not be resolved (3: Host not found)
the API call failed



=== TEST 3: a name that resolves: the send reaches the stand-in over verified TLS, as /otp/send
--- http_config
    smotp_api_key sm_test_0123456789abcdef;
    resolver 127.0.0.1:$TEST_NGINX_DNS_PORT;
    resolver_timeout 2s;
--- config eval
main::shipped("api_location_resolver.conf",
              'api.test:$TEST_NGINX_STANDIN_TLS_PORT') . q{
    location = /auth/send-otp   { smotp_send; }
    location = /auth/verify-otp { smotp_verify; }
    location = /last {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/last?phone=%2B919800001402;
    }
}
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800001402\"}", "GET /last"]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/^\{"requestId":"[0-9a-f-]{36}",/,
 qr/^\{"method":\s*"POST",\s*"path":\s*"\/otp\/send",\s*"headerNames":\s*\["accept",\s*"connection",\s*"content-length",\s*"content-type",\s*"host",\s*"x-api-key"\],\s*"apiKeyValid":\s*true,/]
--- no_error_log
[error]
[warn]



=== TEST 4: ... and the code the stand-in sent verifies
--- http_config
    smotp_api_key sm_test_0123456789abcdef;
    resolver 127.0.0.1:$TEST_NGINX_DNS_PORT;
    resolver_timeout 2s;
--- config eval
main::shipped("api_location_resolver.conf",
              'api.test:$TEST_NGINX_STANDIN_TLS_PORT') . q{
    location = /auth/send-otp   { smotp_send; }
    location = /auth/verify-otp { smotp_verify; }
    location = /last {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/last?phone=%2B919800001402;
    }
}
--- request
POST /auth/verify-otp
{"requestId":"{{inbox:+919800001402:requestId}}","otpCode":"{{inbox:+919800001402:code}}"}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_body chomp
{"verified":true}
--- no_error_log
[error]



=== TEST 5: the keepalive location, with an upstream named smotp_api
--- http_config
    smotp_api_key sm_test_0123456789abcdef;
    upstream smotp_api {
        server 127.0.0.1:$TEST_NGINX_STANDIN_TLS_PORT;
        keepalive 4;
    }
--- config eval
main::shipped("api_location.conf", "api.test") . q{
    location = /auth/send-otp { smotp_send; }
}
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800001403\"}",
 "POST /auth/send-otp\n{\"phoneNumber\":\"+919800001404\"}"]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/^\{"requestId":"[0-9a-f-]{36}",/, qr/^\{"requestId":"[0-9a-f-]{36}",/]
--- no_error_log
[error]



=== TEST 6: the upstream that resolves at run time (nginx 1.27.3 or later)
--- skip_nginx: 3: < 1.27.3
--- http_config eval
q{
    smotp_api_key sm_test_0123456789abcdef;
    resolver 127.0.0.1:$TEST_NGINX_DNS_PORT;
    resolver_timeout 2s;
} . main::shipped("api.conf", 'api.test:$TEST_NGINX_STANDIN_TLS_PORT')
--- config eval
main::shipped("api_location.conf", "api.test") . q{
    location = /auth/send-otp { smotp_send; }
}
--- request
POST /auth/send-otp
{"phoneNumber":"+919800001405"}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_body_like: ^\{"requestId":"[0-9a-f-]{36}",
--- no_error_log
[error]



=== TEST 7: X-Accel-Redirect from the API, an inherited proxy_intercept_errors and error_page: no effect
The "API" is a server of this nginx, over TLS with the stand-in's
certificate: its send answer carries an X-Accel-Redirect, its verify
answer is a 404 that the server's error_page would otherwise take.
--- http_config
    smotp_api_key sm_test_0123456789abcdef;
    resolver 127.0.0.1:$TEST_NGINX_DNS_PORT;
    resolver_timeout 2s;
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1 ssl;
        ssl_certificate $TEST_NGINX_CERT_DIR/server.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/server.key;
        default_type application/json;
        location = /otp/send {
            add_header X-Accel-Redirect /elsewhere;
            return 201 '{"success":true,"data":{"requestId":"0b6c4f2e-8d3a-4c1b-9e7f-5a2d3c4b6e8f","expiresAt":"2026-01-01T00:00:00.000Z","attemptsLeft":3}}';
        }
        location = /otp/verify {
            return 404 '{"success":false,"message":"no such OTP request"}';
        }
    }
--- config eval
q{
    proxy_intercept_errors on;
    error_page 404 502 /elsewhere;
    location = /elsewhere { return 200 "not the API's answer\n"; }
} . main::shipped("api_location_resolver.conf",
                  'api.test:$TEST_NGINX_RAND_PORT_1') . q{
    location = /auth/send-otp   { smotp_send; }
    location = /auth/verify-otp { smotp_verify; }
}
--- request eval
["POST /auth/send-otp\n{\"phoneNumber\":\"+919800001406\"}",
 "POST /auth/verify-otp\n{\"requestId\":\"0b6c4f2e-8d3a-4c1b-9e7f-5a2d3c4b6e8f\",\"otpCode\":\"123456\"}"]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 404]
--- response_body eval
['{"requestId":"0b6c4f2e-8d3a-4c1b-9e7f-5a2d3c4b6e8f","expiresAt":"2026-01-01T00:00:00.000Z","attemptsLeft":3}',
 '{"error":"no such OTP request"}']
--- no_error_log
[error]
