package SmotpTest;

# What the smotp suite shares, on top of Test::Nginx::Socket (the CPAN one
# or the project's runner in t/lib):
#
# - a block without its own http_config gets the test API key;
# - a block whose config has no API location gets one that proxies to the
#   local API stand-in (scripts/test.sh starts it);
# - {{inbox:+PHONE:FIELD}} in a block's request, error_log or no_error_log
#   is replaced, right before the block runs, with what the stand-in's
#   test inbox holds for that phone: FIELD is code, requestId, count, or
#   wrong_code (a code that is not the one sent).

use strict;
use warnings;

use Test::Nginx::Socket ();
use HTTP::Tiny;
use JSON::PP ();

our $ApiKey = 'sm_test_0123456789abcdef';

my $api_location = <<'_EOC_';
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
    }
_EOC_


sub standin_get {
    my ($path) = @_;

    my $url = "http://127.0.0.1:$ENV{TEST_NGINX_STANDIN_PORT}$path";
    my $res = HTTP::Tiny->new(timeout => 5)->get($url);

    die "stand-in: GET $path: $res->{status} $res->{content}\n"
        unless $res->{success};

    return JSON::PP::decode_json($res->{content});
}


sub inbox {
    my ($phone, $field) = @_;

    (my $q = $phone) =~ s/\+/%2B/g;
    my $sms = standin_get("/_test/inbox?phone=$q");

    if ($field eq 'wrong_code') {
        my $c = $sms->{code};
        substr($c, -1, 1) = (substr($c, -1, 1) + 1) % 10;
        return $c;
    }

    die "stand-in inbox has no $field\n" unless defined $sms->{$field};

    return $sms->{$field};
}


sub expand {
    my ($v) = @_;

    return $v unless defined $v;

    if (ref $v eq 'ARRAY') {
        return [map { expand($_) } @$v];
    }

    return $v if ref $v;

    $v =~ s/\{\{inbox:([^:}]+):(\w+)\}\}/inbox($1, $2)/ge;

    return $v;
}


sub import {
    Test::Nginx::Socket::add_block_preprocessor(sub {
        my $block = shift;

        if (!defined $block->http_config) {
            $block->set_value("http_config", "    smotp_api_key $ApiKey;\n");
        }

        if (defined $block->config && $block->config !~ /_smotp_api/) {
            $block->set_value("config", $block->config . $api_location);
        }

        for my $name (qw(request error_log no_error_log response_headers
                          response_body)) {
            my $v = $block->$name;
            next unless defined $v;
            my $new = expand($v);
            $block->set_value($name, $new);
        }
    });
}


1;
