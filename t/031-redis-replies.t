# What smotp_redis_pass makes of replies that a real Redis would not give
# the module's script: a fake Redis (a Perl server on a free port) answers
# each connection with the next reply of a list, and each send, counted in
# a zone with redis= and on_error=deny, shows how it was taken: a reply as
# the script gives it lets the send through (whole, in two pieces, or with
# bytes after it), anything else is refused with 503 JSON and said in the
# error log, and never crashes a worker.
#
# Plain Test::More, as t/029-fleet-redis.t, with the binary, module and
# stand-in of the run, under valgrind when TEST_NGINX_USE_VALGRIND says so.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/inc";

use File::Temp ();
use IO::Socket::INET;
use POSIX ();
use SmotpProcs qw(start_nginx stop post free_port write_file read_file);
use Test::More;

my $module = $ENV{TEST_NGINX_LOAD_MODULES}
    or plan skip_all => 'TEST_NGINX_LOAD_MODULES is not set';
my $standin = $ENV{TEST_NGINX_STANDIN_PORT}
    or plan skip_all => 'TEST_NGINX_STANDIN_PORT is not set';

my $tmp = File::Temp->newdir('smotp-replies-XXXXXX', TMPDIR => 1);

write_file("$tmp/secret", "00112233445566778899aabbccddeeff"
                          . "00112233445566778899aabbccddeeff\n");

# [reply, what the send gets, what the log says]: a reply is a string, or
# a list of pieces sent 0.2 s apart
my $ok = "*3\r\n:0\r\n:0\r\n:1796000000000\r\n";
my @cases = (
    [$ok, 200, undef, 'a reply as the script gives it'],
    [["*3\r\n:0\r\n:0", "\r\n:1796000000000\r\n"], 200,
     undef, 'the same in two pieces'],
    [$ok . "+MORE\r\n", 200, undef, 'the same with bytes after it'],
    ["-ERR something broke\r\n", 503, qr/\(ERR something broke\)/,
     'an error reply'],
    [":5\r\n", 503, qr/\(the script's answer is not as expected\)/,
     'an integer'],
    ["\$3\r\nabc\r\n", 503, qr/the script's answer is not as expected/,
     'a bulk string'],
    ["\$-1\r\n", 503, qr/the script's answer is not as expected/, 'a nil'],
    ["+OK\r\n", 503, qr/the script's answer is not as expected/,
     'a simple string'],
    ["*2\r\n:0\r\n:0\r\n", 503,
     qr/the script's answer is not as expected/, 'no mark for the count'],
    ["*3\r\n:7\r\n:0\r\n:0\r\n", 503,
     qr/the script's answer is not as expected/, 'a refusal of no count'],
    ["*2\r\n\$1\r\na\r\n\$1\r\nb\r\n", 503, qr/not RESP as expected/,
     'an array of strings'],
    ["!what\r\n", 503, qr/not RESP as expected/, 'an unknown type'],
    [":12ab\r\n", 503, qr/not RESP as expected/, 'an integer that is not'],
    ["*1\r\n:x\r\n", 503, qr/not RESP as expected/,
     'an array of a bad integer'],
    ["\$99999\r\n", 503, qr/not RESP as expected/, 'a bulk too long'],
    ["\$4\r\nabcdXY", 503, qr/not RESP as expected/,
     'a bulk without its CRLF'],
    ["*99\r\n", 503, qr/not RESP as expected/, 'an array too long'],
    ["\n", 503, qr/not RESP as expected/, 'a bare LF'],
    [":1\n", 503, qr/not RESP as expected/, 'an LF without its CR'],
    ["x" x 300, 503, qr/not RESP as expected/, 'a line with no end'],
    [["\$5\r\nab", "cde\r\n"], 503, qr/the script's answer is not as expected/,
     'a bulk in two pieces'],
    [["*3\r\n:0\r\n", ":0\r\n:1\r\n"], 200, undef,
     'an array in two pieces'],
    [["*3\r\n:0\r\n:0\r\n:17960", "00000000\r\n"], 200, undef,
     'an array cut in a number'],
    ["*3\r\n:0\r\n:0\r\n:1234567890123456789\r\n", 503,
     qr/not RESP as expected/, 'a number of 19 digits'],
    ["*3\r\n:0\r\n:-1\r\n:1\r\n", 503, qr/not RESP as expected/,
     'a negative number'],
    ["*3\r\n:0\r\n:\r\n:1\r\n", 503, qr/not RESP as expected/,
     'a number with no digit'],
);

# the fake's socket listening before it forks: no other process of the
# run can take its port between a free_port() and its bind
my $listener = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                     Listen => 16, ReuseAddr => 1)
    or die "fake redis: $!\n";
my $fake_port = $listener->sockport;
my $fake = fork() // die "fork: $!\n";
if ($fake == 0) {
    fake_redis($listener, map { $_->[0] } @cases);
    POSIX::_exit(0);
}
close $listener;

my $nginx = start();
my $url = "http://127.0.0.1:$nginx->{port}";

my $i = 0;
for my $c (@cases) {
    my ($reply, $status, $log, $name) = @$c;
    my $before = length(read_file("$nginx->{dir}/error.log"));

    my $r = post("$url/auth/send-otp",
                 { phoneNumber => sprintf('+9198000031%02d', $i++) });
    is($r->{status}, $status, "$name: $status");
    if ($status != 200) {
        is($r->{content}, '{"error":"OTP service unavailable"}',
           "$name: JSON");
    }
    if ($log) {
        like(substr(read_file("$nginx->{dir}/error.log"), $before), $log,
             "$name: said");
    }
}

# a redis= that names a location of something else

my $r = post("$url/other/send-otp", { phoneNumber => '+919800003199' });
is($r->{status}, 503, 'redis= naming a location that is not '
                      . 'smotp_redis_pass: 503');
like(read_file("$nginx->{dir}/error.log"),
     qr/smotp_zone "other": Redis failed at "\/_other" \(not a smotp_redis_pass location\)/,
     'and the log says what is wrong');

stop($nginx);
kill 'TERM', $fake;
waitpid($fake, 0);

my $all = read_file("$nginx->{dir}/error.log");
unlike($all, qr/\[(alert|crit|emerg)\]|exited on signal/, 'a clean log');

done_testing();


# each connection gets the next reply, then is closed when the peer is
sub fake_redis {
    my ($server, @replies) = @_;

    while (my $c = $server->accept) {
        my $reply = shift(@replies) // "-ERR no more replies\r\n";
        my $buf = '';
        # the command is a whole RESP array: wait for its last CRLF
        while ($buf !~ /\r\n$/ || $buf !~ /^\*\d+/) {
            my $n = sysread($c, $buf, 4096, length $buf);
            last unless $n;
            select(undef, undef, undef, 0.01);
        }
        for my $piece (ref $reply ? @$reply : ($reply)) {
            syswrite($c, $piece);
            select(undef, undef, undef, 0.2) if ref $reply;
        }
        # nginx closes or keeps it: this one is done with it
        select(undef, undef, undef, 0.05);
        close $c;
    }
}


sub start {
    my $dir = "$tmp/nginx";
    mkdir $dir or die "mkdir $dir: $!\n";

    my $port = free_port();

    write_file("$dir/nginx.conf", <<"_EOC_");
load_module $module;
daemon off;
master_process off;
pid $dir/nginx.pid;
error_log $dir/error.log info;

events { worker_connections 64; }

http {
    access_log off;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;

    smotp_api_key sm_test_0123456789abcdef;
    smotp_secret_file $tmp/secret;
    smotp_retries 0;

    smotp_zone fleet:1m redis=/_smotp_redis on_error=deny;
    smotp_zone other:1m redis=/_other on_error=deny;

    server {
        listen 127.0.0.1:$port;

        location /_smotp_api/ {
            internal;
            proxy_pass http://127.0.0.1:$standin/;
        }

        location = /_smotp_redis {
            internal;
            smotp_redis_pass 127.0.0.1:$fake_port;
            smotp_redis_timeout 3s;
        }

        location = /auth/send-otp {
            smotp_send;
            smotp_limit zone=fleet key=all rate=1000/m;
        }

        location = /_other {
            internal;
            return 200 "+OK\r\n";
        }

        location = /other/send-otp {
            smotp_send;
            smotp_limit zone=other key=all rate=1000/m;
        }
    }
}
_EOC_

    return start_nginx($dir, $port);
}


