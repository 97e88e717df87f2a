# smotp_secret_file: the requestId a send answers is a handle sealing the
# API's request id and the phone; a verify or resend takes only a handle
# this server sealed and still alive.  t/inc/SmotpFront.pm writes the
# format again in Perl: nginx's handles are opened there, and handles
# made there (right, altered, expired, foreign) are sent to nginx.

use FindBin;
use lib "$FindBin::Bin/inc";

use Test::Nginx::Socket 'no_plan';
use SmotpTest;
use SmotpFront;
use JSON::PP ();

our $Secret = $SmotpFront::Secret;
our $Other = $SmotpFront::Other;

our $Http = <<"_EOC_";
    smotp_api_key sm_test_0123456789abcdef;
    smotp_secret_file ../html/secret;
    smotp_cookie smotp secure=off;
    smotp_test_number +919999999999 123456;
_EOC_

our $Files = ">>> secret\n# the signing secret\n$Secret\n";

our $TestId = SmotpTest::test_id('+919999999999');
our $Fake = '7e57a11d-0000-4000-8000-000000000026';

# a send's answer, opened: what a reader may check of it
sub opened {
    my ($body, $secret) = @_;

    my $j = JSON::PP::decode_json($body);
    my $h = $j->{requestId};
    my $t = SmotpFront::open_token($h, $secret) or return "not ours\n";
    my $raw = SmotpFront::unb64url($h);
    (my $digits = $t->{phone}) =~ s/^\+//;

    my $hidden = (index($h, $digits) < 0 && index($raw, $digits) < 0
                  && index($raw, $t->{phone}) < 0) ? 'hidden' : 'SHOWN';
    my $id = ($t->{id} =~ /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-/)
             ? 'uuid' : $t->{id};

    my $exp = 'no expiresAt';

    if (defined $j->{expiresAt}
        && $j->{expiresAt} =~ /^(\d+)-(\d+)-(\d+)T(\d+):(\d+):(\d+)/)
    {
        require Time::Local;
        my $at = Time::Local::timegm($6, $5, $4, $3, $2 - 1, $1);
        $exp = ($t->{expires} == $at) ? 'expiresAt'
               : "ttl " . ($t->{expires} - $t->{issued});
    } else {
        $exp = "ttl " . ($t->{expires} - $t->{issued});
    }

    my $age = abs($t->{issued} - time()) < 30 ? 'now' : 'not now';

    return "$t->{kind} $t->{phone} $id $hidden $exp $age\n";
}

no_shuffle();
no_long_string();
run_tests();

__DATA__

=== TEST 1: a send answers a handle: the phone and the API's id sealed, the phone not readable in it, until the API's expiresAt (sooner than a ttl of 1h)
--- http_config eval: $::Http
--- config
    location = /auth/send-otp { smotp_send; smotp_handle_ttl 1h; }
--- user_files eval: $::Files
--- request
POST /auth/send-otp
{"phoneNumber":"+919800002601"}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_body_filters eval
\&::opened
--- response_body
h +919800002601 uuid hidden expiresAt now
--- no_error_log
[error]



=== TEST 2: the handle lives smotp_handle_ttl when that is sooner than the API's expiresAt
--- http_config eval: $::Http
--- config
    location = /auth/send-otp { smotp_send; smotp_handle_ttl 2m; }
--- user_files eval: $::Files
--- request
POST /auth/send-otp
{"phoneNumber":"+919800002602"}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_body_filters eval
\&::opened
--- response_body
h +919800002602 uuid hidden ttl 120 now



=== TEST 3: a verify of a handle sealed in Perl: the API's id reaches the API and the logs, the answer names the phone masked, the cookie is set
--- http_config eval: $::Http
--- config
    location = /auth/verify-otp { smotp_verify; }
--- user_files eval: $::Files
--- request
POST /auth/verify-otp
{"requestId":"{{handle:+919800002601}}","otpCode":"{{inbox:+919800002601:code}}"}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_headers_like
Set-Cookie: ^smotp=[A-Za-z0-9_-]{100,}; Max-Age=2592000; Path=/; HttpOnly; SameSite=Lax$
--- response_body chomp
{"verified":true,"phone":"+91******2601"}
--- error_log
smotp verify: request {{inbox:+919800002601:requestId}} verified



=== TEST 4: a wrong code: the API's answer, no cookie, no phone
--- http_config eval: $::Http
--- config
    location = /auth/verify-otp { smotp_verify; }
--- user_files eval: $::Files
--- request
POST /auth/verify-otp
{"requestId":"{{handle:+919800002602}}","otpCode":"{{inbox:+919800002602:wrong_code}}"}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_headers
Set-Cookie:
--- response_body_like chomp
^\{"verified":false,"attemptsLeft":\d+\}$



=== TEST 5: every byte of a handle altered, the handle cut short, a handle expired, of another secret, of another kind, of another version or key id (signed right), a bare API id: each refused alike, and none reaches the API
--- http_config eval: $::Http
--- config
    location = /auth/verify-otp { smotp_verify; }
    location = /stats {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/_test/stats?requestId=7e57a11d-0000-4000-8000-000000000026;
    }
--- user_files eval: $::Files
--- request eval
my $h = SmotpFront::handle('+919800002603', $::Fake);
my @bad = (SmotpFront::tampered($h),
           substr($h, 0, -1), substr($h, 0, 40), substr($h, 0, 94), $h . 'A',
           SmotpFront::handle('+919800002603', $::Fake, expires => time() - 1),
           SmotpFront::handle('+919800002603', $::Fake, secret => $::Other),
           SmotpFront::cookie('+919800002603'),
           SmotpFront::handle('+919800002603', $::Fake, version => 2),
           SmotpFront::handle('+919800002603', $::Fake, key_id => "\0\0\0\0"),
           SmotpFront::handle('919800002603', $::Fake),
           SmotpFront::handle('+919800002603', 'bad id!'),
           $::Fake, 'a' x 400);
[(map { "POST /auth/verify-otp\n{\"requestId\":\"$_\",\"otpCode\":\"123456\"}" } @bad),
 "GET /stats"]
--- more_headers eval
[("Content-Type: application/json") x 133, ""]
--- error_code eval
[(400) x 133, 200]
--- response_body eval
[('{"error":"requestId is not valid"}') x 133, '{"requests":0}']
--- no_error_log
[error]



=== TEST 6: rotation: with a new first line, a handle of the old secret (now the second line) is still taken
--- http_config eval: $::Http
--- config
    location = /auth/verify-otp { smotp_verify; }
--- user_files eval
">>> secret\n$::Other\n$::Secret\n"
--- request eval
"POST /auth/verify-otp\n{\"requestId\":\""
. SmotpFront::handle('+919999999999', $::TestId)
. "\",\"otpCode\":\"123456\"}"
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_body chomp
{"verified":true,"phone":"+91******9999"}



=== TEST 7: a test number's send answers a handle of the number and its made-up id, and its verify takes exactly the code
--- http_config eval: $::Http
--- config
    location = /auth/send-otp { smotp_send; }
--- user_files eval: $::Files
--- request
POST /auth/send-otp
{"phoneNumber":"+919999999999"}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_body_filters eval
sub {
    my $t = SmotpFront::open_token(JSON::PP::decode_json($_[0])->{requestId});
    return $t ? "$t->{phone} " . ($t->{id} eq $::TestId ? 'id' : $t->{id})
                . " ttl " . ($t->{expires} - $t->{issued}) . "\n"
              : "not ours\n";
}
--- response_body
+919999999999 id ttl 600



=== TEST 8: a test number's verify with a wrong code: not verified, no cookie
--- http_config eval: $::Http
--- config
    location = /auth/verify-otp { smotp_verify; }
--- user_files eval: $::Files
--- request eval
"POST /auth/verify-otp\n{\"requestId\":\""
. SmotpFront::handle('+919999999999', $::TestId)
. "\",\"otpCode\":\"654321\"}"
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_headers
Set-Cookie:
--- response_body chomp
{"verified":false}



=== TEST 9: a resend takes a handle and answers a new one for the same request and phone
--- http_config eval: $::Http
--- config
    location = /auth/resend-otp { smotp_resend; }
--- user_files eval: $::Files
--- request
POST /auth/resend-otp
{"requestId":"{{handle:+919800002602}}"}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_body_filters eval
sub {
    my $t = SmotpFront::open_token(JSON::PP::decode_json($_[0])->{requestId});
    return $t ? "$t->{kind} $t->{phone} $t->{id}\n" : "not ours\n";
}
--- response_body
h +919800002602 {{inbox:+919800002602:requestId}}



=== TEST 10: a resend of a handle not valid is refused before any call
--- http_config eval: $::Http
--- config
    location = /auth/resend-otp { smotp_resend; }
--- user_files eval: $::Files
--- request eval
"POST /auth/resend-otp\n{\"requestId\":\""
. SmotpFront::handle('+919800002602', $::Fake, secret => $::Other) . "\"}"
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body chomp
{"error":"requestId is not valid"}
--- error_log
smotp resend: requestId is not a valid handle



=== TEST 11: two servers reading one secret file: a handle one sealed is verified by the other
--- http_config eval
$::Http . <<"_EOC_";
    server {
        listen 127.0.0.1:\$TEST_NGINX_RAND_PORT_1;
        smotp_secret_file ../html/secret;
        location = /auth/send-otp { smotp_send; }
        location /_smotp_api/ {
            internal;
            proxy_pass http://127.0.0.1:\$TEST_NGINX_STANDIN_PORT/;
        }
    }
_EOC_
--- config
    location = /auth/verify-otp { smotp_verify; }
--- user_files eval: $::Files
--- request eval
"POST /auth/verify-otp\n{\"requestId\":\""
. SmotpFront::handle('+919999999999', $::TestId)
. "\",\"otpCode\":\"123456\"}"
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_body chomp
{"verified":true,"phone":"+91******9999"}
