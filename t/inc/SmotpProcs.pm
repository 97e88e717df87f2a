package SmotpProcs;

# For the plain Test::More files that run nginx processes of their own
# (t/028, t/029, t/031): an nginx started on a configuration and waited
# for, under valgrind when the run is (TEST_NGINX_USE_VALGRIND), stopped
# gracefully (so that a run with coverage writes its counts), and the
# small things each of them needs.

use strict;
use warnings;

use Exporter 'import';
use HTTP::Tiny;
use IO::Socket::INET;
use JSON::PP ();
use POSIX ();

our @EXPORT_OK = qw(start_nginx stop wait_port post get_json free_port
                    write_file read_file $Wait);

my $valgrind = $ENV{TEST_NGINX_USE_VALGRIND};

# how long to wait for a process or an answer: nginx is slower under valgrind
our $Wait = $valgrind ? 60 : 10;

my $http = HTTP::Tiny->new(timeout => $Wait, max_redirect => 0);

# nginx (TEST_NGINX_BINARY) on DIR/nginx.conf, listening on PORT
sub start_nginx {
    my ($dir, $port) = @_;

    my $binary = $ENV{TEST_NGINX_BINARY} || 'nginx';
    my @cmd = ($binary, '-p', "$dir/", '-c', "$dir/nginx.conf");
    # no gdb server: its pipes in /tmp are not the test's to leave
    unshift @cmd, 'valgrind', '-q', '--vgdb=no', split(' ', $valgrind)
        if $valgrind && $valgrind ne '1';

    my $pid = fork() // die "fork: $!\n";
    if ($pid == 0) {
        open STDERR, '>>', "$dir/stderr.log";
        exec @cmd or POSIX::_exit(127);
    }

    wait_port($port, $pid, "nginx in $dir", "$dir/error.log");

    return { pid => $pid, port => $port, dir => $dir };
}

sub wait_port {
    my ($port, $pid, $what, $log) = @_;

    for (1 .. $Wait * 10) {
        return if IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port");
        die "$what did not start:\n" . read_file($log)
            if waitpid($pid, POSIX::WNOHANG()) == $pid;
        select(undef, undef, undef, 0.1);
    }

    die "$what did not start in time:\n" . read_file($log);
}

# a graceful stop (QUIT), then KILL if it takes too long
sub stop {
    my ($n) = @_;

    return unless $n->{pid};

    kill 'QUIT', $n->{pid};

    for (1 .. $Wait * 10) {
        if (waitpid($n->{pid}, POSIX::WNOHANG()) == $n->{pid}) {
            delete $n->{pid};
            return;
        }
        select(undef, undef, undef, 0.1);
    }

    kill 'KILL', $n->{pid};
    waitpid($n->{pid}, 0);
    delete $n->{pid};
}

# a JSON POST; the response as HTTP::Tiny gives it
sub post {
    my ($url, $body) = @_;

    return $http->post($url, {
        headers => { 'Content-Type' => 'application/json' },
        content => JSON::PP::encode_json($body),
    });
}

sub get_json {
    my ($url) = @_;

    my $r = $http->get($url);
    die "GET $url: $r->{status}\n" unless $r->{success};

    return JSON::PP::decode_json($r->{content});
}

# A port for a process of the file's own, free when asked, from a range
# of 100 below the kernel's ephemeral ports (32768 and up), one range for
# each TEST_NGINX_PORT that scripts/test.sh gives a shard (10 apart): a
# port the kernel chose (port 0) could be taken by another test's
# outgoing connection between this answer and the bind, and one of the
# range only by a test of the same shard, which runs one file at a time.
# Each answer is the next free one of the range after the one before (in
# a circle), so that two asked in a row differ before either is bound.
my ($first_port, $ports_given);

sub free_port {
    unless (defined $first_port) {
        my $base = $ENV{TEST_NGINX_PORT} || 1984;
        $first_port = 20000 + ($base * 10) % 10000;
        $ports_given = 0;
    }

    for (1 .. 100) {
        my $port = $first_port + $ports_given++ % 100;

        my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
                                      LocalPort => $port, Listen => 1,
                                      ReuseAddr => 1)
            or next;
        close $s;

        return $port;
    }

    die "no free port in $first_port .. " . ($first_port + 99) . "\n";
}

sub write_file {
    my ($name, $text) = @_;

    open my $fh, '>', $name or die "$name: $!\n";
    print $fh $text;
    close $fh;
}

sub read_file {
    my ($name) = @_;

    open my $fh, '<', $name or return '';
    local $/;
    return scalar <$fh>;
}

1;
