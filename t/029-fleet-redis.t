# Limits across a fleet (smotp_zone ... redis=): two nginx processes with
# one secret file and one real Redis hold one quota exactly, a count given
# back on an API failure is given back in Redis, the keys carry no number
# and expire, a resend counts as a send across both, a verify's wrong
# codes add up across both, Redis forgetting the script is no matter, a
# wrong password and a slow Redis are said, and with Redis stopped each
# on_error policy answers as it says (its switch logged once), counting
# resuming in Redis when it is back.
#
# Plain Test::More, as t/028-two-servers.t: it starts its own redis-server
# (Debian's redis-server package) on a free port, with a password, and two
# nginx, with the binary, module and stand-in of the run, under valgrind
# when TEST_NGINX_USE_VALGRIND says so.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/inc";

use File::Temp ();
use IO::Socket::INET;
use JSON::PP ();
use POSIX ();
use SmotpProcs qw(start_nginx stop wait_port post get_json free_port
                  write_file read_file $Wait);
use Test::More;
use Time::HiRes ();

my $binary = $ENV{TEST_NGINX_BINARY} || 'nginx';
my $module = $ENV{TEST_NGINX_LOAD_MODULES}
    or plan skip_all => 'TEST_NGINX_LOAD_MODULES is not set';
my $standin = $ENV{TEST_NGINX_STANDIN_PORT}
    or plan skip_all => 'TEST_NGINX_STANDIN_PORT is not set';

my $redis_server = find_program('redis-server')
    or plan skip_all => 'redis-server is not installed (Debian: '
                        . 'apt-get install redis-server)';

my $tmp = File::Temp->newdir('smotp-fleet-XXXXXX', TMPDIR => 1);

my $password = 'fleet-pw-' . int(rand(1e9));

write_file("$tmp/secret", "00112233445566778899aabbccddeeff"
                          . "00112233445566778899aabbccddeeff\n");
write_file("$tmp/redis.pass", "$password\n");
write_file("$tmp/wrong.pass", "default not-the-password\n");

my %redis = (port => free_port());
my %nginx;

END {
    stop($_) for values %nginx;
    stop_redis();
}

start_redis();

$nginx{a} = start('a');
$nginx{b} = start('b');

my @url = map { "http://127.0.0.1:$nginx{$_}{port}" } qw(a b);

# 50 sends at once to one phone, split across both: exactly 3 get through

my $phone = '+919800002901';
my $before = stats($phone)->{requests};
my @status = parallel(map { [$url[$_ % 2] . '/auth/send-otp',
                             { phoneNumber => $phone }] } 0 .. 49);

is(scalar(grep { $_ == 200 } @status), 3, 'one phone: 3 of 50 sent');
is(scalar(grep { $_ == 429 } @status), 47, 'the 47 others refused');
is(stats($phone)->{requests} - $before, 3, 'the API saw 3');

# a 5/d budget across both, 20 phones at once: exactly 5

@status = parallel(map { [$url[$_ % 2] . '/budget/send-otp',
                          { phoneNumber => sprintf('+9198000030%02d', $_) }] }
                   0 .. 19);

is(scalar(grep { $_ == 200 } @status), 5, 'the budget: 5 of 20 sent');
is(scalar(grep { $_ == 429 } @status), 15, 'the 15 others refused');

# the keys: the zone's prefix, a hash, a TTL, no number

my @keys = split /\n/, redis('KEYS', '*');
ok(@keys >= 2, 'Redis holds the counts');
is(scalar(grep { !/^smotp:(otp|budget):[0-9a-f]{16}$/ } @keys), 0,
   'each key is the zone\'s prefix and a hash');

my $bad = 0;
for my $k (@keys) {
    my $ttl = redis('PTTL', $k);
    $bad++ unless $ttl =~ /^\d+$/ && $ttl > 0;
    $bad++ if redis('GET', $k) =~ /98000029/;
}
is($bad, 0, 'each key expires, and no value holds a number');

# an API failure gives its count back, in Redis: 3 failures, then 3 sends

my $p3 = '+919800002903';
for (1 .. 3) {
    my $r = post("$url[$_ % 2]/auth/send-otp?fault=500",
                 { phoneNumber => $p3 });
    is($r->{status}, 502, "a failed send $_ is 502");
}

@status = map { post("$url[$_ % 2]/auth/send-otp",
                     { phoneNumber => $p3 })->{status} } 1 .. 4;
is("@status", '200 200 200 429', 'the failures were given back');

# one connection a worker, kept: 10 sends one after another open none

my ($conns) = redis('INFO', 'stats') =~ /total_connections_received:(\d+)/;
post("$url[0]/auth/send-otp", { phoneNumber => "+9198000029$_" })
    for 20 .. 29;
my ($after) = redis('INFO', 'stats') =~ /total_connections_received:(\d+)/;
ok($after - $conns <= 3, 'keepalive: '. ($after - $conns - 1)
   . ' new connections for 10 sends');

# a verify's wrong codes add up across both servers

my $p4 = '+919800002904';
my $r = post("$url[0]/auth/send-otp", { phoneNumber => $p4 });
my $handle = eval { JSON::PP::decode_json($r->{content})->{requestId} } // '';
my $sms = get_json("http://127.0.0.1:$standin/_test/inbox?phone=%2B"
                   . substr($p4, 1));
my $wrong = $sms->{code} eq '000000' ? '111111' : '000000';

is(post("$url[0]/auth/verify-otp", { requestId => $handle,
                                    otpCode => $wrong })->{status},
   200, 'a wrong code on a');
is(post("$url[1]/auth/verify-otp", { requestId => $handle,
                                    otpCode => $wrong })->{status},
   200, 'a wrong code on b');
$r = post("$url[0]/auth/verify-otp", { requestId => $handle,
                                      otpCode => $sms->{code} });
is($r->{status}, 429, 'the cap of 2 holds across both');
is($r->{content}, '{"error":"too many wrong codes: send a new one"}',
   'and says why');

# a right code deletes its request's tally in Redis

my $p6 = '+919800002906';
$r = post("$url[1]/auth/send-otp", { phoneNumber => $p6 });
my $h6 = eval { JSON::PP::decode_json($r->{content})->{requestId} } // '';
my $sms6 = get_json("http://127.0.0.1:$standin/_test/inbox?phone=%2B"
                    . substr($p6, 1));
my $keys = nkeys('smotp:otp:*');
post("$url[1]/auth/verify-otp", { requestId => $h6,
                                 otpCode => $sms6->{code} eq '000000'
                                            ? '111111' : '000000' });
my $with = nkeys('smotp:otp:*');
is($with, $keys + 1, 'a wrong code: its tally in Redis');
is(post("$url[0]/auth/verify-otp", { requestId => $h6,
                                    otpCode => $sms6->{code} })->{content},
   '{"verified":true,"phone":"+91******2906"}', 'the right code, on a');
Time::HiRes::sleep(0.3);
my $without = nkeys('smotp:otp:*');
is($without, $keys, 'and the tally is gone from Redis');

# shared memory beside Redis: a count Redis refused is given back there

my $m1 = '+919800002912';
@status = map { post("$url[0]/mixed/send-otp",
                     { phoneNumber => $m1 })->{status} } 1 .. 3;
is("@status", '200 429 429', 'mixed: Redis refuses the second and third');
redis('DEL', $_) for split /\n/, redis('KEYS', 'smotp:denyz:*');
is(post("$url[0]/mixed/send-otp", { phoneNumber => $m1 })->{status}, 200,
   'the shared memory gave back what Redis refused (2/10m let a 2nd by)');
is(post("$url[0]/mixed/send-otp", { phoneNumber => $m1 })->{status}, 429,
   'and holds its own count');

# a resend counts as a send to its phone, across both servers: the handle
# holds the phone, so no record of the send is needed

my $p7 = '+919800002915';
$r = post("$url[0]/auth/send-otp", { phoneNumber => $p7 });
my $h7 = eval { JSON::PP::decode_json($r->{content})->{requestId} } // '';
@status = map { post("$url[$_ % 2]/auth/resend-otp",
                     { requestId => $h7 })->{status} } 1 .. 3;
is("@status", '200 200 429', 'a send and two resends across both: the '
                             . 'third resend is the 4th of 3/10m');

# a call under way: the sends that come meanwhile wait for its answer and
# go together, a call for many; each counted, in turn (8 of 20 through).
# Redis paused for 300 ms holds the first call of each worker.

my ($calls) = redis('INFO', 'commandstats') =~ /cmdstat_evalsha:calls=(\d+)/;
redis('CLIENT', 'PAUSE', '300');
@status = parallel(map { [$url[0] . '/batch/send-otp',
                          { phoneNumber => sprintf('+9198000032%02d', $_) }] }
                   0 .. 19);
my ($calls_after) = redis('INFO', 'commandstats')
                    =~ /cmdstat_evalsha:calls=(\d+)/;

is(scalar(grep { $_ == 200 } @status), 8, 'batched: 8 of 20 sent');
is(scalar(grep { $_ == 429 } @status), 12, 'the 12 others refused');
ok($calls_after - $calls <= 6,
   'the 20 sends took ' . ($calls_after - $calls) . ' calls to Redis');

# visitors who leave while they wait (one worker, Redis paused for less
# than a call's timeout): the carrier of a call alone, the carrier of a
# call with another in it, who then waits for the next, and one queued
# for the next call; the one who stayed is answered, the worker goes on

$nginx{c} = start('c', 1);

redis('CLIENT', 'PAUSE', '700');
my $z = raw_send($nginx{c}{port}, '+919800002941');
Time::HiRes::sleep(0.1);
my $ca = raw_send($nginx{c}{port}, '+919800002942');
my $cb = raw_send($nginx{c}{port}, '+919800002943');
Time::HiRes::sleep(0.05);
close $z;               # its call ends with it: A and B go in one, A's
Time::HiRes::sleep(0.1);
my $cd = raw_send($nginx{c}{port}, '+919800002944');
Time::HiRes::sleep(0.05);
close $cd;              # D leaves the queue
Time::HiRes::sleep(0.05);
close $ca;              # A leaves: B waits for the next call
is(raw_status($cb), 200, 'visitors leaving: the one who stayed is answered');
is(post("http://127.0.0.1:$nginx{c}{port}/auth/send-otp",
        { phoneNumber => '+919800002945' })->{status}, 200,
   'and the worker goes on');

# over HTTP/2, each stream a request of its own: those that wait for a
# call are woken as over HTTP/1.1, each counted (6 of 10 through)

SKIP: {
    skip 'no curl', 2 unless find_program('curl');

    redis('CLIENT', 'PAUSE', '300');
    my @kids;
    for my $i (0 .. 9) {
        my $pid = fork() // die "fork: $!\n";
        if ($pid == 0) {
            open(my $curl, '-|', 'curl', '-s', '-o', '/dev/null',
                 '-w', '%{http_code}', '--http2-prior-knowledge',
                 '-H', 'Content-Type: application/json',
                 '-d', '{"phoneNumber":"+9198000033' . $i . $i . '"}',
                 "http://127.0.0.1:$nginx{c}{h2}/h2/send-otp")
                or POSIX::_exit(1);
            write_file("$tmp/h2.$i", join('', <$curl>));
            POSIX::_exit(0);
        }
        push @kids, $pid;
    }
    waitpid($_, 0) for @kids;
    my @h2 = map { read_file("$tmp/h2.$_") || 0 } 0 .. 9;

    is(scalar(grep { $_ == 200 } @h2), 6, 'HTTP/2: 6 of 10 sent');
    is(scalar(grep { $_ == 429 } @h2), 4, 'the 4 others refused');
}

# Redis forgets the script: EVAL, once, and it is known again

redis('SCRIPT', 'FLUSH');
$before = stats('+919800002905')->{requests};
is(post("$url[1]/auth/send-otp", { phoneNumber => '+919800002905' })
       ->{status}, 200, 'after SCRIPT FLUSH a send goes through');
is(stats('+919800002905')->{requests} - $before, 1,
   'and was counted and sent once');

# a wrong password: refused (on_error=deny), said, never the password

$r = post("$url[0]/bad/send-otp", { phoneNumber => '+919800002906' });
is($r->{status}, 503, 'a wrong password: 503');
is($r->{content}, '{"error":"OTP service unavailable"}', 'in JSON');
like(read_file("$nginx{a}{dir}/error.log"),
     qr/smotp_zone "bad": Redis failed at "\/_smotp_redis_bad" \(WRONGPASS/,
     'the error log says Redis refused the password');

# slower than smotp_redis_timeout: on_error=deny refuses, in time

my $sleeper = fork() // die "fork: $!\n";
if ($sleeper == 0) {
    redis('DEBUG', 'SLEEP', '2');
    POSIX::_exit(0);
}
Time::HiRes::sleep(0.2);

my $t0 = Time::HiRes::time();
$r = post("$url[0]/deny/send-otp", { phoneNumber => '+919800002907' });
my $took = Time::HiRes::time() - $t0;
waitpid($sleeper, 0);

is($r->{status}, 503, 'a slow Redis, on_error=deny: 503');
ok($took < 1.9, sprintf('answered at the timeout, not when Redis woke '
                        . '(%.2f s)', $took));
like(read_file("$nginx{a}{dir}/error.log"),
     qr/smotp_zone "denyz": Redis failed at "\/_smotp_redis" \(timed out\)/,
     'the timeout is said');

# Redis stopped: each policy

stop_redis();

$before = stats('+919800002908')->{requests};
$r = post("$url[1]/deny/send-otp", { phoneNumber => '+919800002908' });
is($r->{status}, 503, 'Redis down, on_error=deny: 503');
is($r->{content}, '{"error":"OTP service unavailable"}', 'in JSON');
is(stats('+919800002908')->{requests} - $before, 0, 'and no API call');

# beside them, the shared memory's counts: given back when deny refuses,
# kept when allow lets the request by

is(post("$url[1]/mixed-deny/send-otp", { phoneNumber => '+919800002913' })
       ->{status}, 503, 'mixed, deny: 503');
@status = map { post("$url[1]/mixed-allow/send-otp",
                     { phoneNumber => '+919800002914' })->{status} } 1 .. 2;
is("@status", '200 429', 'mixed, allow: the shared memory still counts');

@status = map { post("$url[1]/allow/send-otp",
                     { phoneNumber => '+919800002909' })->{status} } 1 .. 2;
is("@status", '200 200', 'on_error=allow: uncounted (1/10m let 2 by)');

@status = map { post("$url[1]/auth/send-otp",
                     { phoneNumber => '+919800002910' })->{status} } 1 .. 4;
is("@status", '200 200 200 429', 'on_error=local: counted in b\'s zone');

my $log = read_file("$nginx{b}{dir}/error.log");
my @down = $log =~ /(smotp_zone "otp": Redis failed)/g;
is(scalar(@down), 1, 'the switch to the fallback is logged once');
like($log, qr/smotp_zone "otp": Redis failed at "\/_smotp_redis" \([^)]*\): counting in this server's shared memory/,
     'saying what happens');
like($log, qr/smotp_zone "allowz": Redis failed .*letting requests through/,
     'allow says so');

# Redis back: counting resumes there

start_redis();

$r = post("$url[1]/auth/send-otp", { phoneNumber => '+919800002911' });
is($r->{status}, 200, 'Redis back: a send');
ok(scalar(grep { /^smotp:otp:/ } split(/\n/, redis('KEYS', '*'))) >= 1,
   'counted in Redis again');
like(read_file("$nginx{b}{dir}/error.log"),
     qr/\[notice\].*smotp_zone "otp": Redis at "\/_smotp_redis" answers again/,
     'the switch back is logged');

is(post("$url[1]/mixed-deny/send-otp", { phoneNumber => '+919800002913' })
       ->{status}, 200, 'mixed, deny: the 503 had given its local count back');

# each stopped and its log read: no alert, no crash, no secret

for my $n (sort keys %nginx) {
    stop($nginx{$n});
    my $log = read_file("$nginx{$n}{dir}/error.log");
    unlike($log, qr/\[(alert|crit|emerg)\]|exited on signal/,
           "$n: a clean log");
    unlike($log, qr/\Q$password\E|not-the-password/, "$n: no password");
    unlike($log, qr/\b\Q$sms->{code}\E\b/, "$n: no code");
}

# nginx -t on what cannot work

config_error('smotp_zone z:1m redis=/_r;',
             qr/smotp_zone "z" with redis= needs smotp_secret_file at the http level/,
             'redis= without a secret at the http level', 1);
config_error('smotp_zone z:1m on_error=deny;',
             qr/on_error= needs redis=/, 'on_error= without redis=');
config_error('smotp_zone z:1m redis=/_r on_error=maybe;',
             qr/invalid parameter "on_error=maybe"/, 'an unknown on_error');
config_error('smotp_zone z:1m redis=/_r; smotp_zone y:1m redis=/_r;',
             qr/may be in one smotp_zone with redis= only/,
             'two Redis zones in one location', 0,
             'location = /s { smotp_send; '
             . 'smotp_limit zone=z key=$smotp_phone rate=1/m; '
             . 'smotp_limit zone=y key=all rate=9/m; }');

done_testing();


sub start {
    my ($name, $workers) = @_;

    $workers //= 2;

    my $dir = "$tmp/$name";
    mkdir $dir or die "mkdir $dir: $!\n";

    my $port = free_port();
    my $h2 = free_port();

    write_file("$dir/nginx.conf", <<"_EOC_");
load_module $module;
daemon off;
master_process on;
worker_processes $workers;
pid $dir/nginx.pid;
error_log $dir/error.log info;

events { worker_connections 256; }

http {
    access_log off;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;

    smotp_api_key sm_test_0123456789abcdef;
    smotp_secret_file $tmp/secret;
    smotp_retries 0;

    # the API's failure, on asking (the main request's URI)
    map \$request_uri \$smotp_test_fault {
        ~fault=500  "status=500";
        default     "";
    }

    upstream smotp_redis {
        server 127.0.0.1:$redis{port};
        keepalive 8;
    }

    smotp_zone otp:1m redis=/_smotp_redis;
    smotp_zone budget:1m redis=/_smotp_redis;
    smotp_zone batchz:1m redis=/_smotp_redis;
    smotp_zone h2z:1m redis=/_smotp_redis;
    smotp_zone allowz:1m redis=/_smotp_redis on_error=allow;
    smotp_zone denyz:1m redis=/_smotp_redis on_error=deny;
    smotp_zone bad:1m redis=/_smotp_redis_bad on_error=deny;
    smotp_zone localz:1m;

    server {
        listen 127.0.0.1:$port;
        listen 127.0.0.1:$h2 http2;

        location /_smotp_api/ {
            internal;
            proxy_set_header X-Standin-Fault \$smotp_test_fault;
            proxy_pass http://127.0.0.1:$standin/;
        }

        location = /_smotp_redis {
            internal;
            smotp_redis_pass smotp_redis;
            smotp_redis_password_file $tmp/redis.pass;
            smotp_redis_timeout 500ms;
        }

        location = /_smotp_redis_bad {
            internal;
            smotp_redis_pass smotp_redis;
            smotp_redis_password_file $tmp/wrong.pass;
        }

        location = /auth/send-otp {
            smotp_send;
            smotp_limit zone=otp key=\$smotp_phone rate=3/10m;
        }

        location = /auth/verify-otp {
            smotp_verify;
            smotp_verify_attempts zone=otp 2;
        }

        location = /auth/resend-otp {
            smotp_resend;
            smotp_limit zone=otp key=\$smotp_phone rate=3/10m;
        }

        location = /budget/send-otp {
            smotp_send;
            smotp_limit zone=budget key=all rate=5/d;
        }

        location = /h2/send-otp {
            smotp_send;
            smotp_limit zone=h2z key=all rate=6/m;
        }

        location = /batch/send-otp {
            smotp_send;
            smotp_limit zone=batchz key=all rate=8/m;
        }

        location = /allow/send-otp {
            smotp_send;
            smotp_limit zone=allowz key=\$smotp_phone rate=1/10m;
        }

        location = /deny/send-otp {
            smotp_send;
            smotp_limit zone=denyz key=\$smotp_phone rate=1/10m;
        }

        location = /bad/send-otp {
            smotp_send;
            smotp_limit zone=bad key=\$smotp_phone rate=1/10m;
        }

        # limits in shared memory beside limits in Redis
        location = /mixed/send-otp {
            smotp_send;
            smotp_limit zone=localz key=\$smotp_phone rate=2/10m;
            smotp_limit zone=denyz key=\$smotp_phone rate=1/10m;
        }

        location = /mixed-deny/send-otp {
            smotp_send;
            smotp_limit zone=localz key=\$smotp_phone rate=1/10m;
            smotp_limit zone=denyz key=all rate=1000/m;
        }

        location = /mixed-allow/send-otp {
            smotp_send;
            smotp_limit zone=localz key=\$smotp_phone rate=1/h;
            smotp_limit zone=allowz key=\$smotp_phone rate=1/h;
        }
    }
}
_EOC_

    my $n = start_nginx($dir, $port);
    $n->{h2} = $h2;

    return $n;
}


sub start_redis {
    my $pid = fork() // die "fork: $!\n";
    if ($pid == 0) {
        open STDOUT, '>>', "$tmp/redis.log";
        open STDERR, '>&', \*STDOUT;
        exec $redis_server, '--port', $redis{port}, '--bind', '127.0.0.1',
             '--save', '', '--appendonly', 'no', '--daemonize', 'no',
             '--requirepass', $password,
             '--enable-debug-command', 'local'
            or POSIX::_exit(127);
    }

    $redis{pid} = $pid;
    wait_port($redis{port}, $pid, 'redis-server', "$tmp/redis.log");
}


sub stop_redis {
    return unless $redis{pid};

    kill 'TERM', $redis{pid};
    waitpid($redis{pid}, 0);
    delete $redis{pid};
}


# one command, its reply as text (an array's items a line each)
sub redis {
    my (@args) = @_;

    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$redis{port}",
                                  Timeout => $Wait)
        or die "redis: $!\n";

    my $cmd = '';
    for my $c (['AUTH', $password], \@args) {
        $cmd .= '*' . @$c . "\r\n";
        $cmd .= '$' . length($_) . "\r\n$_\r\n" for @$c;
    }
    print $s $cmd;

    read_reply($s);
    return read_reply($s);
}


sub read_reply {
    my ($s) = @_;

    my $line = <$s> // die "redis: no reply\n";
    $line =~ s/\r\n$//;

    my $type = substr($line, 0, 1, '');

    return $line if $type eq '+' || $type eq ':' || $type eq '-';

    if ($type eq '$') {
        return '' if $line < 0;
        my $data = '';
        read($s, $data, $line + 2);
        return substr($data, 0, $line);
    }

    return join("\n", map { read_reply($s) } 1 .. $line) if $type eq '*';

    die "redis: unexpected reply $type$line\n";
}


# a send on a socket of its own, left open
sub raw_send {
    my ($port, $phone) = @_;

    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port")
        or die "connect: $!\n";
    my $body = JSON::PP::encode_json({ phoneNumber => $phone });
    print $s "POST /auth/send-otp HTTP/1.1\r\nHost: localhost\r\n"
             . "Content-Type: application/json\r\n"
             . "Content-Length: " . length($body) . "\r\n"
             . "Connection: close\r\n\r\n$body";

    return $s;
}


sub raw_status {
    my ($s) = @_;

    local $/;
    my $reply = <$s> // '';

    return $reply =~ m{^HTTP/1\.\d (\d+)} ? $1 : 0;
}


# how many keys match
sub nkeys {
    my @keys = grep { length } split /\n/, redis('KEYS', $_[0]);
    return scalar @keys;
}


# each [url, body] posted by a child of its own, all at once
sub parallel {
    my (@reqs) = @_;

    my @kids;
    for my $i (0 .. $#reqs) {
        my $pid = fork() // die "fork: $!\n";
        if ($pid == 0) {
            my $r = post(@{ $reqs[$i] });
            write_file("$tmp/status.$i", $r->{status});
            POSIX::_exit(0);
        }
        push @kids, $pid;
    }

    waitpid($_, 0) for @kids;

    return map { read_file("$tmp/status.$_") || 0 } 0 .. $#reqs;
}


sub config_error {
    my ($zones, $re, $name, $no_secret, $location) = @_;

    my $dir = "$tmp/conf-" . int(rand(1e9));
    mkdir $dir or die "mkdir $dir: $!\n";

    my $secret = $no_secret ? '' : "smotp_secret_file $tmp/secret;";
    $location //= '';

    write_file("$dir/nginx.conf", <<"_EOC_");
load_module $module;
pid $dir/nginx.pid;
error_log $dir/error.log;
events { }
http {
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    smotp_api_key sm_test_0123456789abcdef;
    $secret
    $zones
    server {
        listen 127.0.0.1:1;
        location = /_r { internal; smotp_redis_pass 127.0.0.1:1; }
        $location
    }
}
_EOC_

    my $out = `$binary -t -p $dir/ -c $dir/nginx.conf 2>&1`;
    isnt($? >> 8, 0, "nginx -t fails: $name");
    like($out, $re, "and says why: $name");
}


sub stats {
    my ($phone) = @_;

    return get_json("http://127.0.0.1:$standin/_test/stats?phone=%2B"
                    . substr($phone, 1));
}


sub find_program {
    my ($name) = @_;

    for my $dir (split(/:/, $ENV{PATH} // ''), '/usr/bin', '/usr/sbin') {
        return "$dir/$name" if -x "$dir/$name";
    }

    return undef;
}


