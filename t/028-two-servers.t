# Two nginx processes with one secret file and nothing else in common (no
# shared memory, no cache, separate workers): a send answered by one is
# verified by the other, and the cookie the other sets opens the first
# one's gate.  A third, with a secret of its own, refuses both.
#
# Test::Nginx runs one nginx a block, and a block's requests cannot carry
# the handle one answer gives into the next request, so this file starts
# its own three, plain Test::More as t/inc/sections.t is, with the binary,
# module and stand-in of the run (TEST_NGINX_BINARY,
# TEST_NGINX_LOAD_MODULES, TEST_NGINX_STANDIN_PORT), under valgrind when
# TEST_NGINX_USE_VALGRIND says so.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/inc";

use File::Temp ();
use HTTP::Tiny;
use JSON::PP ();
use SmotpProcs qw(start_nginx stop post get_json free_port write_file
                  read_file $Wait);
use Test::More;

my $module = $ENV{TEST_NGINX_LOAD_MODULES}
    or plan skip_all => 'TEST_NGINX_LOAD_MODULES is not set';
my $standin = $ENV{TEST_NGINX_STANDIN_PORT}
    or plan skip_all => 'TEST_NGINX_STANDIN_PORT is not set';


my $tmp = File::Temp->newdir('smotp-two-XXXXXX', TMPDIR => 1);

my $phone = '+919800002801';
my $http = HTTP::Tiny->new(timeout => $Wait, max_redirect => 0);

write_file("$tmp/secret", "00112233445566778899aabbccddeeff"
                          . "00112233445566778899aabbccddeeff\n");
write_file("$tmp/other", "ffeeddccbbaa99887766554433221100"
                         . "ffeeddccbbaa99887766554433221100\n");

my %nginx;
END { stop($_) for values %nginx }

$nginx{a} = start('a', "$tmp/secret");
$nginx{b} = start('b', "$tmp/secret");
$nginx{c} = start('c', "$tmp/other");

my $url_a = "http://127.0.0.1:$nginx{a}{port}";
my $url_b = "http://127.0.0.1:$nginx{b}{port}";
my $url_c = "http://127.0.0.1:$nginx{c}{port}";

# a send on a

my $r = post("$url_a/auth/send-otp", { phoneNumber => $phone });
is($r->{status}, 200, 'a: the send is answered');

my $handle = eval { JSON::PP::decode_json($r->{content})->{requestId} };
like($handle // '', qr/^[A-Za-z0-9_-]{60,}$/, 'a: answers a handle');

my $sms = get_json("http://127.0.0.1:$standin/_test/inbox?phone=%2B"
                   . substr($phone, 1));
unlike($handle // '', qr/\Q$sms->{requestId}\E/,
       "a: the API's id is not readable in the handle");
unlike($handle // '', qr/9800002801/, 'a: nor the phone');

# c, another secret, knows neither the handle nor its phone

$r = post("$url_c/auth/verify-otp", { requestId => $handle,
                                  otpCode => $sms->{code} });
is($r->{status}, 400, 'c: refuses the handle a sealed');
is($r->{content}, '{"error":"requestId is not valid"}', 'c: says why');

# b verifies what a sent: a wrong code first, then the code

my $wrong = $sms->{code} eq '000000' ? '111111' : '000000';

$r = post("$url_b/auth/verify-otp", { requestId => $handle,
                                  otpCode => $wrong });
is($r->{status}, 200, 'b: a wrong code is answered');
like($r->{content}, qr/^\{"verified":false/, 'b: not verified');
ok(!$r->{headers}{'set-cookie'}, 'b: and no cookie');

$r = post("$url_b/auth/verify-otp", { requestId => $handle,
                                  otpCode => $sms->{code} });
is($r->{status}, 200, 'b: the code is answered');
is($r->{content}, '{"verified":true,"phone":"+91******2801"}',
   'b: verified, the phone masked, the one a was asked for');

my ($cookie) = ($r->{headers}{'set-cookie'} // '') =~ /^(smotp=[^;]+)/;
ok($cookie, 'b: sets the cookie');

# the cookie b set opens a's gate, and a's app gets the phone

$r = $http->get("$url_a/app/", { headers => { Cookie => $cookie // '' } });
is($r->{status}, 200, "a: b's cookie passes the gate");
is($r->{content}, "phone=$phone\n", 'a: the app gets the phone');

$r = $http->get("$url_a/app/");
is($r->{status}, 401, 'a: no cookie, no entry');

$r = $http->get("$url_c/app/", { headers => { Cookie => $cookie // '' } });
is($r->{status}, 401, "c: b's cookie does not pass another secret's gate");
is($r->{content}, '{"error":"phone verification required"}', 'c: says why');

# each stopped and its log read: no alert, no crash, no code

for my $n (sort keys %nginx) {
    stop($nginx{$n});
    my $log = read_file("$nginx{$n}{dir}/error.log");
    unlike($log, qr/\[(alert|crit|emerg)\]|exited on signal/,
           "$n: a clean log");
    unlike($log, qr/\b\Q$sms->{code}\E\b/, "$n: no code in the log");
}

done_testing();


sub start {
    my ($name, $secret) = @_;

    my $dir = "$tmp/$name";
    mkdir $dir or die "mkdir $dir: $!\n";

    my $port = free_port();

    write_file("$dir/nginx.conf", <<"_EOC_");
load_module $module;
daemon off;
master_process on;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log info;

events { worker_connections 64; }

http {
    access_log off;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;

    smotp_api_key sm_test_0123456789abcdef;
    smotp_secret_file $secret;
    smotp_cookie smotp secure=off;

    server {
        listen 127.0.0.1:$port;

        location /_smotp_api/ {
            internal;
            proxy_pass http://127.0.0.1:$standin/;
        }

        location = /auth/send-otp   { smotp_send; }
        location = /auth/verify-otp { smotp_verify; }

        location /app/ {
            smotp_require on;
            proxy_set_header X-Verified-Phone \$smotp_verified_phone;
            proxy_pass http://127.0.0.1:$port/_echo/;
        }

        location /_echo/ {
            allow 127.0.0.1;
            deny all;
            return 200 "phone=\$http_x_verified_phone\\n";
        }
    }
}
_EOC_

    return start_nginx($dir, $port);
}


