// The spawn companion's program (spawner.ts), in Perl: perl-base is part of every Debian
// system (Essential), and a fork of its few-MB, single-threaded interpreter costs a fraction of
// a Node process's (measured: ~0.3 ms in the parent and ~0.3 ms extra in the child against ~2 ms
// and ~0.5 ms for Node, whose fork copies a large, multi-threaded address space and
// write-protects it on every CPU). It uses only what perl-base ships: POSIX, Errno.
//
// Lines in: `run <id> <waitInput 0|1> <cmd> <nargs> <args...> <nenv> <K=V...> <input>`,
// `monitor <id> <cwd> <cmd> <nargs> <args...> <nenv> <K=V...>`, `input <id> <data>`,
// `write4 <id> <data>`, `kill <id>`, `release <id>`. Lines out: `done <id> <code|-> <signal|->
// <stdout> <stderr>`, `error <id> <message>`, `fd3 <id> <data>`, `fd3end <id>`, `exit <id>
// <code|->`. Every string is hex, "-" when empty, so a message is one line of plain words.
// A `run` child gets pipes on 0-2; a monitor (conmon) starts in a session of its own with
// /dev/null on 0-2, a pipe to read on fd 3 and one to write on fd 4. The companion exits when
// its stdin closes; what it started goes on by itself.
export const COMPANION_PROGRAM = String.raw`
use strict;
use POSIX ();

# Fields are hex (the empty string is "-"), so a message is one line of plain words.
sub hx { my $s = shift; return defined $s && length $s ? unpack('H*', $s) : '-' }
sub uhx { my $h = shift; return $h eq '-' ? '' : pack('H*', $h) }
sub say_line { my $s = join(' ', @_) . "\n"; my $off = 0;
  while ($off < length $s) { my $n = syswrite(STDOUT, $s, length($s) - $off, $off);
    if (!defined $n) { next if $!{EINTR}; POSIX::_exit(0) } $off += $n } }

# A child that exits before reading its input must not take us down. Caught, not ignored:
# an exec resets caught signals, so the children get the default back without a step.
$SIG{PIPE} = sub {};
my $reap = 0;
$SIG{CHLD} = sub { $reap = 1 };

my %job;      # id -> { pid, kind, cmd, buf, open, status, released, ... }
my %by_pid;   # pid -> id
my %reader;   # fd -> [id, stream, fh]
my %writer;   # fd -> [fh, data]
my $in = '';

sub nonblock { my $fh = shift; my $fl = fcntl($fh, POSIX::F_GETFL(), 0); fcntl($fh, POSIX::F_SETFL(), $fl | POSIX::O_NONBLOCK()) }

sub errname { my $e = shift; local $! = $e; for my $k (keys %!) { return $k if $!{$k} } return "errno $e" }

# fork + exec; in the child, $setup arranges the descriptors first (false: it failed, $! says why). The environment is made
# before the fork, and this process waits for the exec (a close-on-exec pipe, which also reports
# an exec failure's errno, as libuv does): whatever either side writes before the exec is a
# page copied, so the child does as little as it can and this side does nothing meanwhile.
sub launch {
  my ($cmd, $args, $env, $setup) = @_;
  pipe(my $xr, my $xw) or return (undef, "pipe: $!");
  my $pid;
  {
    local %ENV = %$env;
    $pid = fork();
    if (defined $pid && $pid == 0) {
      if ($setup->()) { no warnings; exec { $cmd } $cmd, @$args; }
      syswrite($xw, pack('N', $! + 0));
      POSIX::_exit(127);
    }
  }
  close $xw;
  return (undef, "fork: $!") unless defined $pid;
  my $errno = '';
  1 while !defined sysread($xr, $errno, 4) && $!{EINTR};
  close $xr;
  return ($pid, undef) unless length $errno == 4;
  waitpid($pid, 0);
  return (undef, "spawn $cmd " . errname(unpack('N', $errno)));
}

sub watch { my ($id, $stream, $fh) = @_; nonblock($fh); $reader{fileno $fh} = [$id, $stream, $fh]; $job{$id}{open}++ }

sub queue_write {
  my ($fh, $data) = @_;
  return unless $fh;
  nonblock($fh);
  $writer{fileno $fh} = [$fh, $data];
  flush_writer(fileno $fh);
}

sub flush_writer {
  my $fd = shift;
  my $w = $writer{$fd} or return;
  while (length $w->[1]) {
    my $n = syswrite($w->[0], $w->[1]);
    if (!defined $n) { return if $!{EAGAIN} || $!{EINTR}; last }
    substr($w->[1], 0, $n) = '';
  }
  close $w->[0];
  delete $writer{$fd};
}

sub run {
  my ($id, $wait, $cmd, $args, $env, $input) = @_;
  pipe(my $ir, my $iw) && pipe(my $or, my $ow) && pipe(my $er, my $ew) or return say_line('error', $id, hx("pipe: $!"));
  my ($pid, $err) = launch($cmd, $args, $env, sub {
    POSIX::dup2(fileno $ir, 0) && POSIX::dup2(fileno $ow, 1) && POSIX::dup2(fileno $ew, 2);
  });
  close $ir; close $ow; close $ew;
  return say_line('error', $id, hx($err)) unless $pid;
  $job{$id} = { pid => $pid, kind => 'run', buf => { out => '', err => '' }, open => 0, stdin => $iw };
  $by_pid{$pid} = $id;
  watch($id, 'out', $or); watch($id, 'err', $er);
  if (!$wait) { delete $job{$id}{stdin}; queue_write($iw, $input) }
}

sub monitor {
  my ($id, $cwd, $cmd, $args, $env) = @_;
  pipe(my $r3, my $w3) && pipe(my $r4, my $w4) or return say_line('error', $id, hx("pipe: $!"));
  my ($pid, $err) = launch($cmd, $args, $env, sub {
    POSIX::setsid();
    chdir $cwd or return 0;
    # fds 3 and 4 may be taken by the pipes themselves: copy those out of the way first
    my $a = fcntl($w3, 1030, 10); my $b = fcntl($r4, 1030, 10);  # F_DUPFD_CLOEXEC
    open(my $null, '+<', '/dev/null') or return 0;
    POSIX::dup2(fileno $null, $_) for 0 .. 2;
    POSIX::dup2($a, 3) && POSIX::dup2($b, 4);
  });
  close $w3; close $r4;
  return say_line('error', $id, hx($err)) unless $pid;
  $job{$id} = { pid => $pid, kind => 'monitor', open => 0, fd4 => $w4 };
  $by_pid{$pid} = $id;
  watch($id, 'fd3', $r3);
}

# A command is finished when its pipes are closed and it is reaped: then its result goes
# out. A monitor reports its exit when reaped (its fd 3 may stay open much longer).
sub settle {
  my $id = shift;
  my $j = $job{$id} or return;
  return if !defined $j->{status};
  if ($j->{kind} eq 'run') {
    return if $j->{open} > 0;
    delete $job{$id};
    my $st = $j->{status};
    my ($code, $sig) = ($st & 127) ? ('-', $st & 127) : ($st >> 8, '-');
    return say_line('done', $id, $code, $sig, hx($j->{buf}{out}), hx($j->{buf}{err}));
  }
  say_line('exit', $id, ($j->{status} & 127) ? '-' : $j->{status} >> 8) unless $j->{reported}++ || $j->{released};
  delete $job{$id} if $j->{open} == 0;
}

sub reap_all {
  $reap = 0;
  while ((my $pid = waitpid(-1, POSIX::WNOHANG())) > 0) {
    my $id = delete $by_pid{$pid};
    next unless defined $id && $job{$id};
    $job{$id}{status} = $?;
    settle($id);
  }
}

sub close_reader {
  my $fd = shift;
  my $r = delete $reader{$fd} or return;
  close $r->[2];
  my $j = $job{$r->[0]} or return;
  $j->{open}--;
  say_line('fd3end', $r->[0]) if $r->[1] eq 'fd3' && !$j->{released};
  settle($r->[0]);
}

sub release {
  my $id = shift;
  my $j = $job{$id} or return;
  $j->{released} = 1;
  for my $fd (keys %reader) { close_reader($fd) if $reader{$fd}[0] eq $id }
  if ($j->{fd4}) { delete $writer{fileno $j->{fd4}}; close $j->{fd4}; delete $j->{fd4} }
  delete $job{$id} if defined $j->{status};
}

sub message {
  my @f = split / /, shift;
  my $t = shift @f;
  my $id = shift @f;
  if ($t eq 'run' || $t eq 'monitor') {
    my ($wait, $cwd) = (0, '');
    if ($t eq 'run') { $wait = shift @f } else { $cwd = uhx(shift @f) }
    my $cmd = uhx(shift @f);
    my @args = map { uhx($_) } splice(@f, 0, shift @f);
    my %env = map { my $kv = uhx($_); my $i = index($kv, '='); (substr($kv, 0, $i), substr($kv, $i + 1)) } splice(@f, 0, shift @f);
    if ($t eq 'run') { run($id, $wait, $cmd, \@args, \%env, uhx(shift @f)) }
    else { monitor($id, $cwd, $cmd, \@args, \%env) }
  } elsif ($t eq 'input') {
    my $j = $job{$id} or return;
    queue_write(delete $j->{stdin}, uhx($f[0]));
  } elsif ($t eq 'write4') {
    my $j = $job{$id} or return;
    queue_write(delete $j->{fd4}, uhx($f[0]));
  } elsif ($t eq 'kill') {
    my $j = $job{$id} or return;
    kill 'KILL', $j->{pid} unless defined $j->{status};
  } elsif ($t eq 'release') {
    release($id);
  }
}

nonblock(\*STDIN);
for (;;) {
  reap_all() if $reap;
  my ($rin, $win) = ('', '');
  vec($rin, 0, 1) = 1;
  vec($rin, $_, 1) = 1 for keys %reader;
  vec($win, $_, 1) = 1 for keys %writer;
  # A SIGCHLD that lands just before select would wait for the next event: while a child is
  # unreaped, look again soon.
  my $wait = %by_pid ? 0.05 : undef;
  my $n = select(my $rout = $rin, my $wout = $win, undef, $wait);
  next if $n <= 0;
  for my $fd (keys %writer) { flush_writer($fd) if vec($wout, $fd, 1) }
  for my $fd (keys %reader) {
    next unless vec($rout, $fd, 1);
    my $r = $reader{$fd} or next;
    my $got = sysread($r->[2], my $data, 65536);
    if (!defined $got) { next if $!{EAGAIN} || $!{EINTR}; close_reader($fd); next }
    if ($got == 0) { close_reader($fd); next }
    my $j = $job{$r->[0]};
    if ($r->[1] eq 'fd3') { say_line('fd3', $r->[0], hx($data)) unless $j->{released} }
    else { $j->{buf}{$r->[1]} .= $data }
  }
  if (vec($rout, 0, 1)) {
    my $got = sysread(STDIN, my $data, 65536);
    if (defined $got && $got == 0) { POSIX::_exit(0) }
    if (defined $got) {
      $in .= $data;
      while ((my $nl = index($in, "\n")) >= 0) { my $line = substr($in, 0, $nl); substr($in, 0, $nl + 1) = ''; message($line) }
    }
  }
}
`;
