package Test::Nginx::Util;

# Settings, nginx.conf generation and nginx process management for the
# project's fallback Test::Nginx::Socket.  See t/lib/README.md.

use strict;
use warnings;

use POSIX qw(WNOHANG);
use File::Spec ();
use File::Path qw(make_path remove_tree);
use Time::HiRes qw(sleep);
use IO::Socket::INET ();
use Carp qw(croak);
use Test::More ();

use Exporter 'import';

our $VERSION = '0.01';

our @EXPORT = qw(
    $Verbose $Timeout $NginxBinary $Workers $WorkerConnections $LogLevel
    $MasterProcessEnabled $DaemonEnabled $ServerPort $ServerPortForClient
    $ServerAddr $ServerName $NoRootLocation $TestNginxSleep
    $ForceRestartOnTest $RepeatEach $NoShuffle $UseValgrind $LoadModules
    $NoNginxManager $CheckAccumErrLog $NoLongString $ConfigPreamble
    $ServRoot $LogDir $ErrLogFile $AccLogFile $HtmlDir $ConfDir $ConfFile
    $PidFile $ErrLogFilePos $ChildPid $InSubprocess $NginxVersion
    $NginxRawVersion $OpenSSLVersion $UseHup @EnvToNginx @BlockPreprocessors
    @CleanupHandlers

    env_to_nginx no_long_string is_str server_addr server_name timeout
    no_shuffle no_nginx_manager use_hup repeat_each worker_connections
    no_root_location workers log_level check_accum_error_log master_on
    master_off master_process_enabled config_preamble add_block_preprocessor
    add_cleanup_handler html_dir server_root server_port
    server_port_for_client sleep_time verbose bail_out cleanup parse_time
    is_running kill_process error_log_data access_log_data
    setup_server_root write_user_files write_config_file expand_env_in_text
    get_nginx_version get_canon_version get_canon_version_for_OpenSSL
    get_pid_from_pidfile can_run trim show_all_chars parse_headers
    check_if_missing_directives gen_rand_port
);

our $Verbose            = $ENV{TEST_NGINX_VERBOSE};
our $Timeout            = $ENV{TEST_NGINX_TIMEOUT} || 3;
our $NginxBinary        = $ENV{TEST_NGINX_BINARY} || 'nginx';
our $Workers            = 1;
our $WorkerConnections  = 64;
our $LogLevel           = $ENV{TEST_NGINX_LOG_LEVEL} || 'debug';
our $MasterProcessEnabled = $ENV{TEST_NGINX_MASTER_PROCESS} || 'off';
our $DaemonEnabled      = 'on';
our $ServerPort         = $ENV{TEST_NGINX_SERVER_PORT} || $ENV{TEST_NGINX_PORT}
                          || 1984;
our $ServerPortForClient = $ENV{TEST_NGINX_CLIENT_PORT} || $ServerPort || 1984;
our $ServerAddr         = '127.0.0.1';
our $ServerName         = 'localhost';
our $NoRootLocation     = 0;
our $TestNginxSleep     = $ENV{TEST_NGINX_SLEEP} || 0.015;
our $ForceRestartOnTest = defined $ENV{TEST_NGINX_FORCE_RESTART_ON_TEST}
                          ? $ENV{TEST_NGINX_FORCE_RESTART_ON_TEST} : 1;
our $RepeatEach         = 1;
our $NoShuffle          = $ENV{TEST_NGINX_NO_SHUFFLE} || 0;
our $UseValgrind        = $ENV{TEST_NGINX_USE_VALGRIND};
our $LoadModules        = $ENV{TEST_NGINX_LOAD_MODULES};
our $NoNginxManager     = $ENV{TEST_NGINX_NO_NGINX_MANAGER} || 0;
our $CheckAccumErrLog   = $ENV{TEST_NGINX_CHECK_ACCUM_ERR_LOG};
our $Randomize          = $ENV{TEST_NGINX_RANDOMIZE};
our $ReusePort          = $ENV{TEST_NGINX_REUSE_PORT};
our $EventType          = $ENV{TEST_NGINX_EVENT_TYPE};
our $WorkerUser         = $ENV{TEST_NGINX_WORKER_USER};
our $UseHup             = $ENV{TEST_NGINX_USE_HUP};
our $NoLongString;
our $ConfigPreamble     = '';
our $ErrLogFilePos      = 0;
our $ChildPid;
our $InSubprocess;
our ($NginxVersion, $NginxRawVersion, $OpenSSLVersion);
our (@EnvToNginx, @BlockPreprocessors, @CleanupHandlers);

if (defined $WorkerUser && $WorkerUser !~ /^\w+(?:\s+\w+)?$/) {
    die "Bad value in the env TEST_NGINX_WORKER_USER: $WorkerUser\n";
}

# nginx must stay in the foreground when it runs under valgrind
if ($UseValgrind) {
    $DaemonEnabled = 'off';
}

srand $$;

if ($Randomize) {
    $ServerPort = gen_rand_port(1000);
    if (!defined $ServerPort) {
        bail_out("Cannot find an available listening port number after "
                 . "1000 attempts.\n");
    }
    $ServerPortForClient = $ServerPort;
}

our $ServRoot = $Randomize
    ? File::Spec->rel2abs("t/servroot_$ServerPort")
    : File::Spec->rel2abs($ENV{TEST_NGINX_SERVROOT} || 't/servroot');
$ENV{TEST_NGINX_SERVER_ROOT} = $ServRoot;

our $LogDir     = File::Spec->catfile($ServRoot, 'logs');
our $ErrLogFile = File::Spec->catfile($LogDir, 'error.log');
our $AccLogFile = File::Spec->catfile($LogDir, 'access.log');
our $HtmlDir    = File::Spec->catfile($ServRoot, 'html');
our $ConfDir    = File::Spec->catfile($ServRoot, 'conf');
our $ConfFile   = File::Spec->catfile($ConfDir, 'nginx.conf');
our $PidFile    = File::Spec->catfile($LogDir, 'nginx.pid');

# ---------------------------------------------------------------------
# settings API

sub env_to_nginx {
    croak "env_to_nginx: no arguments specified" unless @_;
    for my $v (@_) {
        if ($v !~ /^[A-Za-z_]/ || $v =~ /\n/) {
            croak "env_to_nginx: bad argument value: $v\n";
        }
        push @EnvToNginx, $v;
    }
}

sub no_long_string { $NoLongString = 1 }

sub is_str {
    my ($got, $expected, $desc) = @_;
    if (ref $expected && ref $expected eq 'Regexp') {
        return Test::More::like($got, $expected, $desc);
    }
    return Test::More::is($got, $expected, $desc);
}

sub server_addr { if (@_) { $ServerAddr = shift } else { return $ServerAddr } }
sub server_name { if (@_) { $ServerName = shift } else { return $ServerName } }
sub timeout     { if (@_) { $Timeout = shift } else { return $Timeout } }
sub no_shuffle  { $NoShuffle = 1 }
sub no_nginx_manager { $NoNginxManager = 1 }
sub use_hup     { $UseHup = 1 }

sub repeat_each {
    $RepeatEach = shift if @_;
    return $RepeatEach;
}

sub worker_connections {
    if (@_) { $WorkerConnections = shift } else { return $WorkerConnections }
}

sub no_root_location { $NoRootLocation = 1 }

sub workers { if (@_) { $Workers = shift } else { return $Workers } }

sub log_level { if (@_) { $LogLevel = shift } else { return $LogLevel } }

sub check_accum_error_log { $CheckAccumErrLog = 1 }

sub master_on  { $MasterProcessEnabled = 'on' }
sub master_off { $MasterProcessEnabled = 'off' }

sub master_process_enabled {
    if (@_) {
        $MasterProcessEnabled = shift() ? 'on' : 'off';
    } else {
        return $MasterProcessEnabled;
    }
}

sub config_preamble { $ConfigPreamble = shift }

# Later registrations run first, like the original.
sub add_block_preprocessor { unshift @BlockPreprocessors, shift }

sub add_cleanup_handler { unshift @CleanupHandlers, shift }

sub html_dir    { return $HtmlDir }
sub server_root { return $ServRoot }

sub server_port {
    if (@_) { $ServerPort = shift } else { return $ServerPort }
}

sub server_port_for_client {
    if (@_) { $ServerPortForClient = shift } else { return $ServerPortForClient }
}

sub sleep_time { return $TestNginxSleep }
sub verbose    { return $Verbose }

# ---------------------------------------------------------------------
# helpers

sub parse_time {
    my $tm = shift;
    if (defined $tm) {
        if ($tm =~ s/([^_a-zA-Z])ms$/$1/) {
            $tm = $tm / 1000;
        } else {
            $tm =~ s/([^_a-zA-Z])s$/$1/;
        }
    }
    return $tm;
}

sub trim {
    my $s = shift;
    return undef unless defined $s;
    $s =~ s/^\s+|\s+$//g;
    $s =~ s/\n/ /gs;
    $s =~ s/\s{2,}/ /gs;
    return $s;
}

sub show_all_chars {
    my $s = shift;
    $s =~ s/\n/\\n/gs;
    $s =~ s/\r/\\r/gs;
    $s =~ s/\t/\\t/gs;
    return $s;
}

# "Name: value" lines to an ordered list of [name, value]; "!Name" gives
# [name, undef] (meaning: must be absent).
sub parse_headers {
    my $s = shift;
    my @out;
    for my $line (split /\n/, $s) {
        $line =~ s/^\s+|\s+$//g;
        if ($line =~ s/^!\s*//) {
            push @out, [$line, undef];
        } else {
            my ($k, $v) = split /\s*:\s*/, $line, 2;
            $k = '' unless defined $k;
            push @out, [$k, $v];
        }
    }
    # a later line for the same name replaces an earlier one
    my (%seen, @uniq);
    for my $h (reverse @out) {
        next if $seen{$h->[0]}++;
        unshift @uniq, $h;
    }
    return \@uniq;
}

sub gen_rand_port {
    my ($tries, $used) = @_;
    $tries ||= 1000;
    $used ||= {};
    for (1 .. $tries) {
        my $port = int(rand 63550) + 1985;
        next if $used->{$port};
        my $sock = IO::Socket::INET->new(
            LocalAddr => $ServerAddr,
            LocalPort => $port,
            Proto     => 'tcp',
            Timeout   => 0.1,
        );
        if ($sock) {
            close $sock;
            return $port;
        }
    }
    return undef;
}

sub is_running {
    my $pid = shift;
    return 0 unless defined $pid && $pid =~ /\A\d+\z/ && $pid > 1;
    return 0 unless kill 0, $pid;
    # guard against a stale pid file whose pid now belongs to something else
    if (open my $fh, '<', "/proc/$pid/cmdline") {
        local $/;
        my $cmd = <$fh>;
        close $fh;
        return 0 if defined $cmd && length $cmd
                    && index($cmd, $ServRoot) < 0
                    && $cmd !~ /nginx|openresty|valgrind/;
        if (open my $st, '<', "/proc/$pid/stat") {
            my $stat = <$st>;
            close $st;
            if (defined $stat && $stat =~ /\)\s+Z\s/) {
                waitpid($pid, WNOHANG);
                return 0;
            }
        }
    }
    return 1;
}

# Graceful stop (QUIT), then TERM, then KILL.
sub kill_process {
    my ($pid, $wait, $name) = @_;
    return unless is_running($pid);

    if ($wait) {
        kill 'QUIT', $pid;
        my $left = timeout();
        while ($left > 0 && is_running($pid)) {
            waitpid($pid, WNOHANG);
            sleep 0.05;
            $left -= 0.05;
        }
        return unless is_running($pid);
        warn "$name - timeout when waiting for the process $pid to exit\n";
    }

    for (1 .. 20) {
        return unless is_running($pid);
        kill 'TERM', $pid;
        waitpid($pid, WNOHANG);
        sleep 0.1;
    }

    return unless is_running($pid);
    warn "$name - WARNING: killing the child process $pid with force...\n";
    if (getpgrp($pid) == $pid) {
        kill 'KILL', -$pid;
    } else {
        kill 'KILL', $pid;
    }
    waitpid($pid, WNOHANG);
    sleep 0.05;
}

sub cleanup {
    $_->() for @CleanupHandlers;
    if (defined $ChildPid) {
        kill_process($ChildPid, 1, "cleanup");
        waitpid($ChildPid, WNOHANG);
        undef $ChildPid;
    }
}

sub bail_out {
    cleanup();
    Test::More::BAIL_OUT(join '', @_);
}

sub _read_log_lines {
    my ($file, $track) = @_;
    open my $in, '<', $file or return undef;
    if ($track && !$CheckAccumErrLog && $ErrLogFilePos > 0) {
        seek $in, $ErrLogFilePos, 0;
    }
    my @lines = <$in>;
    if ($track && !$CheckAccumErrLog) {
        $ErrLogFilePos = tell $in;
    }
    close $in;
    return \@lines;
}

# Lines written to error.log since the previous call (for this block's
# nginx instance), or the whole file under check_accum_error_log().
sub error_log_data {
    # give nginx a moment for log-phase output after the connection closed
    sleep $TestNginxSleep * 3;
    return _read_log_lines($ErrLogFile, 1);
}

sub access_log_data {
    sleep $TestNginxSleep * 3;
    my $lines = _read_log_lines($AccLogFile, 0);
    die "open $AccLogFile failed: $!" unless $lines;
    return $lines;
}

sub get_pid_from_pidfile {
    my ($name) = @_;
    open my $in, '<', $PidFile
        or bail_out("$name - Failed to open the pid file $PidFile for reading: $!");
    my $pid = do { local $/; <$in> };
    close $in;
    $pid = '' unless defined $pid;
    $pid =~ s/^\s+|\s+$//g;
    return $pid;
}

sub can_run {
    my ($cmd) = @_;
    if ($cmd =~ m{/}) {
        return (-f $cmd && -x _) ? $cmd : undef;
    }
    for my $dir (split(/:/, $ENV{PATH} || ''), '.') {
        next if $dir eq '';
        my $abs = File::Spec->catfile($dir, $cmd);
        return $abs if -f $abs && -x _;
    }
    return undef;
}

sub get_canon_version {
    return sprintf "%d.%03d%03d", $_[0], $_[1], $_[2];
}

sub get_canon_version_for_OpenSSL {
    if (defined $_[3]) {
        return sprintf "%d.%03d%03d%03d", $_[0], $_[1], $_[2],
                       ord($_[3]) - ord('a');
    }
    return get_canon_version(@_);
}

sub get_nginx_version {
    my $out = `$NginxBinary -V 2>&1`;
    if (!defined $out || $? != 0) {
        $out = '' unless defined $out;
        bail_out("Failed to get the version of the Nginx in PATH: $out");
    }
    if ($out =~ m{built with OpenSSL (\d+)\.(\d+)\.(\d+)([a-z])?}s) {
        $OpenSSLVersion = get_canon_version_for_OpenSSL($1, $2, $3, $4);
    }
    if ($out =~ m{(?:nginx|openresty)[^/]*/(\d+)\.(\d+)\.(\d+)}s
        || $out =~ m{\w+/(\d+)\.(\d+)\.(\d+)}s)
    {
        $NginxRawVersion = "$1.$2.$3";
        return get_canon_version($1, $2, $3);
    }
    bail_out("Failed to parse the output of \"nginx -V\": $out\n");
}

# $TEST_NGINX_XXX -> $ENV{TEST_NGINX_XXX}; an undefined variable aborts
# the whole run.  $TEST_NGINX_RAND_PORT_N -> a free port (same N, same port
# within a block).
sub expand_env_in_text {
    my ($text, $name, $rand_ports) = @_;
    return undef unless defined $text;
    $rand_ports ||= {};

    $text =~ s{\$(TEST_NGINX_[_A-Z0-9]+)}{
        my $var = $1;
        my $val;
        if ($var =~ /^TEST_NGINX_RAND_PORT_[0-9]+$/) {
            if (!defined $rand_ports->{$var}) {
                my %used = ($ServerPort => 1, map { $_ => 1 } values %$rand_ports);
                my $p = gen_rand_port(1000, \%used);
                if (!defined $p) {
                    bail_out("$name - Cannot find an available listening port number for $var.\n");
                }
                $rand_ports->{$var} = $p;
            }
            $val = $rand_ports->{$var};
        } else {
            if (!defined $ENV{$var}) {
                bail_out("$name - No environment $var defined.\n");
            }
            $val = $ENV{$var};
        }
        $val;
    }ge;

    return $text;
}

sub check_if_missing_directives {
    open my $in, '<', $ErrLogFile or return 0;
    while (<$in>) {
        if (/\[emerg\] \S+?: unknown directive "([^"]+)"/) {
            close $in;
            return $1;
        }
    }
    close $in;
    return 0;
}

# Fresh server root: conf/, html/ (with index.html) and logs/ are wiped
# and recreated; nginx itself creates its *_temp directories.
sub setup_server_root {
    if (-d $ServRoot) {
        # only remove what we create, so a mistaken TEST_NGINX_SERVROOT
        # cannot wipe unrelated data
        remove_tree($ConfDir, glob("$ServRoot/*_cache"),
                    glob("$ServRoot/*_temp"), $HtmlDir, $LogDir);
        rmdir $ServRoot
            or bail_out("Can't remove $ServRoot (not empty?): $!");
    }
    for my $d ($ServRoot, $LogDir, $HtmlDir, $ConfDir) {
        next if -d $d;
        mkdir $d or bail_out("Failed to do mkdir $d\n");
    }
    my $index = "$HtmlDir/index.html";
    open my $out, '>', $index
        or bail_out("Can't open $index for writing: $!\n");
    print $out '<html><head><title>It works!</title></head>'
               . '<body>It works!</body></html>';
    close $out;
}

sub write_user_files {
    my ($block, $rand_ports) = @_;
    my $name = $block->name;
    my $files = $block->user_files;
    return unless $files;

    if (!ref $files) {
        my @list;
        my $cur;
        for my $line (split /^/m, $files) {
            if ($line =~ />>> (\S+)(?:\s+(.+))?/) {
                push @list, $cur if $cur;
                $cur = [$1, undef, $2];
            } elsif ($cur) {
                $cur->[1] .= $line;
            }
        }
        push @list, $cur if $cur;
        $files = \@list;
    } elsif (ref $files ne 'ARRAY') {
        bail_out("$name - wrong value type: ", ref $files,
                 ", only scalar or ARRAY are accepted");
    }

    for my $f (@$files) {
        my ($fname, $body, $date) = @$f;
        $body = '' unless defined $body;
        my $path = $fname =~ m{^/} ? $fname : "$HtmlDir/$fname";
        if ($path =~ m{(.*)/}) {
            my $dir = $1;
            if (!-d $dir) {
                make_path($dir)
                    or bail_out("$name - Cannot create directory ", $dir);
            }
        }
        $body = expand_env_in_text($body, $name, $rand_ports);
        open my $out, '>', $path
            or bail_out("$name - Cannot open $path for writing: $!\n");
        binmode $out;
        print $out $body;
        close $out;
        if ($date) {
            local $ENV{TZ} = 'GMT';
            system('touch', '-t', $date, $path) == 0
                or bail_out("Failed to run shell command: touch -t '$date' $path\n");
        }
    }
}

sub write_config_file {
    my ($block, $config, $rand_ports, $force_daemon) = @_;

    my $name = $block->name;
    my $http_config = expand_env_in_text(scalar($block->http_config), $name, $rand_ports);
    my $main_config = $block->main_config;
    my $post_main_config = $block->post_main_config;
    my $err_log_file = $block->error_log_file || $ErrLogFile;
    my $server_name = $block->server_name;
    $server_name = $ServerName unless defined $server_name;

    $config = '' unless defined $config;
    $http_config = '' unless defined $http_config;
    $main_config = '' unless defined $main_config;

    # TEST_NGINX_LOAD_MODULES: load_module lines follow the block's
    # main_config, before the http {} block
    if ($LoadModules) {
        my @mods = map { "load_module $_;" } grep { length } split /\s+/, $LoadModules;
        $main_config .= join ' ', @mods if @mods;
    }
    $main_config = expand_env_in_text($main_config, $name, $rand_ports);

    $post_main_config = '' unless defined $post_main_config;
    $post_main_config = expand_env_in_text($post_main_config, $name, $rand_ports);

    my $daemon = $force_daemon ? 'on' : $DaemonEnabled;

    my $listen_opts = $ReusePort ? ' reuseport' : '';

    my $c = '';
    $c .= "worker_processes  $Workers;\n";
    $c .= "daemon $daemon;\n";
    $c .= "master_process $MasterProcessEnabled;\n";
    $c .= "error_log $err_log_file $LogLevel;\n";
    $c .= "pid       $PidFile;\n";
    $c .= "env $_;\n" for qw(MOCKEAGAIN_VERBOSE MOCKEAGAIN
                             MOCKEAGAIN_WRITE_TIMEOUT_PATTERN LD_PRELOAD
                             LD_LIBRARY_PATH DYLD_INSERT_LIBRARIES
                             DYLD_FORCE_FLAT_NAMESPACE);
    for my $v (@EnvToNginx) {
        my $e = $v =~ /\s/ ? "'$v'" : $v;
        $c .= "env $e;\n";
    }
    $c .= "\n# ---- main_config (+ TEST_NGINX_LOAD_MODULES) ----\n";
    $c .= "$main_config\n\n";
    $c .= "http {\n";
    $c .= "    access_log $AccLogFile;\n\n";
    $c .= "    default_type text/plain;\n";
    $c .= "    keepalive_timeout  68;\n\n";
    $c .= "    # ---- http_config ----\n";
    $c .= "$http_config\n\n";
    $c .= "    server {\n";
    $c .= "        listen          $ServerPort$listen_opts;\n";
    $c .= "        server_name     '$server_name';\n\n";
    $c .= "        client_max_body_size 30M;\n\n";
    $c .= "        # ---- config_preamble ----\n";
    $c .= "$ConfigPreamble\n";
    $c .= "        # ---- config (test block) ----\n";
    $c .= "$config\n";
    $c .= "        # ---- end of test block config ----\n\n";
    if (!$NoRootLocation) {
        $c .= "        location / {\n";
        $c .= "            root $HtmlDir;\n";
        $c .= "            index index.html index.htm;\n";
        $c .= "        }\n";
    }
    $c .= "    }\n";
    $c .= "}\n\n";
    $c .= "# ---- post_main_config ----\n";
    $c .= "$post_main_config\n\n";
    $c .= "events {\n";
    $c .= "    accept_mutex off;\n\n";
    $c .= "    worker_connections  $WorkerConnections;\n";
    $c .= "    use $EventType;\n" if $EventType;
    $c .= "}\n";
    $c .= "env $_;\n" for qw(ASAN_OPTIONS MOCKNOEAGAIN_VERBOSE MOCKNOEAGAIN);

    if (defined $WorkerUser) {
        $c .= "user $WorkerUser;\n";
    } elsif ($> == 0) {
        $c .= "user root;\n";
    }

    open my $out, '>', $ConfFile
        or bail_out("Can't open $ConfFile for writing: $!\n");
    print $out $c;
    close $out;
}

1;
