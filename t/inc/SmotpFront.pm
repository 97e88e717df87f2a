package SmotpFront;

# The token format of README.md ("The handle and the cookie"), written
# again in Perl, apart from the module's C: tokens made here are opened by
# nginx, and nginx's are opened here.  AES-256-CTR is openssl(1)'s.

use strict;
use warnings;

use Digest::SHA qw(hmac_sha256);
use MIME::Base64 qw(encode_base64 decode_base64);
use IPC::Open2 qw(open2);

our $Secret = 'a1' x 32;            # t/026's first secret file line
our $Other  = 'b2' x 32;            # a second one (rotation, foreign)

sub keys_of {
    my ($line) = @_;

    my $s = ($line =~ /^(?:[0-9a-fA-F]{2})+$/) ? pack('H*', $line) : $line;
    my $prk = hmac_sha256($s, 'smotp v1');

    return {
        sign    => hmac_sha256("smotp sign\x01", $prk),
        encrypt => hmac_sha256("smotp encrypt\x01", $prk),
        id      => substr(hmac_sha256("smotp key id\x01", $prk), 0, 4),
    };
}

sub ctr {
    my ($key, $iv, $data) = @_;

    my $pid = open2(my $out, my $in, 'openssl', 'enc', '-aes-256-ctr',
                    '-nosalt', '-K', unpack('H*', $key),
                    '-iv', unpack('H*', $iv));
    binmode $in;
    binmode $out;
    print $in $data;
    close $in;
    local $/;
    my $r = <$out>;
    waitpid $pid, 0;

    return defined $r ? $r : '';
}

sub b64url {
    my $s = encode_base64($_[0], '');
    $s =~ tr{+/}{-_};
    $s =~ s/=+$//;
    return $s;
}

sub unb64url {
    my $s = $_[0];
    $s =~ tr{-_}{+/};
    $s .= '=' x ((4 - length($s) % 4) % 4);
    return decode_base64($s);
}

# the token's bytes, before base64url
sub seal_raw {
    my (%a) = @_;

    my $k = keys_of($a{secret} // $Secret);
    my $iv = $a{iv} // join('', map { chr(int(rand(256))) } 1 .. 16);
    my $head = pack('C', $a{version} // 1) . ($a{kind} // 'h')
               . ($a{key_id} // $k->{id})
               . pack('Q>', $a{issued} // time())
               . pack('Q>', $a{expires} // time() + 600);
    my $body = $head . $iv . ctr($k->{encrypt}, $iv, $a{plain});

    return $body . hmac_sha256($body, $k->{sign});
}

sub seal { return b64url(seal_raw(@_)) }

sub handle {
    my ($phone, $id, %a) = @_;
    return seal(plain => chr(length $phone) . $phone . $id, kind => 'h', %a);
}

sub cookie {
    my ($phone, %a) = @_;
    return seal(plain => $phone, kind => 'c', %a);
}

# a token opened: its fields, or undef when its MAC is not the secret's
sub open_token {
    my ($token, $secret) = @_;

    my $raw = unb64url($token);
    return undef if length $raw < 71;

    my $k = keys_of($secret // $Secret);
    my $body = substr($raw, 0, -32);

    return undef if hmac_sha256($body, $k->{sign}) ne substr($raw, -32);

    my %t = (
        version => ord(substr($raw, 0, 1)),
        kind    => substr($raw, 1, 1),
        key_id  => substr($raw, 2, 4),
        issued  => unpack('Q>', substr($raw, 6, 8)),
        expires => unpack('Q>', substr($raw, 14, 8)),
    );

    $t{plain} = ctr($k->{encrypt}, substr($raw, 22, 16), substr($body, 38));

    if ($t{kind} eq 'h') {
        my $l = ord(substr($t{plain}, 0, 1));
        $t{phone} = substr($t{plain}, 1, $l);
        $t{id} = substr($t{plain}, 1 + $l);
    } else {
        $t{phone} = $t{plain};
    }

    return \%t;
}

# every single-byte change of a token: one per byte, its bits flipped
sub tampered {
    my ($token) = @_;

    my $raw = unb64url($token);

    return map {
        my $t = $raw;
        substr($t, $_, 1) = chr(ord(substr($t, $_, 1)) ^ 0x01);
        b64url($t)
    } 0 .. length($raw) - 1;
}

1;
