package SmotpTest;

# What the smotp suite shares, on top of Test::Nginx::Socket (the CPAN one
# or the project's runner in t/lib):
#
# - a block without its own http_config gets the test API key;
# - a block whose config has no API location gets one that proxies to the
#   local API stand-in (scripts/test.sh starts it);
# - {{inbox:+PHONE:FIELD}} in a block's request, response_body,
#   response_headers, error_log or no_error_log, or in their _like forms
#   given as strings (a qr// is made before any block runs, so it cannot
#   take one), is replaced, right before the block runs, with what the stand-in's
#   test inbox holds for that phone: FIELD is code, requestId, count, or
#   wrong_code (a code that is not the one sent); {{handle:+PHONE}} is
#   that request's id in a handle sealed by t/inc/SmotpFront.pm;
# - a block with a section name the suite does not know (a misspelt
#   "--- reponse_body" would otherwise pass on its status alone), or with
#   one section given twice (the last would silently win), stops the
#   script before the block runs, naming the block and the section.

use strict;
use warnings;

use Test::Nginx::Socket ();
use HTTP::Tiny;
use JSON::PP ();
use Digest::SHA ();

our $ApiKey = 'sm_test_0123456789abcdef';

my $api_location = <<'_EOC_';
    location /_smotp_api/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/;
    }
_EOC_


# The sections the project's runner (t/lib, see its README) carries, all
# of which the CPAN Test::Nginx::Socket knows too; ONLY, SKIP and LAST are
# Test::Base's markers.
my %Sections = map { $_ => 1 } qw(
    main_config http_config config post_main_config server_name
    user_files init log_level error_log_file

    request raw_request raw_request_middle_delay pipelined_requests
    more_headers server_addr_for_client

    error_code error_code_like response_headers response_headers_like
    raw_response_headers_like raw_response_headers_unlike response_body
    response_body_like response_body_unlike response_body_filters charset

    error_log no_error_log grep_error_log grep_error_log_out access_log
    no_access_log shutdown_error_log no_shutdown_error_log

    timeout abort wait shutdown ignore_response http09 must_die

    skip_nginx skip_nginx2 skip_openssl skip_eval todo todo_nginx

    ONLY SKIP LAST
);


# The block's section names in file order, a name given twice listed
# twice.  Test::Base keeps the list as the value of a section (a list
# holding it); the project's runner keeps the list itself.
sub section_names {
    my ($block) = @_;

    my $order = $block->{_section_order};

    if (ref $order eq 'ARRAY' && @$order == 1 && ref $order->[0] eq 'ARRAY') {
        $order = $order->[0];
    }

    die "SmotpTest: cannot read the section names of block \""
        . $block->name . "\" from this Test::Nginx\n"
        unless ref $order eq 'ARRAY';

    return @$order;
}


sub check_sections {
    my ($block) = @_;

    my (%seen, @bad);

    for my $name (section_names($block)) {
        if (!$Sections{$name}) {
            push @bad, "unknown section \"--- $name\"";

        } elsif ($seen{$name}++ == 1) {
            push @bad, "section \"--- $name\" given more than once";
        }
    }

    return unless @bad;

    die "$0: block \"" . $block->name . "\": " . join('; ', @bad) . "\n";
}


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


# the id the module makes for a test number: a version 8 UUID of the
# number's SHA-256 (t/025-test-numbers.t, t/026-handle.t)
sub test_id {
    my @b = unpack("C*", Digest::SHA::sha256($_[0]));

    $b[6] = ($b[6] & 0x0f) | 0x80;
    $b[8] = ($b[8] & 0x3f) | 0x80;

    my $h = join '', map { sprintf "%02x", $_ } @b[0 .. 15];

    return join '-', substr($h, 0, 8), substr($h, 8, 4), substr($h, 12, 4),
                     substr($h, 16, 4), substr($h, 20, 12);
}


# a handle of the stand-in's request for the phone, sealed in Perl with
# t/inc/SmotpFront.pm's first secret, as nginx would have sealed it
sub handle {
    my ($phone) = @_;

    require SmotpFront;

    return SmotpFront::handle($phone, inbox($phone, 'requestId'));
}


sub expand {
    my ($v) = @_;

    return $v unless defined $v;

    if (ref $v eq 'ARRAY') {
        return [map { expand($_) } @$v];
    }

    return $v if ref $v;

    $v =~ s/\{\{inbox:([^:}]+):(\w+)\}\}/inbox($1, $2)/ge;
    $v =~ s/\{\{handle:([^:}]+)\}\}/handle($1)/ge;

    return $v;
}


sub import {
    Test::Nginx::Socket::add_block_preprocessor(sub {
        my $block = shift;

        check_sections($block);

        if (!defined $block->http_config) {
            $block->set_value("http_config", "    smotp_api_key $ApiKey;\n");
        }

        if (defined $block->config && $block->config !~ /_smotp_api/) {
            $block->set_value("config", $block->config . $api_location);
        }

        for my $name (qw(request error_log no_error_log response_headers
                          response_body response_body_like
                          response_headers_like)) {
            my $v = $block->$name;
            next unless defined $v;
            my $new = expand($v);
            $block->set_value($name, $new);
        }

        return $block;
    });
}


1;
