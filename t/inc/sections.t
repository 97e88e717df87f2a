# SmotpTest refuses a block whose section name it does not know, or that
# gives one section twice: a misspelt "--- reponse_body" would otherwise
# pass on its status alone.  Each case is a small test script, run with
# the Test::Nginx of this run (the CPAN one or t/lib's); it must stop
# before its block runs (no nginx is started), naming block and section.

use strict;
use warnings;

use FindBin;
use File::Temp ();
use Test::More;

my $inc = $FindBin::Bin;

my %cases = (
    misspelt => {
        section => <<'_EOT_',
--- reponse_body
ok
_EOT_
        message => qr/block "a misspelt section": unknown section "--- reponse_body"/,
    },

    repeated => {
        section => <<'_EOT_',
--- response_body
ok
--- error_code: 200
--- response_body
not ok
_EOT_
        message => qr/block "a misspelt section": section "--- response_body" given more than once/,
    },
);

my $dir = File::Temp->newdir;

local $ENV{PERL5LIB} = join ':', grep { !ref } @INC;
local $ENV{TEST_NGINX_SERVROOT} = "$dir/servroot";

for my $case (sort keys %cases) {
    my $script = "$dir/$case.t";

    open my $fh, '>', $script or die "$script: $!\n";
    print $fh <<"_EOT_";
use lib '$inc';
use Test::Nginx::Socket 'no_plan';
use SmotpTest;

run_tests();

__DATA__

=== a misspelt section
--- config
    location = /t { return 200 "ok\\n"; }
--- request
GET /t
$cases{$case}{section}
_EOT_
    close $fh;

    my $out = `$^X $script 2>&1`;
    my $status = $?;

    isnt($status, 0, "$case: the script fails");
    like($out, $cases{$case}{message}, "$case: it names block and section");
    unlike($out, qr/^ok \d/m, "$case: no check of the block ran");
}

done_testing();
