package PromCheck;

# A response body filter (--- response_body_filters) that hands an
# smotp_metrics answer to t/inc/prom-check.py, which parses it with
# Prometheus's own parser (python3-prometheus-client) and gives back the
# samples that are not zero, or "error: ...":
#
#     --- response_body_filters eval
#     PromCheck::filter('smotp_requests_total')
#
# With several requests, one filter list each: [[], [PromCheck::filter()]].

use strict;
use warnings;

use File::Basename qw(dirname);
use File::Spec;
use File::Temp qw(tempfile);

my $Script = File::Spec->catfile(dirname(File::Spec->rel2abs(__FILE__)),
                                 'prom-check.py');

sub check {
    my ($body, @args) = @_;

    my ($fh, $file) = tempfile(UNLINK => 1);
    print $fh $body;
    close $fh;

    my $quoted = join ' ', map { "'$_'" } @args;
    my $out = `/usr/bin/python3 '$Script' $quoted < '$file' 2>&1`;

    unlink $file;

    return $out;
}

sub filter {
    my @args = @_;

    return sub { check($_[0], @args) };
}

1;
