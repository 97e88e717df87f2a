package Test::Nginx::Data;

# Parser for the __DATA__ section of a Test::Nginx::Socket test script,
# plus the block objects and the section filters (the part of Test::Base
# that the test suite relies on).  Written from the documented semantics;
# see t/lib/README.md.

use strict;
use warnings;

use Carp ();

our $VERSION = '0.01';

# Filters applied to every section before the section's own filters.
our @DefaultFilters = qw(norm trim);

# Extra per-section filters registered through filters({ name => [...] }).
our %SectionFilters;

# Argument of the filter being run ("name=arg" in a section header).
our $FilterArg;

my $SpecText;
my $BlockList;

my %Reserved = map { $_ => 1 } qw(
    name description seq_num is_filtered blocks_object original_values
    set_value run_filters block_accessor AUTOLOAD DESTROY ISA EXPORT
    BEGIN new
);

sub add_default_filters {
    my @f = @_;
    if (@f == 1 && ref $f[0] eq 'HASH') {
        %SectionFilters = %{ $f[0] };
        return;
    }
    push @DefaultFilters, @f;
}

sub _spec_text {
    return $SpecText if defined $SpecText;
    no warnings;
    local $/;
    my $text = readline(*main::DATA);
    $SpecText = defined $text ? $text : '';
    return $SpecText;
}

# All blocks of the script, unfiltered, in file order, after applying the
# ONLY / SKIP / LAST markers.
sub block_list {
    return $BlockList if $BlockList;

    my $text = _spec_text();

    my (@hunks, $cur);
    for my $line (split /^/m, $text) {
        if ($line =~ /^===/) {
            push @hunks, $cur if defined $cur;
            $cur = $line;
        } elsif (defined $cur) {
            $cur .= $line;
        }
    }
    push @hunks, $cur if defined $cur;

    my @blocks;
    my $seq = 0;
    for my $hunk (@hunks) {
        my $block = _make_block($hunk);
        $block->{_seq_num} = ++$seq;
        if (exists $block->{ONLY}) {
            Test::More::diag("I found ONLY: maybe you're debugging?");
            @blocks = ($block);
            last;
        }
        next if exists $block->{SKIP};
        push @blocks, $block;
        last if exists $block->{LAST};
    }

    $BlockList = \@blocks;
    return $BlockList;
}

# Test::Base semantics: in scalar context the number of blocks (filters are
# not run); in list context the blocks, with their filters run.
sub blocks {
    my $list = block_list();
    return scalar @$list unless wantarray;
    for my $b (@$list) {
        $b->run_filters unless $b->{_is_filtered};
    }
    return @$list;
}

sub _make_block {
    my $hunk = shift;

    my $block = bless {}, 'Test::Nginx::Data::Block';

    my $nl = index $hunk, "\n";
    my ($header, $rest) = $nl < 0 ? ($hunk, '')
                                  : (substr($hunk, 0, $nl), substr($hunk, $nl + 1));
    (my $name = $header) =~ s/^===[ \t]*//;
    # everything blank right after the title line is skipped
    $rest =~ s/\A\s+//;

    my @order;
    my %filters;
    my (%value, $type);
    my $description = '';

    for my $line (split /^/m, $rest) {
        if ($line =~ /\n\z/ && $line =~ /^--- +\(?(\w+)\)? *(.*)\n\z/) {
            my ($t, $f) = ($1, $2);
            if ($Reserved{$t} || $t =~ /^_/) {
                Carp::croak("'$t' is a reserved name. Use something else.\n");
            }
            $type = $t;
            # as in Test::Base, a section given twice is listed twice in
            # the order (so that a block preprocessor can see it) and its
            # last value wins
            push @order, $type;
            $filters{$type} = $f;
            $value{$type} = '';
            next;
        }
        if (defined $type) {
            $value{$type} .= $line;
        } else {
            $description .= $line;
        }
    }

    my %once;

    for my $t (grep { !$once{$_}++ } @order) {
        my $f = $filters{$t};
        my $v = $value{$t};
        if ($f =~ /:(\s|\z)/) {
            if ($v =~ /\S/) {
                Carp::croak("Extra lines not allowed in '$t' section");
            }
            ($f, $v) = split /\s*:(?:\s+|\z)/, $f, 2;
            $v = '' unless defined $v;
            $v =~ s/^\s+//;
            $v =~ s/\s+$//;
        }
        $filters{$t} = $f;
        $block->{$t} = [$v];
    }

    $description = $name unless $description =~ /\S/;
    $description =~ s/\s*\z//;

    $block->{name} = [$name];
    $block->{description} = [$description];
    $block->{_section_order} = \@order;
    $block->{_section_filters} = \%filters;

    return $block;
}

package Test::Nginx::Data::Block;

use strict;
use warnings;

our $AUTOLOAD;

# Every section name is an accessor: in scalar context the first value,
# in list context all values; undef / () for absent sections.
sub AUTOLOAD {
    my $self = shift;
    my $n = $AUTOLOAD;
    $n =~ s/.*:://;
    return if $n eq 'DESTROY';
    return unless ref $self && exists $self->{$n};
    if (@_) {
        Carp::croak("Not allowed to set values for '$n'");
    }
    my @list = @{ $self->{$n} || [] };
    return wantarray ? @list : $list[0];
}

sub DESTROY { }

sub name {
    my $self = shift;
    my @l = @{ $self->{name} || [] };
    return wantarray ? @l : $l[0];
}

sub description {
    my $self = shift;
    my @l = @{ $self->{description} || [] };
    return wantarray ? @l : $l[0];
}

sub seq_num { $_[0]->{_seq_num} }

sub is_filtered { $_[0]->{_is_filtered} }

sub original_values { $_[0]->{_original} ||= {} }

sub set_value {
    my ($self, $key, @vals) = @_;
    $self->{$key} = [@vals];
}

sub _filter_names {
    my ($type, $spec) = @_;
    $spec = '' unless defined $spec;
    my $map = $Test::Nginx::Data::SectionFilters{$type} || [];
    $map = [$map] unless ref $map;

    my (@list, @tail);
    for my $f (@Test::Nginx::Data::DefaultFilters, @$map, split ' ', $spec) {
        last unless length $f;
        if ($f =~ /^-(.*)/s) {
            my $drop = $1;
            @list = grep { $_ ne $drop } @list;
        } elsif ($f =~ /^\+(.*)/s) {
            push @tail, $1;
        } else {
            push @list, $f;
        }
    }
    return (@list, @tail);
}

sub run_filters {
    my $self = shift;
    Carp::croak("Attempt to filter a block twice") if $self->{_is_filtered};

    my %once;

    for my $type (grep { !$once{$_}++ } @{ $self->{_section_order} }) {
        my @value = @{ $self->{$type} || [] };
        $self->original_values->{$type} = $value[0];

        for my $spec (_filter_names($type, $self->{_section_filters}{$type})) {
            my ($fname, $arg) = ($spec, undef);
            if ($spec =~ /^([^=]*)=(.*)$/s) {
                ($fname, $arg) = ($1, $2);
            }
            $Test::Nginx::Data::FilterArg = $arg;

            no strict 'refs';
            my $user = "main::$fname";
            if (defined &$user) {
                local $_ = (@value == 1 && !defined $value[0])
                           ? undef : join '', map { defined $_ ? $_ : '' } @value;
                my @new = &$user(@value);
                if (!@new || (@new == 1 && defined $new[0]
                              && $new[0] =~ /\A(\d+|)\z/))
                {
                    @new = ($_);
                }
                @value = @new;

            } else {
                my $code = Test::Nginx::Data::Filter->can("f_$fname");
                if (!$code) {
                    die "Can't find a function or method for '$fname' filter\n";
                }
                local $Test::Nginx::Data::Filter::CurrentBlock = $self;
                local $Test::Nginx::Data::Filter::CurrentName = $fname;
                @value = $code->(@value);
            }

            $self->{$type} = [@value];
        }
    }

    $self->{_is_filtered} = 1;
}

package Test::Nginx::Data::Filter;

use strict;
use warnings;

our $CurrentBlock;
our $CurrentName;

sub _one {
    if (@_ != 1) {
        Carp::croak("Input to the '$CurrentName' filter must be a scalar, "
                    . "not a list");
    }
    return $_[0];
}

sub _args {
    my $a = $Test::Nginx::Data::FilterArg;
    return undef unless defined $a;
    $a =~ s/\\s/ /g;
    my %esc = (n => "\n", t => "\t", r => "\r", f => "\f", e => "\e",
               a => "\a", 0 => "\0");
    $a =~ s/\\([a-z0])/exists $esc{$1} ? $esc{$1} : $1/ge;
    return $a;
}

sub f_norm {
    my $text = _one(@_) || '';
    $text =~ s/\015\012/\n/g;
    $text =~ s/\r/\n/g;
    return $text;
}

sub f_trim {
    my @out;
    for my $v (@_) {
        my $s = $v;
        if (defined $s && !ref $s) {
            $s =~ s/\A(?:[ \t]*\n)+//;
            $s =~ s/(?<=\n)\s*\z//;
        }
        push @out, $s;
    }
    return @out;
}

sub f_chomp {
    return map { my $s = $_; chomp $s if defined $s && !ref $s; $s } @_;
}

sub f_chop {
    return map { my $s = $_; chop $s if defined $s && !ref $s; $s } @_;
}

sub f_unchomp {
    return map { $_ . "\n" } @_;
}

# Perl code evaluated in list context, in a package of its own, under
# strict and warnings.  On a compile or run time error the error text
# becomes the section value (as Test::Base does); we also warn about it.
sub f_eval {
    my $code = _one(@_);
    my @ret = _sandbox_eval($code);
    if ($@) {
        my $err = $@;
        my $where = $CurrentBlock ? $CurrentBlock->name : '?';
        warn "WARNING: $where - eval filter failed: $err";
        return $err;
    }
    return @ret;
}

# The code runs in package Test::Nginx::Data::Sandbox, which holds no
# subroutines; no lexicals of ours are in scope besides @_.
sub _sandbox_eval {
    return eval "package Test::Nginx::Data::Sandbox; use strict; use warnings;\n$_[0]";
}

sub f_escape {
    my $text = _one(@_);
    $text =~ s/(\\.)/eval "qq{$1}"/ge;
    return $text;
}

sub f_lines {
    my $text = _one(@_);
    return () unless length $text;
    return $text =~ /^(.*\n?)/gm;
}

sub f_join {
    my $sep = _args();
    $sep = '' unless defined $sep;
    return join $sep, @_;
}

sub f_array { return [@_] }

sub f_hash { return {@_} }

sub f_append {
    my $sfx = _args();
    $sfx = '' unless defined $sfx;
    return map { $_ . $sfx } @_;
}

sub f_prepend {
    my $pfx = _args();
    $pfx = '' unless defined $pfx;
    return map { $pfx . $_ } @_;
}

sub f_split {
    my $text = _one(@_);
    my $sep = _args();
    if (defined $sep && $sep =~ m{^/(.*)/$}s) {
        my $re = $1;
        $sep = qr/$re/;
    }
    $sep = qr/\s+/ unless $sep;
    return split $sep, $text;
}

sub f_reverse { return reverse @_ }

sub f_sort { return sort @_ }

sub f_head {
    my $n = _args() || 1;
    return @_[0 .. ($n > @_ ? $#_ : $n - 1)];
}

sub f_tail {
    my $n = _args() || 1;
    $n = @_ if $n > @_;
    return @_[@_ - $n .. $#_];
}

sub f_slice {
    my $a = _args();
    die "Invalid args for slice" unless defined $a && $a =~ /^(\d+)(?:,(\d+))?$/;
    my ($x, $y) = ($1, defined $2 ? $2 : $1);
    die "Invalid args for slice" if $x > $y;
    return @_[$x .. $y];
}

sub f_flatten {
    my $ref = _one(@_);
    return map { ($_, $ref->{$_}) } sort keys %$ref if ref $ref eq 'HASH';
    return @$ref if ref $ref eq 'ARRAY';
    die "Can only flatten a hash or array ref";
}

sub f_regexp {
    my $text = _one(@_);
    my $flags = _args();
    if ($text =~ /\n.*?\n/s) {
        $flags = 'xism' unless defined $flags;
    } else {
        chomp $text;
    }
    $flags ||= '';
    my $re = eval "qr{$text}$flags";
    die $@ if $@;
    return $re;
}

sub f_base64_decode {
    my $text = _one(@_);
    require MIME::Base64;
    return MIME::Base64::decode_base64($text);
}

sub f_base64_encode {
    my $text = _one(@_);
    require MIME::Base64;
    return MIME::Base64::encode_base64($text);
}

sub f_strict {
    my $text = _one(@_);
    return "use strict;\nuse warnings;\n" . $text;
}

sub f_dumper {
    require Data::Dumper;
    no warnings 'once';
    local $Data::Dumper::Sortkeys = 1;
    local $Data::Dumper::Indent = 1;
    local $Data::Dumper::Terse = 1;
    return Data::Dumper::Dumper(@_);
}

sub f_read_file {
    my $file = _one(@_);
    chomp $file;
    open my $fh, '<', $file or die "Can't open '$file' for input:\n$!";
    local $/;
    return scalar <$fh>;
}

1;
