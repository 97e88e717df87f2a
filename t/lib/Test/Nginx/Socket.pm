package Test::Nginx::Socket;

# Fallback implementation of the subset of Test::Nginx::Socket (CPAN,
# openresty/test-nginx) that this project's t/*.t files use.  It is only
# put on @INC when the real module is not installed.  Pure Perl, core
# modules only.  See t/lib/README.md for the supported subset.

use strict;
use warnings;
use v5.10.1;

use Test::More ();
use Carp ();
use Time::HiRes qw(sleep);
use IO::Socket::INET ();
use IO::Select ();
use POSIX qw(WNOHANG);
use Scalar::Util qw(looks_like_number);
use List::Util qw(shuffle min);
use File::Path ();

use Test::Nginx::Util;
use Test::Nginx::Data ();

our $VERSION = '0.01';

our $PrevConfig;
our $PrevBlock;
our $TotalConnectingTimeouts = 0;
our @ResponseBodyChecks;

my @TestMoreExports = qw(
    ok is isnt like unlike is_deeply cmp_ok skip todo_skip pass fail
    eq_array eq_hash eq_set plan can_ok isa_ok diag use_ok
);

my @OwnExports = qw(
    env_to_nginx is_str run_tests run_test repeat_each config_preamble
    worker_connections master_process_enabled no_long_string workers
    master_on master_off log_level no_shuffle no_root_location use_hup
    server_name server_addr server_root html_dir server_port
    server_port_for_client timeout no_nginx_manager check_accum_error_log
    add_block_preprocessor bail_out add_cleanup_handler
    add_response_body_check blocks filters no_diff
);

my @CarpExports = qw(croak carp cluck confess);

our @EXPORT = (@TestMoreExports, @OwnExports, @CarpExports);

# use Test::Nginx::Socket;                 (plan set later with plan())
# use Test::Nginx::Socket 'no_plan';       (arguments go to Test::More's plan)
# use Test::Nginx::Socket tests => 3;
# use Test::Nginx::Socket -Base;           (in a subclass module)
# Like the original (via Test::Base), strict and warnings are switched on
# in the calling file.
sub import {
    my ($class, @args) = @_;
    my $caller = caller;

    my $base = grep { defined && /^-base$/i } @args;
    @args = grep { !(defined && /^-base$/i) } @args;

    no strict 'refs';
    if ($base && !$caller->isa($class)) {
        push @{"${caller}::ISA"}, $class;
    }
    for my $f (@TestMoreExports) {
        *{"${caller}::$f"} = \&{"Test::More::$f"};
    }
    for my $f (@CarpExports) {
        *{"${caller}::$f"} = \&{"Carp::$f"};
    }
    for my $f (@OwnExports) {
        my $code = __PACKAGE__->can($f) or die "internal: no $f";
        *{"${caller}::$f"} = $code;
    }
    *{"${caller}::TODO"} = \${"${caller}::TODO"};

    if (@args && !$base) {
        Test::More::plan(@args);
    }

    strict->import;
    warnings->import;
}

sub blocks { return Test::Nginx::Data::blocks(@_) }

sub filters { Test::Nginx::Data::add_default_filters(@_) }

sub no_diff { }

sub add_response_body_check { push @ResponseBodyChecks, shift }

sub _no_ending { Test::More->builder->no_ending(1) }

sub _skippable {
    my ($dry_run, $msg, $code) = @_;
    if ($dry_run) {
        SKIP: { Test::More::skip($msg, 1); }
        return;
    }
    $code->();
}

# Perl snippets from --- init / --- skip_eval run in Test::Nginx::Util.
sub _eval_in_util {
    my $code = shift;
    return eval "package Test::Nginx::Util; no strict; $code";
}

my %NumCmp = (
    '<'  => sub { $_[0] <  $_[1] },
    '<=' => sub { $_[0] <= $_[1] },
    '>'  => sub { $_[0] >  $_[1] },
    '>=' => sub { $_[0] >= $_[1] },
);

# ---------------------------------------------------------------------
# the test loop

sub run_tests {
    $NginxVersion = get_nginx_version();

    if (!defined $ENV{TEST_NGINX_SERVER_PORT}) {
        $ENV{TEST_NGINX_SERVER_PORT} = $ServerPort;
    }

    # eval filters of all blocks run here, before any block is run
    my @blocks = Test::Nginx::Data::blocks();
    @blocks = shuffle @blocks unless $NoShuffle;

    for my $block (@blocks) {
        # preprocessors run right before their block, after the previous
        # blocks have run; they see the bare block name
        $_->($block) for @BlockPreprocessors;
        $block->set_value(name => "$0 " . $block->name);
        run_test($block);
        $PrevBlock = $block;
    }

    cleanup();
}

sub _stop_running_nginx {
    my $name = shift;
    if (defined $ChildPid) {
        if (waitpid($ChildPid, WNOHANG) != 0) {
            undef $ChildPid;
        }
    }
    return unless -f $PidFile;
    my $pid = get_pid_from_pidfile($name);
    if ($pid ne '' && is_running($pid)) {
        kill_process($pid, 1, $name);
    } else {
        unlink $PidFile;
    }
}

sub _stop_child_nginx {
    my $name = shift;
    my $pid = $ChildPid;
    if (-f $PidFile) {
        my $p = get_pid_from_pidfile($name);
        $pid = $p if $p ne '';
    }
    return unless defined $pid;
    if (is_running($pid)) {
        kill 'QUIT', $pid;
        my $left = timeout() > 10 ? timeout() : 10;
        while ($left > 0 && is_running($pid)) {
            waitpid($ChildPid, WNOHANG) if defined $ChildPid;
            sleep 0.05;
            $left -= 0.05;
        }
        if (is_running($pid)) {
            warn "$name - timeout when waiting for the process $pid to exit\n";
            kill 'KILL', -$pid;
            kill 'KILL', $pid;
        }
    }
    if (defined $ChildPid) {
        waitpid($ChildPid, 0) if kill 0, $ChildPid;
        undef $ChildPid;
    }
    unlink $PidFile if -f $PidFile;
}

sub check_prev_block_shutdown_error_log {
    my $block = $PrevBlock;
    return unless defined $block;
    return unless defined $block->shutdown_error_log
                  || defined $block->no_shutdown_error_log;
    my $dry_run = ($UseHup || $ENV{TEST_NGINX_NO_CLEAN}) ? 1 : 0;
    check_shutdown_error_log($block, $dry_run);
}

sub run_test {
    my $block = shift;

    return if defined $block->SKIP;

    my $name = $block->name;
    my $rand_ports = {};

    my $config = expand_env_in_text(scalar($block->config), $name, $rand_ports);

    my $dry_run = 0;
    my $should_restart = 1;
    my $should_reconfig = 1;

    # (localize the Util variables themselves: the names imported here
    # are aliases of them)
    local $Test::Nginx::Util::LogLevel = $LogLevel;
    if ($block->log_level) {
        $Test::Nginx::Util::LogLevel = $block->log_level;
    }

    # valgrind is not used for blocks where nginx must fail to start
    my $must_die = $block->must_die;
    my $use_valgrind = defined $must_die ? undef : $UseValgrind;

    if (!defined $config) {
        if (!$NoNginxManager && !defined $PrevConfig) {
            bail_out("$name - No '--- config' section specified and could "
                     . "not get previous one. Use TEST_NGINX_NO_NGINX_MANAGER ?");
        }
        # keep the nginx of the previous block running
        $should_restart = 0;
        $should_reconfig = 0;

    } elsif ($NoNginxManager) {
        Test::More::diag("NO_NGINX_MANAGER activated: config for $name ignored");
        $should_restart = 0;
        $should_reconfig = 0;

    } else {
        $should_reconfig = (!defined $PrevConfig || $config ne $PrevConfig) ? 1 : 0;
        $should_restart = ($should_reconfig || $ForceRestartOnTest) ? 1 : 0;
    }

    # --- skip_eval / skip_nginx / skip_nginx2 / skip_openssl / todo
    my ($tests_to_skip, $should_skip, $skip_reason);

    my $skip_eval = $block->skip_eval;
    if (defined $skip_eval && $skip_eval =~ /^\s*(\d+)\s*:\s*(.*)/s) {
        $tests_to_skip = $1;
        $skip_reason = "skip_eval";
        my $code = $2;
        $should_skip = _eval_in_util($code);
        if ($@) {
            bail_out("$name - skip_eval - failed to eval the Perl code \"$code\": $@");
        }
    }

    my $skip_nginx = $block->skip_nginx;
    my $skip_nginx2 = $block->skip_nginx2;
    if (defined $skip_nginx) {
        if ($skip_nginx =~ /^\s*(\d+)\s*:\s*([<>]=?)\s*(\d+)\.(\d+)\.(\d+)(?:\s*:\s*(.*))?\s*$/) {
            $tests_to_skip = $1;
            my ($op, $ver) = ($2, get_canon_version($3, $4, $5));
            $skip_reason = $6 || "nginx version $op $3.$4.$5";
            if ((!defined $NginxVersion && $op =~ /^</)
                || (defined $NginxVersion && $NumCmp{$op}->($NginxVersion, $ver)))
            {
                $should_skip = 1;
            }
        } else {
            bail_out("$name - Invalid --- skip_nginx spec: $skip_nginx");
        }
    } elsif (defined $skip_nginx2) {
        if ($skip_nginx2 =~ /^\s*(\d+)\s*:\s*([<>]=?)\s*(\d+)\.(\d+)\.(\d+)\s*(or|and)\s*([<>]=?)\s*(\d+)\.(\d+)\.(\d+)(?:\s*:\s*(.*))?\s*$/) {
            $tests_to_skip = $1;
            my ($opa, $vera) = ($2, get_canon_version($3, $4, $5));
            my $opx = $6;
            my ($opb, $verb) = ($7, get_canon_version($8, $9, $10));
            $skip_reason = $11;
            if (!defined $NginxVersion) {
                $should_skip = 1;
            } else {
                my $a = $NumCmp{$opa}->($NginxVersion, $vera);
                my $b = $NumCmp{$opb}->($NginxVersion, $verb);
                $should_skip = 1 if $opx eq 'or' ? ($a || $b) : ($a && $b);
            }
        } else {
            bail_out("$name - Invalid --- skip_nginx2 spec: $skip_nginx2");
        }
    }

    my $skip_openssl = $block->skip_openssl;
    if (defined $skip_openssl) {
        if ($skip_openssl =~ /^\s*(\d+)\s*:\s*([<>]=?)\s*(\d+)\.(\d+)\.(\d+)([a-z])?(?:\s*:\s*(.*))?\s*$/) {
            $tests_to_skip = $1;
            my ($op, $v4) = ($2, $6);
            my $ver = get_canon_version_for_OpenSSL($3, $4, $5, $v4);
            $skip_reason = $7;
            if (!$skip_reason) {
                $skip_reason = !defined $OpenSSLVersion ? "Not built with OpenSSL"
                    : "OpenSSL version $op $3.$4.$5" . (defined $v4 ? $v4 : '');
            }
            if (!defined $OpenSSLVersion || $NumCmp{$op}->($OpenSSLVersion, $ver)) {
                $should_skip = 1;
            }
        } else {
            bail_out("$name - Invalid --- skip_openssl spec: $skip_openssl");
        }
    }

    $skip_reason = "various reasons" unless defined $skip_reason;

    my ($should_todo, $todo_reason);
    my $todo_nginx = $block->todo_nginx;
    if (defined $todo_nginx) {
        if ($todo_nginx =~ /^\s*([<>]=?)\s*(\d+)\.(\d+)\.(\d+)(?:\s*:\s*(.*))?\s*$/) {
            my ($op, $ver) = ($1, get_canon_version($2, $3, $4));
            $todo_reason = $5;
            if ((!defined $NginxVersion && $op =~ /^</)
                || (defined $NginxVersion && $NumCmp{$op}->($NginxVersion, $ver)))
            {
                $should_todo = 1;
            }
        } else {
            bail_out("$name - Invalid --- todo_nginx spec: $todo_nginx");
        }
    }
    my $todo = $block->todo;
    if (defined $todo) {
        if ($todo =~ /^\s*(\d+)\s*:\s*(.*)/s) {
            $should_todo = 1;
            $tests_to_skip = $1;
            $todo_reason = $2;
        } else {
            bail_out("$name - Invalid --- todo spec: $todo");
        }
    }
    $todo_reason = "various reasons" unless defined $todo_reason;

    # --- (re)start nginx with this block's configuration
    if (!$NoNginxManager && !$should_skip && $should_restart) {
        $PrevConfig = $config if $should_reconfig;

        _stop_running_nginx($name);
        check_prev_block_shutdown_error_log();

        setup_server_root();
        write_user_files($block, $rand_ports);
        write_config_file($block, $config, $rand_ports, defined $must_die);

        if (!can_run($NginxBinary)) {
            bail_out("$name - Cannot find the nginx executable in the PATH environment");
        }

        my $cmd = "$NginxBinary -p $ServRoot/ -c $ConfFile > /dev/null";

        if ($use_valgrind) {
            my $vcmd;
            if ($use_valgrind =~ /^\d+$/) {
                my $opts = "--tool=memcheck --leak-check=full --show-possibly-lost=no";
                $vcmd = "valgrind --num-callers=100 -q $opts --gen-suppressions=all";
                $vcmd .= " --suppressions=valgrind.suppress" if -f 'valgrind.suppress';
                $vcmd .= " $cmd";
            } else {
                $vcmd = "valgrind -q $use_valgrind $cmd";
            }

            warn "$name\n";

            my $pid = fork();
            if (!defined $pid) {
                bail_out("$name - fork() failed: $!");
            } elsif ($pid == 0) {
                setpgrp;
                $InSubprocess = 1;
                { exec "exec $vcmd"; }
                POSIX::_exit(127);
            }
            $ChildPid = $pid;

        } else {
            my $i = 0;
            my $waited = 0;
            $ErrLogFilePos = 0;

            while (1) {
                system($cmd);
                my $status = $?;
                my ($exec_failed, $coredump, $exit_code);
                if ($status == -1) {
                    $exec_failed = 1;
                } else {
                    $exit_code = $status >> 8;
                    $coredump = ($status & 128) || $exit_code > 128;
                }

                if (defined $must_die) {
                    if ($exec_failed) {
                        Test::More::fail("$name - failed to execute the nginx command line");
                    } elsif ($coredump) {
                        Test::More::fail("$name - nginx core dumped");
                    } elsif (looks_like_number($must_die)) {
                        Test::More::is($exit_code, $must_die,
                                       "$name - die with the expected exit code");
                    } else {
                        Test::More::isnt($status, 0, "$name - die as expected");
                    }

                    check_error_log($block, undef, $dry_run, $i, 0);

                    if ($status == 0) {
                        warn "WARNING: $name - nginx must die but it does not; "
                             . "killing it (req $i)\n";
                        for (1 .. 15) {
                            last if -f $PidFile;
                            sleep $TestNginxSleep;
                        }
                        if (-f $PidFile) {
                            my $pid = get_pid_from_pidfile($name);
                            kill_process($pid, 1, $name);
                        }
                    }

                    next if ++$i < $RepeatEach;
                    return;
                }

                last if $status == 0;

                if ($ENV{TEST_NGINX_IGNORE_MISSING_DIRECTIVES}
                    and my $directive = check_if_missing_directives())
                {
                    $dry_run = "the lack of directive $directive";
                    last;
                }

                # e.g. the port is still held by a previous instance
                $i++;
                my $delay = min(0.1 * $i, 1);
                sleep $delay;
                $waited += $delay;
                next if $waited < 30;
                bail_out("$name - Cannot start nginx using command \"$cmd\" "
                         . "(status code $status).");
            }
        }

        sleep $TestNginxSleep;
    }

    # --- requests and checks
    if ($block->init) {
        _eval_in_util(scalar($block->init));
        if ($@) {
            bail_out("$name - init failed: $@");
        }
    }

    my $i = 0;
    $ErrLogFilePos = 0;
    while ($i++ < $RepeatEach) {
        if ($i > 1) {
            write_user_files($block, $rand_ports);
        }

        if ($should_skip && defined $tests_to_skip) {
            SKIP: { Test::More::skip("$name - $skip_reason", $tests_to_skip); }

        } elsif ($should_todo) {
            TODO: { Test::More::todo_skip("$name - $todo_reason", $tests_to_skip); }

        } else {
            run_test_helper($block, $dry_run, $i - 1);
        }
    }

    if (my $total = $ENV{TEST_NGINX_ERROR_LOG}) {
        if (-s $ErrLogFile) {
            open my $out, '>>', $total
                or bail_out("Failed to append test case title to $total: $!\n");
            print $out "\n=== $name\n";
            if (open my $in, '<', $ErrLogFile) {
                local $/;
                my $all = <$in>;
                print $out $all if defined $all;
                close $in;
            }
            close $out;
        }
    }

    if ($use_valgrind) {
        _stop_child_nginx($name);
    }
}

# ---------------------------------------------------------------------
# building requests

sub _parse_more_headers {
    my ($in) = @_;
    my ($out, $is_chunked) = ('', undef);
    for my $line (split /\n+/, $in) {
        next if $line =~ /^\s*#/;
        my ($key, $val) = split /:\s*/, $line, 2;
        $key = '' unless defined $key;
        $val = '' unless defined $val;
        if (lc($key) eq 'transfer-encoding' && $val eq 'chunked') {
            $is_chunked = 1;
        }
        $out .= "$key: $val\r\n";
    }
    return ($out, $is_chunked);
}

sub _more_headers_for {
    my ($more_headers, $idx, $what) = @_;
    if (ref $more_headers eq 'ARRAY') {
        my $h = $more_headers->[$idx];
        if (!defined $h) {
            bail_out("--- more_headers lacks data for $what");
        }
        return _parse_more_headers($h);
    }
    return _parse_more_headers($more_headers);
}

# Turns "METHOD [URI [VERSION]]\n[body]" split over one or more packets
# into a full HTTP request: defaults URI to / and the version to HTTP/1.1,
# appends Host, Connection and (when there is a body and no
# Content-Length in more_headers, and the body is not chunked)
# Content-Length -- the body then being stripped of leading and trailing
# whitespace.  Packet boundaries of the input are kept.
sub build_request {
    my ($name, $more_headers, $is_chunked, $conn, $packets) = @_;

    my @in = map { defined $_ ? $_ : '' } @$packets;
    my $whole = join '', @in;

    my $nl = index $whole, "\n";
    my $first = $nl < 0 ? $whole : substr($whole, 0, $nl + 1);
    if (!$first) {
        bail_out("$name - Request line should be non-empty");
    }

    my ($lead, $meth, $sp1, $url, $sp2, $ver, $sp3, $tail);
    if ($first =~ /^(\s*)(\S+)( *)(?:(\S+)( *))?(?:(\S+)( *))?(\s*)$/) {
        ($lead, $meth, $sp1, $url, $sp2, $ver, $sp3, $tail)
            = ($1, $2, $3, $4, $5, $6, $7, $8);
    } else {
        bail_out("$name - Request line is not valid. Should be 'meth [url "
                 . "[version]]' but got \"$first\".");
    }

    my $url_len = defined $url ? length $url : 0;
    $url = '/' unless defined $url;
    my $ver_len = defined $ver ? length $ver : 0;
    $ver = 'HTTP/1.1' unless defined $ver;

    my $content = substr $whole, length $first;
    my $content_len = length $content;

    my $len_header = '';
    if (!$is_chunked && $content ne ''
        && $more_headers !~ /(?:^|\n)Content-Length:/)
    {
        $content =~ s/^\s+|\s+$//gs;
        $len_header = "Content-Length: " . length($content) . "\r\n";
    }

    $more_headers =~ s/(?<!\r)\n/\r\n/gs;

    my $headers = '';
    if ($more_headers !~ /(?:^|\n)Host:/msi) {
        $headers .= "Host: $ServerName\r\n";
    }
    if ($more_headers !~ /(?:^|\n)Connection/msi) {
        $headers .= "Connection: $conn\r\n";
    }
    $headers .= "$more_headers$len_header\r\n";

    # [input chars consumed, output text]
    my @ops = (
        [length $lead, ''],
        [length $meth, "$meth "],
        [length $sp1, ''],
        [$url_len, "$url "],
        [defined $sp2 ? length $sp2 : 0, ''],
        [$ver_len, "$ver\r\n"],
        [(defined $sp3 ? length $sp3 : 0) + length $tail, ''],
        [0, $headers],
        [$content_len, $content],
    );

    my @out = ('') x @in;
    my $p = 0;
    my $room = @in ? length $in[0] : 0;
    for my $op (@ops) {
        my ($take, $text) = @$op;
        while ($take > $room && $p < $#in) {
            # the op runs past this packet: the packet gets as many output
            # chars as input chars it had left
            $out[$p] .= substr($text, 0, $room) if length $text;
            $text = length $text > $room ? substr($text, $room) : '';
            $take -= $room;
            $p++;
            $room = length $in[$p];
        }
        $out[$p] .= $text;
        $room -= $take;
        $room = 0 if $room < 0;
    }

    return \@out;
}

# A list of requests; each request is a list of packets
# ({ value => ..., delay_before => ... }).
sub get_req_from_block {
    my ($block) = @_;
    my $name = $block->name;
    my @req_list;

    if (defined $block->raw_request) {
        my $rr = $block->raw_request;
        if (ref $rr && ref $rr eq 'ARRAY') {
            push @req_list, [ map { { value => $_ } } @$rr ];
        } else {
            push @req_list, [ { value => $rr } ];
        }
        return \@req_list;
    }

    my $request = $block->request;
    if (defined $request && !ref $request) {
        # leading blank space and "# comment" lines are dropped
        1 while $request =~ s/^\s*\#[^\n]+\s+|^\s+//s;
    }

    my $more_headers = $block->more_headers || '';

    if ($block->pipelined_requests) {
        my $reqs = $block->pipelined_requests;
        if (!ref $reqs || ref $reqs ne 'ARRAY') {
            bail_out("$name - invalid entries in --- pipelined_requests");
        }
        my $all = '';
        for my $i (0 .. $#$reqs) {
            my $conn = $i == $#$reqs ? 'close' : 'keep-alive';
            my ($hdr, $chunked) = _more_headers_for($more_headers, $i,
                                                    "the $i pipelined request");
            my $pk = build_request($name, $hdr, $chunked, $conn, [$reqs->[$i]]);
            $all .= join '', @$pk;
        }
        push @req_list, [ { value => $all } ];
        return \@req_list;
    }

    if (!ref $request) {
        my ($hdr, $chunked) = _more_headers_for($more_headers, 0, "the request");
        my $pk = build_request($name, $hdr, $chunked, 'close', [$request]);
        push @req_list, [ { value => join '', @$pk } ];

    } elsif (ref $request eq 'ARRAY') {
        my $i = 0;
        for my $one (@$request) {
            my ($hdr, $chunked) = _more_headers_for($more_headers, $i,
                                                    "the ${i}th request");
            if (!ref $one) {
                my $pk = build_request($name, $hdr, $chunked, 'close', [$one]);
                push @req_list, [ { value => join '', @$pk } ];

            } elsif (ref $one eq 'ARRAY') {
                my @vals;
                for my $pkt (@$one) {
                    if (!ref $pkt) {
                        push @vals, $pkt;
                    } elsif (ref $pkt eq 'HASH') {
                        push @vals, $pkt->{value};
                    } else {
                        bail_out("$name - Invalid syntax. $pkt should be a "
                                 . "string or hash with value.");
                    }
                }
                my $pk = build_request($name, $hdr, $chunked, 'close', \@vals);
                my @req;
                for my $j (0 .. $#$one) {
                    my $orig = $one->[$j];
                    my %h = ref $orig ? %$orig : ();
                    $h{value} = $pk->[$j];
                    push @req, \%h;
                }
                push @req_list, \@req;

            } else {
                bail_out("$name - Invalid syntax. $one should be a string or "
                         . "an array of packets.");
            }
            $i++;
        }

    } else {
        bail_out("$name - invalid ---request : MUST be string or array of requests");
    }

    return \@req_list;
}

# ---------------------------------------------------------------------
# talking to nginx

sub send_request {
    my ($req, $middle_delay, $timeout, $block) = @_;
    my $name = $block->name;

    my @bits = @$req;
    my $head_req = (join '', map { defined $_->{value} ? $_->{value} : '' } @bits)
                   =~ /^\s*HEAD\s+/ ? 1 : 0;

    my $addr = $block->server_addr_for_client;
    $addr = $ServerAddr unless defined $addr;
    my $port = $ServerPortForClient;

    my $sock;
    my $tries = 0;
    my $max_tries = $TotalConnectingTimeouts ? 20 : 50;
    while (1) {
        $sock = IO::Socket::INET->new(
            PeerAddr => $addr,
            PeerPort => $port,
            Proto    => 'tcp',
            Timeout  => $timeout,
        );
        last if $sock;

        my $err = $!;
        $tries++;

        if ($tries > $max_tries) {
            my $msg = "$name - Can't connect to $addr:$port: $err (aborted)\n";
            if (++$TotalConnectingTimeouts < 3) {
                _no_ending();
                Test::More::fail($msg);
            } else {
                bail_out($msg);
            }
            return (undef, $head_req);
        }

        if (defined $ChildPid && waitpid($ChildPid, WNOHANG) != 0) {
            undef $ChildPid;
            warn "WARNING: Child process is already gone.\n";
            if (open my $in, '<', $ErrLogFile) {
                my @l = <$in>;
                close $in;
                warn @l > 20 ? @l[-20 .. -1] : @l;
            }
            _no_ending();
            Test::More::fail("$name - Can't connect to $addr:$port: $err (aborted)\n");
            return (undef, $head_req);
        }

        my $wait = ($TestNginxSleep + $TestNginxSleep * $tries) * $tries / 2;
        $wait = 1 if $wait >= 1;
        if ($wait >= 0.6) {
            warn "$name - Can't connect to $addr:$port: $err\n";
            warn "\tRetry connecting after $wait sec\n" if $tries + 1 <= $max_tries;
        }
        sleep $wait;
    }

    $sock->blocking(0);
    local $SIG{PIPE} = 'IGNORE';

    my $resp = '';
    my $first = shift @bits;
    my $wbuf = defined $first->{value} ? $first->{value} : '';
    my $woff = 0;
    my $reading = 1;
    my $writing = 1;

    MAIN: while ($reading || $writing) {
        $! = 0;
        my $rv = '';
        my $wv = '';
        vec($rv, fileno($sock), 1) = 1 if $reading;
        vec($wv, fileno($sock), 1) = 1 if $writing;
        my $nfound = select($reading ? $rv : undef, $writing ? $wv : undef,
                            undef, $timeout);
        if ($nfound < 0) {
            next MAIN if $!{EINTR};
            warn "exception occurs on the socket: $!\n";
            last MAIN;
        }
        if ($nfound == 0) {
            close $sock;
            if (!defined $block->abort) {
                _no_ending();
                Test::More::fail("ERROR: client socket timed out - $name\n");
            } else {
                sleep 0.005;
            }
            last MAIN;
        }

        if ($reading && vec($rv, fileno($sock), 1)) {
            while (1) {
                my $buf;
                my $n = sysread($sock, $buf, 4096);
                if (!defined $n) {
                    last if $!{EAGAIN} || $!{EWOULDBLOCK};
                    next if $!{EINTR};
                    warn "WARNING: $name - HTTP response read failure: $!\n";
                    close $sock;
                    last MAIN;
                }
                if ($n == 0) {
                    # the server closed the connection: the response is complete
                    close $sock;
                    last MAIN;
                }
                $resp .= $buf;
            }
        }

        if ($writing && vec($wv, fileno($sock), 1)) {
            while (1) {
                my $rest = length($wbuf) - $woff;
                if ($rest > 0) {
                    my $n = syswrite($sock, $wbuf, $rest, $woff);
                    if (!defined $n) {
                        last if $!{EAGAIN} || $!{EWOULDBLOCK};
                        next if $!{EINTR};
                        my $err = "write failed: $!";
                        warn "$err\n";
                        $resp = $err if $resp eq '';
                        close $sock;
                        last MAIN;
                    }
                    $woff += $n;
                    next;
                }

                my $next = shift @bits;
                if (!$next) {
                    $writing = 0;
                    my $shutdown = $block->shutdown;
                    if (defined $shutdown) {
                        $shutdown = 1 if $shutdown =~ /^$/s;
                        shutdown($sock, $shutdown);
                    }
                    last;
                }
                $wbuf = defined $next->{value} ? $next->{value} : '';
                $woff = 0;
                my $delay = defined $next->{delay_before} ? $next->{delay_before}
                                                          : $middle_delay;
                sleep $delay if $delay;
            }
        }
    }

    return ($resp, $head_req);
}

# ---------------------------------------------------------------------
# responses

sub parse_response {
    my ($name, $raw, $head_req) = @_;

    my $left;
    my $raw_headers = $raw =~ /(.*?\r\n)\r\n/s ? $1 : '';

    my $res = Test::Nginx::Socket::Response->parse($raw);
    my $code = $res->code;

    if (defined $code && $code ne '' && $code !~ /^\d+$/) {
        undef $code;
        $res->code(undef);
    }

    if ($code && ($code == 304 || $code == 101)) {
        return ($res, $raw_headers);
    }

    my $enc = $res->header('Transfer-Encoding');
    my $len = $res->header('Content-Length');

    if (defined $enc && $enc eq 'chunked') {
        my $body = $res->content;
        $body = '' unless defined $body;
        my $decoded = '';
        pos($body) = 0;
        while (1) {
            if ($body =~ /\G0[ \t]*\r\n\r\n/gc) {
                if ($body =~ /\G(.+)/gcs) {
                    $left = $1;
                }
                last;
            }
            if ($body =~ /\G[ \t]*([A-Fa-f0-9]+)[ \t]*\r\n/gc) {
                my $size = hex $1;
                my $at = pos $body;
                if (length($body) - $at < $size) {
                    _no_ending();
                    Test::More::fail("$name - invalid chunked data received "
                        . "(not enought octets for the data section)");
                    return;
                }
                $decoded .= substr $body, $at, $size;
                pos($body) = $at + $size;
                if ($body !~ /\G\r\n/gc) {
                    _no_ending();
                    Test::More::fail("$name - invalid chunked data received "
                                     . "(expected CRLF).");
                    return;
                }
                next;
            }
            if ($body =~ /\G(.+)/gcs) {
                _no_ending();
                Test::More::fail("$name - invalid chunked body received: $1");
                return;
            }
            _no_ending();
            Test::More::fail("$name - no last chunk found - $body");
            return;
        }
        $res->content($decoded);

    } elsif (defined $len && $len =~ /^\s*(\d+)/) {
        my $want = $1;
        my $body = $res->content;
        $body = '' unless defined $body;
        if (length $body < $want) {
            if (!$head_req) {
                warn "WARNING: $name - response body truncated: $want "
                     . "expected, but got " . length($body) . "\n";
            }
        } elsif (length $body > $want) {
            $left = substr $body, $want;
            $res->content(substr $body, 0, $want);
        }
    }

    return ($res, $raw_headers, $left);
}

sub get_indexed_value {
    my ($name, $value, $req_idx, $need_array) = @_;
    if ($need_array) {
        if (ref $value && ref $value eq 'ARRAY') {
            return $value->[$req_idx];
        }
        bail_out("$name - You asked for many requests, the expected results "
                 . "should be arrays as well.");
    }
    if (ref $value && ref $value eq 'ARRAY') {
        return $value->[0];
    }
    return $value;
}

sub check_error_code {
    my ($block, $res, $dry_run, $req_idx, $need_array) = @_;
    my $name = $block->name;
    _skippable($dry_run, "$name - tests skipped due to $dry_run", sub {
        my $got = ($res && $res->code) || '';
        if (defined $block->error_code_like) {
            my $val = get_indexed_value($name, scalar($block->error_code_like),
                                        $req_idx, $need_array);
            Test::More::like($got, qr/$val/sm, "$name - status code ok");
        } elsif (defined $block->error_code) {
            Test::More::is($got,
                           get_indexed_value($name, scalar($block->error_code),
                                             $req_idx, $need_array),
                           "$name - status code ok");
        } else {
            Test::More::is($got, 200, "$name - status code ok");
        }
    });
}

sub check_raw_response_headers {
    my ($block, $raw_headers, $dry_run, $req_idx, $need_array) = @_;
    my $name = $block->name;
    if (defined $block->raw_response_headers_like) {
        _skippable($dry_run, "$name - raw_response_headers_like - tests skipped due to $dry_run", sub {
            my $exp = get_indexed_value($name, scalar($block->raw_response_headers_like),
                                        $req_idx, $need_array);
            Test::More::like($raw_headers, qr/$exp/s, "$name - raw resp headers like");
        });
    }
    if (defined $block->raw_response_headers_unlike) {
        _skippable($dry_run, "$name - raw_response_headers_unlike - tests skipped due to $dry_run", sub {
            my $exp = get_indexed_value($name, scalar($block->raw_response_headers_unlike),
                                        $req_idx, $need_array);
            Test::More::unlike($raw_headers, qr/$exp/s, "$name - raw resp headers unlike");
        });
    }
}

sub check_response_headers {
    my ($block, $res, $raw_headers, $dry_run, $req_idx, $need_array) = @_;
    my $name = $block->name;

    if (defined $block->response_headers) {
        my $hdrs = parse_headers(get_indexed_value($name, scalar($block->response_headers),
                                                   $req_idx, $need_array));
        for my $h (@$hdrs) {
            my ($key, $val) = @$h;
            if (!defined $val) {
                _skippable($dry_run, "$name - response_headers - tests skipped due to $dry_run", sub {
                    Test::More::unlike(defined $raw_headers ? $raw_headers : '',
                                       qr/^\s*\Q$key\E\s*:/ms,
                                       "$name - header $key not present in the raw headers");
                });
                next;
            }
            $val =~ s/\$ServerPort\b/$ServerPort/g;
            $val =~ s/\$ServerPortForClient\b/$ServerPortForClient/g;
            my $actual = $res ? $res->header($key) : undef;
            $actual = '' unless defined $actual;
            _skippable($dry_run, "$name - response_headers - tests skipped due to $dry_run", sub {
                Test::More::is($actual, $val, "$name - header $key ok");
            });
        }

    } elsif (defined $block->response_headers_like) {
        my $hdrs = parse_headers(get_indexed_value($name, scalar($block->response_headers_like),
                                                   $req_idx, $need_array));
        for my $h (@$hdrs) {
            my ($key, $val) = @$h;
            $val = '' unless defined $val;
            my $actual = $res ? $res->header($key) : undef;
            $actual = '' unless defined $actual;
            _skippable($dry_run, "$name - response_headers_like - tests skipped due to $dry_run", sub {
                Test::More::like($actual, qr/^$val$/, "$name - header $key like ok");
            });
        }
    }
}

my %BodyFilters = (
    md5_hex  => sub { require Digest::MD5; Digest::MD5::md5_hex($_[0]) },
    sha1_hex => sub { require Digest::SHA; Digest::SHA::sha1_hex($_[0]) },
    uc       => sub { uc $_[0] },
    lc       => sub { lc $_[0] },
    ucfirst  => sub { ucfirst $_[0] },
    lcfirst  => sub { lcfirst $_[0] },
    length   => sub { length $_[0] },
);

sub _run_body_filter {
    my ($block, $filter, $content) = @_;
    my $name = $block->name;
    if (ref $filter && ref $filter eq 'CODE') {
        return $filter->($content);
    }
    if (!ref $filter) {
        my $f = $BodyFilters{$filter}
            or bail_out("$name - unknown filter, \"$filter\", specified in the "
                        . "--- response_body_filters section");
        return $f->($content);
    }
    bail_out("$name - the --- response_body_filters section only supports "
             . "subroutine reference values and string values");
}

sub transform_response_body {
    my ($block, $res, $req_idx) = @_;
    return unless defined $res;
    my $content = $res->content;
    return unless defined $content;

    my $filters = $block->response_body_filters;
    return unless defined $filters;
    my $name = $block->name;

    if (!ref $filters) {
        $filters =~ s/^\s+|\s+$//gs;
        $filters = [split /\s+/, $filters];
    } elsif (ref $filters ne 'ARRAY') {
        $filters = [$filters];
    }

    my $filter = $filters;
    if (ref $filters->[0] eq 'ARRAY') {
        for my $e (@$filters) {
            if (ref $e ne 'ARRAY') {
                bail_out("$name - the --- response_body_filters two-dimensional "
                         . "array only be like [[uc], [lc]] not [[uc], lc]");
            }
        }
        $filter = $filters->[$req_idx];
        bail_out("$name - the ---response_body_filters two-dimensional array "
                 . "unmatch the specified request($req_idx)") unless defined $filter;
    }

    my $new = $content;
    if (ref $filter && ref $filter eq 'ARRAY') {
        $new = _run_body_filter($block, $_, $new) for @$filter;
    } else {
        $new = _run_body_filter($block, $filter, $new);
    }
    $res->content($new);
}

sub check_response_body {
    my ($block, $res, $dry_run, $req_idx, $repeated_req_idx, $need_array) = @_;
    my $name = $block->name;

    if (defined $block->response_body) {
        my $content = $res ? $res->content : undef;
        my $expected = get_indexed_value($name, scalar($block->response_body),
                                         $req_idx, $need_array);
        if ($block->charset) {
            require Encode;
            Encode::from_to($expected, 'UTF-8', scalar($block->charset));
        }
        if (defined $expected && !ref $expected) {
            $expected =~ s/\$ServerPort\b/$ServerPort/g;
            $expected =~ s/\$ServerPortForClient\b/$ServerPortForClient/g;
        }
        _skippable($dry_run, "$name - response_body - tests skipped due to $dry_run", sub {
            if (ref $expected) {
                Test::More::like($content, $expected,
                    "$name - response_body - like (repeated req $repeated_req_idx, req $req_idx)");
            } else {
                Test::More::is($content, $expected,
                    "$name - response_body - response is expected (repeated req $repeated_req_idx, req $req_idx)");
            }
        });

    } elsif (defined $block->response_body_like
             || defined $block->response_body_unlike)
    {
        my ($patterns, $type, $cmp);
        if (defined $block->response_body_like) {
            ($patterns, $type, $cmp) = (scalar($block->response_body_like), 'like',
                                        \&Test::More::like);
        } else {
            ($patterns, $type, $cmp) = (scalar($block->response_body_unlike), 'unlike',
                                        \&Test::More::unlike);
        }
        my $content = $res ? $res->content : undef;
        my $pat = get_indexed_value($name, $patterns, $req_idx, $need_array);
        $pat = '' unless defined $pat;
        $pat =~ s/\$ServerPort\b/$ServerPort/g;
        $pat =~ s/\$ServerPortForClient\b/$ServerPortForClient/g;
        my $summary = trim($content);
        $summary = '' unless defined $summary;
        _skippable($dry_run, "$name - response_body_$type - tests skipped due to $dry_run", sub {
            $cmp->($content, qr/$pat/s,
                   "$name - response_body_$type - response is expected ($summary)");
        });
    }

    for my $check (@ResponseBodyChecks) {
        $check->($block, $res ? $res->content : undef, $req_idx,
                 $repeated_req_idx, $dry_run);
    }
}

# ---------------------------------------------------------------------
# log checks

sub _fmt_str {
    my $s = shift;
    chomp $s;
    $s =~ s/"/\\"/g;
    $s =~ s/\r/\\r/g;
    $s =~ s/\n/\\n/g;
    return $s;
}

sub _pattern_list {
    my $pats = shift;
    if (!ref $pats) {
        chomp $pats;
        return [split /\n+/, $pats];
    }
    return [$pats] if ref $pats eq 'Regexp';
    return [@$pats];
}

sub _value_contains {
    my ($val, $pat) = @_;
    if (!ref $val || ref $val eq 'Regexp') {
        return "$val" =~ /\Q$pat\E/;
    }
    if (ref $val eq 'ARRAY') {
        for my $v (@$val) {
            return 1 if _value_contains($v, $pat);
        }
    }
    return undef;
}

sub _line_matches {
    my ($line, $pat) = @_;
    return ref $pat ? $line =~ /$pat/ : $line =~ /\Q$pat\E/;
}

# must-match patterns: one pass per pattern found, one fail per missing one
sub _check_present {
    my ($lines, $pats, $dry_run, $skipmsg, $pass_fmt, $fail_fmt) = @_;
    my @p = @$pats;
    for my $line (@$lines) {
        for my $pat (@p) {
            next unless defined $pat;
            if (_line_matches($line, $pat)) {
                my $shown = $pat;
                _skippable($dry_run, $skipmsg, sub {
                    Test::More::pass(sprintf $pass_fmt, $shown);
                });
                undef $pat;
            }
        }
    }
    for my $pat (@p) {
        next unless defined $pat;
        _skippable($dry_run, $skipmsg, sub {
            Test::More::fail(sprintf $fail_fmt, $pat);
        });
    }
}

# must-not-match patterns: one fail per matching line, one pass per
# pattern that matched nothing
sub _check_absent {
    my ($lines, $pats, $dry_run, $skipmsg, $file, $suffix) = @_;
    my %found;
    for my $i (0 .. $#$lines) {
        my $line = $lines->[$i];
        for my $pat (@$pats) {
            next unless defined $pat;
            next unless _line_matches($line, $pat);
            if ($found{$pat}++) {
                _no_ending();
            }
            my $ln = _fmt_str($line);
            my $p = _fmt_str("$pat");
            my @more;
            for (my $j = $i + 1; $j < min($i + 10, @$lines - 1); $j++) {
                push @more, $lines->[$j];
            }
            my $msg = "$suffix->[0] - pattern \"$p\" should not match any "
                      . "line in $file but matches line \"$ln\"$suffix->[1]\n"
                      . join '', @more;
            _skippable($dry_run, "$skipmsg ($line)", sub {
                Test::More::fail($msg);
            });
        }
    }
    for my $pat (@$pats) {
        next unless defined $pat;
        next if $found{$pat};
        my $p = _fmt_str("$pat");
        _skippable($dry_run, $skipmsg, sub {
            Test::More::pass("$suffix->[0] - pattern \"$p\" does not match a line in $file$suffix->[1]");
        });
    }
}

sub check_error_log {
    my ($block, $res, $dry_run, $repeated_req_idx, $need_array) = @_;
    my $name = $block->name;
    my $lines;

    my ($warn_alert, $warn_crit, $warn_emerg) = (1, 1, 1);

    my $grep_pat;
    my $grep_pats = $block->grep_error_log;
    if (defined $grep_pats) {
        $grep_pat = (ref $grep_pats && ref $grep_pats eq 'ARRAY')
                    ? $grep_pats->[$repeated_req_idx] : $grep_pats;
    } elsif (defined $block->grep_error_log_out) {
        bail_out("$name - No --- grep_error_log defined but --- grep_error_log_out is defined");
    }

    if (defined $grep_pat) {
        my $expected = $block->grep_error_log_out;
        if (!defined $expected) {
            bail_out("$name - No --- grep_error_log_out defined but --- grep_error_log is defined");
        }
        if (ref $expected && ref $expected eq 'ARRAY') {
            $expected = $expected->[$repeated_req_idx];
        }
        _skippable($dry_run, "$name - error_log - tests skipped due to $dry_run", sub {
            $lines ||= error_log_data();
            my $matched = '';
            for my $line (@{ $lines || [] }) {
                # (the match must happen here for $& to be visible)
                my $m;
                if (ref $grep_pat) {
                    $m = $& if $line =~ /$grep_pat/;
                } else {
                    $m = $& if $line =~ /\Q$grep_pat\E/;
                }
                $matched .= "$m\n" if defined $m && $m !~ /\n/;
            }
            if (ref $expected eq 'Regexp') {
                Test::More::like($matched, $expected,
                                 "$name - grep_error_log_out (req $repeated_req_idx)");
            } else {
                Test::More::is($matched, $expected,
                               "$name - grep_error_log_out (req $repeated_req_idx)");
            }
        });
    }

    for my $sec (qw(error_log no_error_log)) {
        my $pats = $block->$sec;
        next unless defined $pats;
        $warn_alert = 0 if _value_contains($pats, "[alert");
        $warn_crit  = 0 if _value_contains($pats, "[crit");
        $warn_emerg = 0 if _value_contains($pats, "[emerg");
    }

    if (defined $block->error_log) {
        my $pats = _pattern_list(scalar($block->error_log));
        $lines ||= error_log_data();
        _check_present($lines || [], $pats, $dry_run,
            "$name - error_log - tests skipped due to $dry_run",
            "$name - pattern \"%s\" matches a line in error.log (req $repeated_req_idx)",
            "$name - pattern \"%s\" should match a line in error.log (req $repeated_req_idx)");
    }

    if (defined $block->no_error_log) {
        my $pats = _pattern_list(scalar($block->no_error_log));
        $lines ||= error_log_data();
        _check_absent($lines || [], $pats, $dry_run,
            "$name - no_error_log - tests skipped due to $dry_run",
            'error.log', [$name, " (req $repeated_req_idx)"]);
    }

    if (!$dry_run) {
        $lines ||= error_log_data();
        for my $line (@{ $lines || [] }) {
            if (($warn_alert && $line =~ /\[alert\]/)
                || ($warn_crit && $line =~ /\[crit\]/)
                || ($warn_emerg && $line =~ /\[emerg\]/))
            {
                warn "WARNING: $name - " . _fmt_str($line) . "\n";
            }
        }
    }

    for my $line (@{ $lines || [] }) {
        if ($line =~ /\bAssertion .*?failed\b/) {
            _no_ending();
            my $l = $line;
            chomp $l;
            Test::More::fail("$name - $l\n");
        }
    }
}

sub check_access_log {
    my ($block, $dry_run, $repeated_req_idx) = @_;
    my $name = $block->name;
    my $lines;

    if (defined $block->access_log) {
        my $pats = _pattern_list(scalar($block->access_log));
        $lines ||= access_log_data();
        _check_present($lines, $pats, $dry_run,
            "$name - access_log - tests skipped due to $dry_run",
            "$name - pattern \"%s\" matches a line in access.log (req $repeated_req_idx)",
            "$name - pattern \"%s\" should match a line in access.log (req $repeated_req_idx)");
    }

    if (defined $block->no_access_log) {
        my $pats = _pattern_list(scalar($block->no_access_log));
        $lines ||= access_log_data();
        _check_absent($lines, $pats, $dry_run,
            "$name - no_access_log - tests skipped due to $dry_run",
            'access.log', [$name, " (req $repeated_req_idx)"]);
    }
}

sub check_shutdown_error_log {
    my ($block, $dry_run) = @_;
    my $name = $block->name;
    my $lines;

    if (defined $block->no_shutdown_error_log) {
        my $pats = _pattern_list(scalar($block->no_shutdown_error_log));
        $lines ||= error_log_data();
        _check_absent($lines || [], $pats, $dry_run,
            "$name - no_shutdown_error_log - tests skipped due to $dry_run",
            'error.log', [$name, '']);
    }

    if (defined $block->shutdown_error_log) {
        my $pats = _pattern_list(scalar($block->shutdown_error_log));
        $lines ||= error_log_data();
        _check_present($lines || [], $pats, $dry_run,
            "$name - shutdown_error_log - tests skipped due to dry_run",
            "$name - pattern \"%s\" matches a line in error.log",
            "$name - pattern \"%s\" should match a line in error.log");
    }

    for my $line (@{ $lines || [] }) {
        if ($line =~ /\bAssertion .*? failed\.$/) {
            _no_ending();
            my $l = $line;
            chomp $l;
            Test::More::fail("$name - $l");
        }
    }
}

# ---------------------------------------------------------------------
# one request/response round (or several) of a block

sub run_test_helper {
    my ($block, $dry_run, $repeated_req_idx) = @_;
    my $name = $block->name;

    my $reqs = get_req_from_block($block);
    if (!@$reqs) {
        bail_out("$name - request empty");
    }

    my $timeout = parse_time(scalar($block->timeout));
    $timeout = timeout() unless defined $timeout;

    my ($res, $n, $need_array);
    my $req_idx = 0;

    for my $one_req (@$reqs) {
        my ($raw_resp, $head_req);
        if ($dry_run) {
            $raw_resp = "200 OK HTTP/1.0\r\nContent-Length: 0\r\n\r\n";
        } else {
            ($raw_resp, $head_req) = send_request($one_req,
                scalar($block->raw_request_middle_delay), $timeout, $block);
        }

        if ($block->pipelined_requests) {
            $n = @{ $block->pipelined_requests };
            $need_array = 1;
        } else {
            $need_array = @$reqs > 1;
        }

        while (1) {
            $raw_resp = '' unless defined $raw_resp;
            my ($raw_headers, $left);

            if (!defined $block->ignore_response) {
                if (defined $block->http09) {
                    $res = Test::Nginx::Socket::Response->new(200, 'OK', $raw_resp);
                    $raw_headers = '';
                } else {
                    ($res, $raw_headers, $left) = parse_response($name, $raw_resp, $head_req);
                }
            }

            if (!$n) {
                if (defined $left && length $left) {
                    (my $l = $left) =~ s/([\0-\037\200-\377])/sprintf('\x{%02x}', ord $1)/eg;
                    warn "WARNING: $name - unexpected extra bytes after last chunk in "
                         . "response: \"$l\"\n";
                }
            } else {
                $raw_resp = $left;
                $n--;
            }

            if (!defined $block->ignore_response) {
                check_error_code($block, $res, $dry_run, $req_idx, $need_array);
                check_raw_response_headers($block, $raw_headers, $dry_run, $req_idx, $need_array);
                check_response_headers($block, $res, $raw_headers, $dry_run, $req_idx, $need_array);
                transform_response_body($block, $res, $req_idx);
                check_response_body($block, $res, $dry_run, $req_idx,
                                    $repeated_req_idx, $need_array);
            }

            # the log checks also run after each but the last response,
            # each time over the log lines written since the previous check
            if ($n || $req_idx < @$reqs - 1) {
                sleep $block->wait if $block->wait;
                check_error_log($block, $res, $dry_run, $repeated_req_idx, $need_array);
                check_access_log($block, $dry_run, $repeated_req_idx)
                    unless defined $block->ignore_response;
            }

            $req_idx++;
            last unless $n;
        }
    }

    sleep $block->wait if $block->wait;

    check_error_log($block, $res, $dry_run, $repeated_req_idx, $need_array);
    check_access_log($block, $dry_run, $repeated_req_idx)
        unless defined $block->ignore_response;
}

END {
    if (!$InSubprocess) {
        local $?;
        cleanup();
        if ($UseValgrind || !$ENV{TEST_NGINX_NO_CLEAN}) {
            if (-f $PidFile) {
                my $pid = get_pid_from_pidfile('END');
                if ($pid ne '' && is_running($pid)) {
                    kill_process($pid, 1, "END");
                } else {
                    unlink $PidFile;
                }
            }
        }
        check_prev_block_shutdown_error_log();

        # TEST_NGINX_RANDOMIZE: the per-run server root goes away
        if ($Test::Nginx::Util::Randomize && defined $ServRoot
            && $ServRoot =~ m{/t/servroot_\d+\z} && -d $ServRoot)
        {
            File::Path::remove_tree($ServRoot);
        }
    }
}

# ---------------------------------------------------------------------
# a minimal HTTP response (what HTTP::Response->parse gives for our use)

package Test::Nginx::Socket::Response;

use strict;
use warnings;

sub new {
    my ($class, $code, $msg, $content) = @_;
    return bless { code => $code, message => $msg, headers => [],
                   content => $content }, $class;
}

sub parse {
    my ($class, $str) = @_;
    $str = '' unless defined $str;

    my $status;
    if ($str =~ s/^(.*)\n//) {
        $status = $1;
    } else {
        ($status, $str) = ($str, '');
    }
    $status =~ s/\r\z//;

    my @hdrs;
    while (1) {
        if ($str =~ s/^([^\s:]+)[ \t]*: ?(.*)\n?//) {
            my ($k, $v) = ($1, $2);
            $v =~ s/\r\z//;
            push @hdrs, [$k, $v];
        } elsif (@hdrs && $str =~ s/^([ \t].*)\n?//) {
            my $c = $1;
            $c =~ s/\r\z//;
            $hdrs[-1][1] .= "\n$c";
        } else {
            $str =~ s/^\r?\n//;
            last;
        }
    }

    my ($proto, $code, $msg);
    if ($status =~ /^\d{3} /) {
        ($code, $msg) = split ' ', $status, 2;
    } else {
        ($proto, $code, $msg) = split ' ', $status, 3;
    }

    return bless { code => $code, message => $msg, protocol => $proto,
                   headers => \@hdrs, content => $str }, $class;
}

sub code {
    my $self = shift;
    $self->{code} = shift if @_;
    return $self->{code};
}

sub message { $_[0]->{message} }

sub content {
    my $self = shift;
    $self->{content} = shift if @_;
    return $self->{content};
}

# all values of the named header joined by ", " (case-insensitive name,
# "_" standing for "-"), undef when absent
sub header {
    my ($self, $name) = @_;
    $name =~ tr/_/-/ unless $name =~ /^:/;
    my @v = map { $_->[1] } grep { lc $_->[0] eq lc $name } @{ $self->{headers} };
    return undef unless @v;
    return join ', ', @v;
}

1;
