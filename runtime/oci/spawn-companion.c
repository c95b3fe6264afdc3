/*
 * skiff-spawn: the runtime's spawn companion (runtime/oci/spawner.ts starts it and speaks to it
 * over its stdin and stdout). It starts the runtime's helper commands (ip, CNI plugins, conmon)
 * with posix_spawn, which glibc implements as clone(CLONE_VM | CLONE_VFORK): no copy of page
 * tables, no copy-on-write faults afterwards, in either process. A few operations that
 * otherwise cost a whole command each it does itself with one or two system calls: a pinned
 * network namespace with lo up (`ip netns add` + the loopback CNI plugin), its removal, and
 * mounting or unmounting a container's root filesystem (`mount`, `umount`). And it opens
 * port-forward connections inside a pod's network namespace (`connect`), which Node cannot:
 * a socket belongs to the namespace it was made in, and setns() moves a whole thread.
 *
 * Compiled at build time into dist/bin/skiff-spawn (scripts/build-companion.sh).
 *
 * Lines in (every string hex, "-" when empty, so a message is one line of plain words):
 *   run <id> <waitInput 0|1> <cmd> <nargs> <args...> <nenv> <K=V...> <input>
 *   monitor <id> <cwd> <cmd> <nargs> <args...> <nenv> <K=V...>
 *   input <id> <data>        write4 <id> <data>        kill <id>        release <id>
 *   netns-add <id> <path>    netns-del <id> <path>
 *   mount <id> <type> <source> <target> <data>         umount <id> <target> <detach 0|1>
 *   connect <id> <netns path, "-" for its own> <port>
 *   attach <id> <dir holding conmon's attach socket>
 *   stream <id> <stdin 0|1> <cmd> <nargs> <args...> <nenv> <K=V...>
 * Lines out:
 *   done <id> <code|-> <signal|-> <stdout> <stderr>   error <id> <message>
 *   fd3 <id> <data>   fd3end <id>   exit <id> <code|-> <signal|->
 * A line in is at most MAX_LINE bytes (a longer one is refused with `error` and dropped).
 * The operations answer with `done` too: code 0, or 1 with the reason as stderr.
 * A `run` child gets pipes on 0-2; a monitor (conmon) starts in a session of its own with
 * /dev/null on 0-2, a pipe to read on fd 3 and one to write on fd 4. The companion exits when
 * its stdin closes; what it started goes on by itself.
 *
 * A connection made by `connect` goes back to Node as the descriptor itself, over the Node
 * IPC channel Node gives the companion (fd in env NODE_CHANNEL_FD): one sendmsg carrying the
 * fd as SCM_RIGHTS and the line {"cmd":"NODE_HANDLE","type":"net.Socket","msg":{"connect":<id>}},
 * which Node's child_process turns into a 'message' event with a net.Socket. That is Node's
 * internal handle message, stable since Node 0.x and what its cluster module passes sockets
 * with. Not a relay process: that would be a process and an extra copy of every byte per
 * connection. Node answers {"cmd":"NODE_HANDLE_ACK"} lines, read here and dropped. The socket
 * is made in the pod's namespace and the companion returns to its own at once; the connect is
 * non-blocking and watched in the loop with a deadline (a full backlog must not stall it):
 * 127.0.0.1 first, then ::1, as containerd does. A failure is `done` with code 1 and the reason.
 *
 * `attach` connects to conmon's attach socket, a SOCK_SEQPACKET socket that Node cannot open,
 * and hands Node one end of a stream socketpair instead (the same handle message), relaying
 * between the two in this loop. conmon sends packets of one pipe byte (2 stdout, 3 stderr:
 * its stdpipe_t) and the data; the relay writes each as [pipe byte][4-byte big-endian
 * length][data] so Node can keep them apart. What Node writes goes to conmon as raw packets
 * (the container's stdin); Node's half-close is a shutdown of the packet socket's write side,
 * which conmon takes as the end of this session's input. One packet is held each way at a
 * time (bounded buffers; a full side stops the relay reading the other). The relay ends when
 * conmon closes (the container exited; Node reads to the end, then EOF) or when Node closes
 * its end entirely (a detach: conmon keeps the container running). The companion outlives
 * its stdin while relays are open.
 *
 * `stream` starts a command (the OCI runtime's exec without a TTY) with pipes on 0-2 (or
 * /dev/null on 0 when Node has no input for it) and hands Node its ends, non-blocking, with
 * the same handle message, one per stream: {"connect":<id>,"stream":<0|1|2>}. Pipes are what
 * runc and containerd give a process, and Node adopts a pipe's descriptor as a net.Socket
 * (libuv takes a FIFO for a pipe handle); Node ends stdin by closing its end. Nothing of the
 * streams passes through here: the process is watched, `exit` reported when it is reaped
 * (before or after the handles reach Node: two channels), and killed by `kill`.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------ buffers and lines */

struct buf {
  char *p;
  size_t len, cap, off; /* off: how much of it is already written (writers) */
};

static void buf_add(struct buf *b, const char *s, size_t n) {
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n + 1) cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) _exit(70);
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = 0;
}

static void buf_free(struct buf *b) {
  free(b->p);
  memset(b, 0, sizeof *b);
}

static struct buf out; /* the line being written to stdout */

static void out_hex(const char *s, size_t n) {
  static const char digits[] = "0123456789abcdef";
  if (n == 0) {
    buf_add(&out, " -", 2);
    return;
  }
  buf_add(&out, " ", 1);
  for (size_t i = 0; i < n; i++) {
    char pair[2] = {digits[(unsigned char)s[i] >> 4], digits[(unsigned char)s[i] & 15]};
    buf_add(&out, pair, 2);
  }
}

static void out_word(const char *w) {
  buf_add(&out, " ", 1);
  buf_add(&out, w, strlen(w));
}

static void out_int(long v) {
  char w[32];
  snprintf(w, sizeof w, "%ld", v);
  out_word(w);
}

static void out_begin(const char *type, long id) {
  out.len = 0;
  buf_add(&out, type, strlen(type));
  out_int(id);
}

/* Sends the line; a reader that is gone means this process has nothing left to do. */
static void out_end(void) {
  buf_add(&out, "\n", 1);
  size_t off = 0;
  while (off < out.len) {
    ssize_t n = write(1, out.p + off, out.len - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      _exit(0);
    }
    off += (size_t)n;
  }
}

static void say_error(long id, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  out_begin("error", id);
  out_hex(msg, strlen(msg));
  out_end();
}

/* The answer to an operation: code 0, or 1 with the reason. */
static void say_op(long id, const char *fail) {
  out_begin("done", id);
  out_word(fail ? "1" : "0");
  out_word("-");
  out_hex("", 0);
  out_hex(fail ? fail : "", fail ? strlen(fail) : 0);
  out_end();
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Decodes a hex word in place ("-" is the empty string); the result is NUL-terminated. */
static char *unhex(char *w, size_t *len) {
  size_t n = 0;
  if (w && strcmp(w, "-") != 0) {
    for (char *s = w; s[0] && s[1]; s += 2) {
      int hi = hexval(s[0]), lo = hexval(s[1]);
      if (hi < 0 || lo < 0) break;
      w[n++] = (char)(hi << 4 | lo);
    }
  }
  if (!w) return (char *)"";
  w[n] = 0;
  if (len) *len = n;
  return w;
}

/* ------------------------------------------------------------------ jobs */

enum { RUN, MONITOR, STREAM };

struct job {
  long id;
  pid_t pid;
  int kind;
  int rd[3];          /* read ends: stdout, stderr (run); fd 3 (monitor, in rd[0]); -1 when closed */
  struct buf got[2];  /* stdout, stderr collected (run) */
  int wr;             /* the write end not yet written (stdin or fd 4); -1 when done */
  struct buf pending; /* what is being written to it */
  int writing;        /* 1 once its data is known */
  int reaped, status, released, reported;
  struct job *next;
};

static struct job *jobs;

static struct job *job_find(long id) {
  for (struct job *j = jobs; j; j = j->next)
    if (j->id == id) return j;
  return NULL;
}

static struct job *job_by_pid(pid_t pid) {
  for (struct job *j = jobs; j; j = j->next)
    if (j->pid == pid && !j->reaped) return j;
  return NULL;
}

static void job_drop(struct job *d) {
  for (struct job **p = &jobs; *p; p = &(*p)->next) {
    if (*p != d) continue;
    *p = d->next;
    for (int i = 0; i < 3; i++)
      if (d->rd[i] >= 0) close(d->rd[i]);
    if (d->wr >= 0) close(d->wr);
    buf_free(&d->got[0]);
    buf_free(&d->got[1]);
    buf_free(&d->pending);
    free(d);
    return;
  }
}

static int open_readers(struct job *j) {
  int n = 0;
  for (int i = 0; i < 3; i++) n += j->rd[i] >= 0;
  return n;
}

/* How a reaped job ended, as two words: <code|-> <signal|->. */
static void out_status(const struct job *j) {
  if (WIFSIGNALED(j->status)) {
    out_word("-");
    out_int(WTERMSIG(j->status));
  } else {
    out_int(WEXITSTATUS(j->status));
    out_word("-");
  }
}

/*
 * A command is finished when its pipes are closed and it is reaped: then its result goes
 * out. A monitor or a stream reports its exit when reaped (a monitor's fd 3 may stay open
 * much longer; a stream's pipes are Node's).
 */
static void settle(struct job *j) {
  if (!j->reaped) return;
  if (j->kind == RUN) {
    if (open_readers(j) > 0) return;
    out_begin("done", j->id);
    out_status(j);
    out_hex(j->got[0].p, j->got[0].len);
    out_hex(j->got[1].p, j->got[1].len);
    out_end();
    job_drop(j);
    return;
  }
  if (!j->reported && !j->released) {
    out_begin("exit", j->id);
    out_status(j);
    out_end();
  }
  j->reported = 1;
  if (open_readers(j) == 0 && (j->released || j->wr < 0)) job_drop(j);
}

static void close_reader(struct job *j, int i) {
  close(j->rd[i]);
  j->rd[i] = -1;
  if (j->kind == MONITOR && !j->released) {
    out_begin("fd3end", j->id);
    out_end();
  }
  settle(j);
}

/* Writes what it can; closes the end when all is written (or the reader went away). */
static void flush_writer(struct job *j) {
  if (j->wr < 0 || !j->writing) return;
  while (j->pending.off < j->pending.len) {
    ssize_t n = write(j->wr, j->pending.p + j->pending.off, j->pending.len - j->pending.off);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) return;
      break;
    }
    j->pending.off += (size_t)n;
  }
  close(j->wr);
  j->wr = -1;
  buf_free(&j->pending);
}

static void queue_write(struct job *j, const char *data, size_t n) {
  if (j->wr < 0 || j->writing) return;
  buf_add(&j->pending, "", 0);
  buf_add(&j->pending, data, n);
  j->writing = 1;
  flush_writer(j);
}

/* ------------------------------------------------------------------ spawning */

/* A descriptor moved to 10 or above, close-on-exec: the targets 0-4 of the children's dup2s are never taken by a source. */
static int high(int fd) {
  if (fd >= 10) return fd;
  int h = fcntl(fd, F_DUPFD_CLOEXEC, 10);
  close(fd);
  return h;
}

static int pipe_high(int p[2]) {
  if (pipe2(p, O_CLOEXEC) < 0) return -1;
  p[0] = high(p[0]);
  p[1] = high(p[1]);
  if (p[0] < 0 || p[1] < 0) return -1;
  return 0;
}

/* n pipes into p[0..2n-1] (read end, write end, ...); on failure none is left open and errno says why. */
static int open_pipes(int *p, int n) {
  for (int i = 0; i < 2 * n; i++) p[i] = -1;
  for (int i = 0; i < n; i++) {
    if (pipe_high(p + 2 * i) == 0) continue;
    int err = errno;
    for (int k = 0; k < 2 * n; k++)
      if (p[k] >= 0) close(p[k]);
    errno = err;
    return -1;
  }
  return 0;
}

static void nonblock(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

/* The command's path: as given when it has a slash, else the first executable on the given PATH. */
static const char *resolve(const char *cmd, const char *pathvar, char *space, size_t size) {
  if (strchr(cmd, '/')) return cmd;
  const char *p = pathvar ? pathvar : "/usr/sbin:/usr/bin:/sbin:/bin";
  while (*p) {
    const char *end = strchr(p, ':');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    if (n + strlen(cmd) + 2 <= size) {
      if (n == 0) snprintf(space, size, "./%s", cmd);
      else snprintf(space, size, "%.*s/%s", (int)n, p, cmd);
      struct stat st;
      if (stat(space, &st) == 0 && S_ISREG(st.st_mode) && access(space, X_OK) == 0) return space;
    }
    if (!end) break;
    p = end + 1;
  }
  return NULL;
}

static sigset_t child_mask; /* the children's signal mask: empty */

/* posix_spawn with the children's signals at their defaults; 0 or an errno. */
static int spawn_child(pid_t *pid, const char *cmd, char **argv, char **envp, posix_spawn_file_actions_t *fa, int session) {
  char *pathvar = NULL;
  for (char **e = envp; *e; e++)
    if (strncmp(*e, "PATH=", 5) == 0) pathvar = *e + 5;
  char space[4096];
  const char *file = resolve(cmd, pathvar, space, sizeof space);
  if (!file) return ENOENT;
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t deflt;
  sigemptyset(&deflt);
  sigaddset(&deflt, SIGPIPE);
  sigaddset(&deflt, SIGCHLD);
  posix_spawnattr_setsigmask(&attr, &child_mask);
  posix_spawnattr_setsigdefault(&attr, &deflt);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | (session ? POSIX_SPAWN_SETSID : 0));
  int rc = posix_spawn(pid, file, fa, &attr, argv, envp);
  posix_spawnattr_destroy(&attr);
  return rc;
}

static const char *errname(int e) {
  const char *n = strerrorname_np(e);
  return n ? n : strerror(e);
}

/* The words after the id of run and monitor: <cmd> <nargs> <args...> <nenv> <K=V...>; NULL when malformed. */
struct command {
  char *cmd;
  char **argv;
  char **envp;
};

static void free_command(struct command *c) {
  free(c->argv);
  free(c->envp);
}

static int take_command(char **w, int nw, int *at, struct command *c) {
  if (*at + 2 > nw) return -1;
  c->cmd = unhex(w[(*at)++], NULL);
  long nargs = strtol(w[(*at)++], NULL, 10);
  if (nargs < 0 || nargs > nw - *at - 1) return -1; /* compared so that no sum can overflow */
  c->argv = calloc((size_t)nargs + 2, sizeof(char *));
  if (!c->argv) _exit(70);
  c->argv[0] = c->cmd;
  for (long i = 0; i < nargs; i++) c->argv[i + 1] = unhex(w[(*at)++], NULL);
  long nenv = strtol(w[(*at)++], NULL, 10);
  if (nenv < 0 || nenv > nw - *at) return -1;
  c->envp = calloc((size_t)nenv + 1, sizeof(char *));
  if (!c->envp) _exit(70);
  for (long i = 0; i < nenv; i++) c->envp[i] = unhex(w[(*at)++], NULL);
  return 0;
}

static struct job *job_new(long id, int kind) {
  struct job *j = calloc(1, sizeof *j);
  if (!j) _exit(70);
  j->id = id;
  j->kind = kind;
  j->rd[0] = j->rd[1] = j->rd[2] = j->wr = -1;
  j->next = jobs;
  jobs = j;
  return j;
}

static void do_run(long id, char **w, int nw, int at) {
  struct command c = {0};
  if (at >= nw) return say_error(id, "malformed run");
  int wait_input = strcmp(w[at++], "1") == 0;
  if (take_command(w, nw, &at, &c) < 0 || at >= nw) {
    free_command(&c);
    return say_error(id, "malformed run");
  }
  size_t inlen;
  char *input = unhex(w[at], &inlen);
  int p[6]; /* stdin, stdout, stderr: read end, write end each */
  if (open_pipes(p, 3) < 0) {
    int err = errno;
    free_command(&c);
    return say_error(id, "pipe: %s", strerror(err));
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, p[0], 0);
  posix_spawn_file_actions_adddup2(&fa, p[3], 1);
  posix_spawn_file_actions_adddup2(&fa, p[5], 2);
  pid_t pid;
  int rc = spawn_child(&pid, c.cmd, c.argv, c.envp, &fa, 0);
  posix_spawn_file_actions_destroy(&fa);
  close(p[0]);
  close(p[3]);
  close(p[5]);
  if (rc != 0) {
    close(p[1]);
    close(p[2]);
    close(p[4]);
    say_error(id, "spawn %s %s", c.cmd, errname(rc));
  } else {
    struct job *j = job_new(id, RUN);
    j->pid = pid;
    j->rd[0] = p[2];
    j->rd[1] = p[4];
    j->wr = p[1];
    nonblock(p[2]);
    nonblock(p[4]);
    nonblock(p[1]);
    if (!wait_input) queue_write(j, input, inlen);
  }
  free_command(&c);
}

static void do_monitor(long id, char **w, int nw, int at) {
  struct command c = {0};
  if (at >= nw) return say_error(id, "malformed monitor");
  char *cwd = unhex(w[at++], NULL);
  if (take_command(w, nw, &at, &c) < 0) {
    free_command(&c);
    return say_error(id, "malformed monitor");
  }
  int p[4]; /* fd 3 (read here), fd 4 (written here): read end, write end each */
  if (open_pipes(p, 2) < 0) {
    int err = errno;
    free_command(&c);
    return say_error(id, "pipe: %s", strerror(err));
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addchdir_np(&fa, cwd);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDWR, 0);
  posix_spawn_file_actions_adddup2(&fa, 0, 1);
  posix_spawn_file_actions_adddup2(&fa, 0, 2);
  posix_spawn_file_actions_adddup2(&fa, p[1], 3);
  posix_spawn_file_actions_adddup2(&fa, p[2], 4);
  pid_t pid;
  int rc = spawn_child(&pid, c.cmd, c.argv, c.envp, &fa, 1);
  posix_spawn_file_actions_destroy(&fa);
  close(p[1]);
  close(p[2]);
  if (rc != 0) {
    close(p[0]);
    close(p[3]);
    say_error(id, "spawn %s %s", c.cmd, errname(rc));
  } else {
    struct job *j = job_new(id, MONITOR);
    j->pid = pid;
    j->rd[0] = p[0];
    j->wr = p[3];
    nonblock(p[0]);
    nonblock(p[3]);
  }
  free_command(&c);
}

static void do_release(struct job *j) {
  j->released = 1;
  for (int i = 0; i < 3; i++)
    if (j->rd[i] >= 0) {
      close(j->rd[i]);
      j->rd[i] = -1;
    }
  if (j->wr >= 0) {
    close(j->wr);
    j->wr = -1;
  }
  if (j->reaped) job_drop(j);
}

/* ------------------------------------------------------------------ operations done here */

static int own_netns = -1; /* this process's network namespace, to come back to */

static char failure[600];

static const char *fail(const char *what, const char *path, int e) {
  snprintf(failure, sizeof failure, "%s %s: %s", what, path, strerror(e));
  return failure;
}

/* Makes the pins' directory a shared mount point, as `ip netns add` does, so pins made later show in every mount namespace that has it. */
static void share_dir(const char *dir) {
  static char done[512];
  if (strcmp(done, dir) == 0) return;
  if (mount("", dir, "none", MS_SHARED | MS_REC, NULL) < 0 && errno == EINVAL) {
    if (mount(dir, dir, "none", MS_BIND | MS_REC, NULL) == 0) mount("", dir, "none", MS_SHARED | MS_REC, NULL);
  }
  snprintf(done, sizeof done, "%s", dir);
}

/* A new network namespace with lo up, pinned by a bind mount at `path` (it lives on with nothing inside). */
static const char *netns_add(const char *path) {
  char dir[512];
  snprintf(dir, sizeof dir, "%s", path);
  char *slash = strrchr(dir, '/');
  if (!slash || slash == dir) return fail("netns", path, EINVAL);
  *slash = 0;
  if (mkdir(dir, 0755) < 0 && errno != EEXIST) return fail("mkdir", dir, errno);
  share_dir(dir);
  int fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
  if (fd < 0) return fail("create", path, errno);
  close(fd);
  const char *why = NULL;
  if (unshare(CLONE_NEWNET) < 0) {
    why = fail("unshare", "net", errno);
  } else {
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strcpy(ifr.ifr_name, "lo");
    if (s < 0) why = fail("socket", "lo", errno);
    else if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) why = fail("get flags of", "lo", errno);
    else {
      ifr.ifr_flags |= IFF_UP;
      if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) why = fail("set lo up in", path, errno);
    }
    if (s >= 0) close(s);
    if (!why && mount("/proc/thread-self/ns/net", path, "none", MS_BIND, NULL) < 0) why = fail("pin", path, errno);
    if (setns(own_netns, CLONE_NEWNET) < 0) {
      /* Cannot happen with a namespace file held open; if it did, nothing here could be trusted. */
      fprintf(stderr, "skiff-spawn: cannot return to its network namespace: %s\n", strerror(errno));
      _exit(71);
    }
  }
  if (why) unlink(path);
  return why;
}

/* Unpins and removes a namespace (idempotent), as `ip netns delete` does. */
static const char *netns_del(const char *path) {
  if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT) return fail("unmount", path, errno);
  if (unlink(path) < 0 && errno != ENOENT) return fail("remove", path, errno);
  return NULL;
}

/* ------------------------------------------------------------------ port-forward connections */

/* How long a connection may take before it is given up (a SYN lost to a full backlog is retried by the kernel meanwhile). */
#define CONNECT_TIMEOUT_MS 10000

static int channel = -1; /* Node's IPC channel, when Node gave one */

struct conn {
  long id;
  int fd;
  int v6;         /* 0: trying 127.0.0.1, 1: ::1 */
  int port;
  int netns;      /* the pod's namespace (held open for the ::1 try), -1: this process's own */
  long deadline;  /* CLOCK_MONOTONIC ms */
  struct conn *next;
};

static struct conn *conns;

static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void conn_drop(struct conn *d) {
  for (struct conn **p = &conns; *p; p = &(*p)->next) {
    if (*p != d) continue;
    *p = d->next;
    if (d->fd >= 0) close(d->fd);
    if (d->netns >= 0) close(d->netns);
    free(d);
    return;
  }
}

/* Starts a non-blocking connect to localhost:port in the connection's namespace; 0, or an errno. */
static int conn_start(struct conn *c) {
  if (c->fd >= 0) close(c->fd);
  c->fd = -1;
  if (c->netns >= 0 && setns(c->netns, CLONE_NEWNET) < 0) return errno;
  int fd = socket(c->v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int err = errno;
  if (c->netns >= 0 && setns(own_netns, CLONE_NEWNET) < 0) {
    fprintf(stderr, "skiff-spawn: cannot return to its network namespace: %s\n", strerror(errno));
    _exit(71);
  }
  if (fd < 0) return err;
  c->fd = high(fd);
  int rc;
  if (c->v6) {
    struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)c->port), .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    rc = connect(c->fd, (struct sockaddr *)&a, sizeof a);
  } else {
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)c->port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    rc = connect(c->fd, (struct sockaddr *)&a, sizeof a);
  }
  if (rc == 0 || errno == EINPROGRESS) return 0;
  return errno;
}

/*
 * Hands a descriptor to Node as the answer to request id (Node's handle message, SCM_RIGHTS),
 * with the stream it is (0-2) for `stream`, none (-1) otherwise; 0, or an errno.
 */
static int hand_over(long id, int stream, int fd) {
  char line[128];
  int n = stream < 0 ? snprintf(line, sizeof line, "{\"cmd\":\"NODE_HANDLE\",\"type\":\"net.Socket\",\"msg\":{\"connect\":%ld}}\n", id)
                     : snprintf(line, sizeof line, "{\"cmd\":\"NODE_HANDLE\",\"type\":\"net.Socket\",\"msg\":{\"connect\":%ld,\"stream\":%d}}\n", id, stream);
  struct iovec iov = {.iov_base = line, .iov_len = (size_t)n};
  union {
    char space[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } u;
  memset(&u, 0, sizeof u);
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.space, .msg_controllen = sizeof u.space};
  struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cm), &fd, sizeof(int));
  ssize_t sent;
  do sent = sendmsg(channel, &msg, MSG_NOSIGNAL);
  while (sent < 0 && errno == EINTR);
  return sent == n ? 0 : sent < 0 ? errno : EIO;
}

/* Hands the connected descriptor to Node, then closes this process's copy. */
static void conn_send(struct conn *c) {
  int err = hand_over(c->id, -1, c->fd);
  if (err) say_op(c->id, fail("hand over", "connection", err));
  conn_drop(c);
}

/* The connect ended (err 0: connected): hand it over, try ::1 after a refused 127.0.0.1, or give up. */
static void conn_settle(struct conn *c, int err) {
  if (err == 0) return conn_send(c);
  if (!c->v6 && err != ETIMEDOUT) {
    c->v6 = 1;
    int again = conn_start(c);
    if (again == 0) return;
    if (again != EAFNOSUPPORT && again != EADDRNOTAVAIL && again != ENETUNREACH) err = again;
  }
  char why[160];
  snprintf(why, sizeof why, "connect to localhost:%d in the pod's network namespace: %s", c->port, strerror(err));
  say_op(c->id, why);
  conn_drop(c);
}

static void do_connect(long id, char **w, int nw, int at) {
  if (nw - at < 2) return say_error(id, "malformed connect");
  char *ns = unhex(w[at], NULL);
  int port = atoi(unhex(w[at + 1], NULL));
  if (channel < 0) return say_op(id, "connect needs the Node IPC channel (NODE_CHANNEL_FD)");
  if (port <= 0 || port > 65535) return say_op(id, "connect: port out of range");
  struct conn *c = calloc(1, sizeof *c);
  if (!c) _exit(70);
  c->id = id;
  c->fd = c->netns = -1;
  c->port = port;
  c->deadline = now_ms() + CONNECT_TIMEOUT_MS;
  c->next = conns;
  conns = c;
  if (*ns && (c->netns = open(ns, O_RDONLY | O_CLOEXEC)) < 0) {
    say_op(id, fail("open", ns, errno));
    return conn_drop(c);
  }
  int err = conn_start(c);
  if (err) conn_settle(c, err);
}

/* Whether a non-blocking connect has finished, and how. */
static void conn_ready(struct conn *c) {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
  conn_settle(c, err);
}

/* ------------------------------------------------------------------ attach relays */

#define RELAY_PACKET 32768 /* conmon's CONN_SOCK_BUF_SIZE: no packet of its is larger */
#define RELAY_INPUT 8192   /* stdin packets: what conmon reads at once, with room to spare */

struct relay {
  long id;
  int pkt;                        /* conmon's attach socket (SOCK_SEQPACKET) */
  int str;                        /* this end of the stream socketpair; Node has the other */
  char out[5 + RELAY_PACKET];     /* one framed packet on its way to Node */
  size_t olen, ooff;
  char in[RELAY_INPUT];           /* one packet on its way to conmon */
  size_t ilen;
  int pkt_eof, str_eof, shut_pkt; /* conmon sent its last; Node sent its last; conmon told so */
  struct relay *next;
};

static struct relay *relays;

static void relay_drop(struct relay *d) {
  for (struct relay **p = &relays; *p; p = &(*p)->next) {
    if (*p != d) continue;
    *p = d->next;
    close(d->pkt);
    close(d->str);
    free(d);
    return;
  }
}

/* What the relay waits for on each side. */
static short relay_pkt_events(const struct relay *r) { return (short)((r->olen == 0 && !r->pkt_eof ? POLLIN : 0) | (r->ilen ? POLLOUT : 0)); }
static short relay_str_events(const struct relay *r) { return (short)((r->ilen == 0 && !r->str_eof ? POLLIN : 0) | (r->ooff < r->olen ? POLLOUT : 0)); }

/* Moves what it can each way without blocking; 0 when the relay is over (and dropped). */
static int relay_step(struct relay *r, short pkt_ev, short str_ev) {
  if (str_ev & (POLLHUP | POLLERR)) return relay_drop(r), 0; /* Node closed its end: detached */
  if (r->ilen == 0 && !r->str_eof && (str_ev & POLLIN)) {
    ssize_t got = read(r->str, r->in, sizeof r->in);
    if (got > 0) r->ilen = (size_t)got;
    else if (got == 0) r->str_eof = 1;
    else if (errno != EAGAIN && errno != EINTR) return relay_drop(r), 0;
  }
  if (r->ilen) {
    ssize_t sent = send(r->pkt, r->in, r->ilen, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (sent >= 0 || (errno != EAGAIN && errno != EINTR)) r->ilen = 0; /* a gone conmon takes no more input */
  }
  if (r->str_eof && r->ilen == 0 && !r->shut_pkt) {
    shutdown(r->pkt, SHUT_WR);
    r->shut_pkt = 1;
  }
  if (r->olen == 0 && !r->pkt_eof && (pkt_ev & (POLLIN | POLLHUP | POLLERR))) {
    /* Received after 4 bytes, so its pipe byte lands in out[4]; then moved to out[0] and the length written over out[1..4]. */
    ssize_t got = recv(r->pkt, r->out + 4, RELAY_PACKET + 1, MSG_DONTWAIT);
    if (got > 0) {
      uint32_t len = (uint32_t)got - 1;
      r->out[0] = r->out[4];
      r->out[1] = (char)(len >> 24);
      r->out[2] = (char)(len >> 16);
      r->out[3] = (char)(len >> 8);
      r->out[4] = (char)len;
      r->olen = (size_t)got + 4;
      r->ooff = 0;
    } else if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
      r->pkt_eof = 1;
    }
  }
  if (r->ooff < r->olen) {
    ssize_t w = send(r->str, r->out + r->ooff, r->olen - r->ooff, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (w > 0) r->ooff += (size_t)w;
    else if (w < 0 && errno != EAGAIN && errno != EINTR) return relay_drop(r), 0;
    if (r->ooff == r->olen) r->olen = r->ooff = 0;
  }
  /* conmon is done and all it sent is with Node: closing lets Node read to the end, then EOF. */
  if (r->pkt_eof && r->olen == 0) return relay_drop(r), 0;
  return 1;
}

static void do_attach(long id, char **w, int nw, int at) {
  if (nw - at < 1) return say_error(id, "malformed attach");
  char *dir = unhex(w[at], NULL);
  if (channel < 0) return say_op(id, "attach needs the Node IPC channel (NODE_CHANNEL_FD)");
  /* The directory through /proc/self/fd: a bundle's path may be longer than sun_path allows. */
  int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return say_op(id, fail("open", dir, errno));
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  snprintf(a.sun_path, sizeof a.sun_path, "/proc/self/fd/%d/attach", dfd);
  int pkt = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int err = pkt < 0 ? errno : 0;
  /* A unix connect does not wait: it is accepted into the backlog, or EAGAIN when that is full. */
  if (pkt >= 0 && connect(pkt, (struct sockaddr *)&a, sizeof a) < 0) err = errno;
  close(dfd);
  int sp[2] = {-1, -1};
  if (!err && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) err = errno;
  /* Node's end non-blocking (the flag belongs to the open file, which Node shares): a write there must never stall Node's loop. */
  if (!err) nonblock(sp[1]);
  if (!err) err = hand_over(id, -1, sp[1]);
  if (sp[1] >= 0) close(sp[1]);
  if (err) {
    if (pkt >= 0) close(pkt);
    if (sp[0] >= 0) close(sp[0]);
    char why[160];
    snprintf(why, sizeof why, "attach to the container's monitor (conmon): %s", strerror(err));
    return say_op(id, why);
  }
  struct relay *r = calloc(1, sizeof *r);
  if (!r) _exit(70);
  r->id = id;
  r->pkt = high(pkt);
  r->str = high(sp[0]);
  nonblock(r->str);
  r->next = relays;
  relays = r;
}

/* ------------------------------------------------------------------ streaming commands */

/*
 * `stream`: a command (the OCI runtime's exec) whose stdio is pipes whose other ends go to
 * Node, non-blocking: stdin's write end (or /dev/null for the command when Node has nothing to
 * send), stdout's and stderr's read ends. Nothing of the streams passes through here; what is
 * left here is the process, reported as `exit` when reaped and killed by `kill`.
 */
static void do_stream(long id, char **w, int nw, int at) {
  struct command c = {0};
  if (at >= nw) return say_error(id, "malformed stream");
  int with_stdin = strcmp(w[at++], "1") == 0;
  if (take_command(w, nw, &at, &c) < 0) {
    free_command(&c);
    return say_error(id, "malformed stream");
  }
  if (channel < 0) {
    free_command(&c);
    return say_error(id, "stream needs the Node IPC channel (NODE_CHANNEL_FD)");
  }
  int p[6]; /* stdin, stdout, stderr: read end, write end each; stdin's only when asked for */
  p[0] = p[1] = -1;
  if (open_pipes(p + 2, 2) < 0 || (with_stdin && open_pipes(p, 1) < 0)) {
    int err = errno;
    for (int i = 0; i < 6; i++)
      if (p[i] >= 0) close(p[i]);
    free_command(&c);
    return say_error(id, "pipe: %s", strerror(err));
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (with_stdin) posix_spawn_file_actions_adddup2(&fa, p[0], 0);
  else posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, p[3], 1);
  posix_spawn_file_actions_adddup2(&fa, p[5], 2);
  pid_t pid;
  int rc = spawn_child(&pid, c.cmd, c.argv, c.envp, &fa, 0);
  posix_spawn_file_actions_destroy(&fa);
  /* The command's ends are its own now; Node's go to Node, each as its stream's index (0-2). */
  const int theirs[3] = {p[0], p[3], p[5]}, nodes[3] = {p[1], p[2], p[4]};
  int err = 0;
  for (int s = 0; s < 3; s++) {
    if (theirs[s] >= 0) close(theirs[s]);
    if (nodes[s] < 0) continue;
    if (rc == 0 && !err) {
      nonblock(nodes[s]);
      err = hand_over(id, s, nodes[s]);
    }
    close(nodes[s]);
  }
  if (rc != 0) say_error(id, "spawn %s %s", c.cmd, errname(rc));
  else {
    struct job *j = job_new(id, STREAM);
    j->pid = pid;
    if (err) {
      /* Node cannot have its streams: the command goes, unreported (Node has its answer). */
      kill(pid, SIGKILL);
      j->released = 1;
      say_error(id, "hand over the command's pipes: %s", strerror(err));
    }
  }
  free_command(&c);
}

/* Node's acknowledgements of handed-over descriptors: nothing to do with them. */
static void drain_channel(void) {
  char data[4096];
  ssize_t got;
  while ((got = recv(channel, data, sizeof data, MSG_DONTWAIT)) > 0) {
  }
  if (got == 0) {
    close(channel);
    channel = -1;
  }
}

static void do_op(long id, const char *op, char **w, int nw, int at) {
  char *a[4] = {0};
  int need = strcmp(op, "mount") == 0 ? 4 : strcmp(op, "umount") == 0 ? 2 : 1;
  if (nw - at < need) return say_error(id, "malformed %s", op);
  for (int i = 0; i < need; i++) a[i] = unhex(w[at + i], NULL);
  const char *why = NULL;
  if (strcmp(op, "netns-add") == 0) why = netns_add(a[0]);
  else if (strcmp(op, "netns-del") == 0) why = netns_del(a[0]);
  else if (strcmp(op, "mount") == 0) {
    if (mount(a[1], a[2], a[0], 0, a[3]) < 0) why = fail("mount", a[2], errno);
  } else if (umount2(a[0], strcmp(a[1], "1") == 0 ? MNT_DETACH : 0) < 0) {
    why = fail("umount", a[0], errno);
  }
  say_op(id, why);
}

/* ------------------------------------------------------------------ the loop */

/*
 * The longest line Node sends: a command line and environment at the kernel's limit (ARG_MAX,
 * in hex) or a command's input, with room. A longer one is refused and dropped as it comes.
 */
#define MAX_LINE (32 << 20)

static void dispatch(char **w, int nw);

static void message(char *line) {
  size_t most = 1; /* words: at most one more than the spaces */
  for (const char *s = line; *s; s++) most += *s == ' ';
  char **w = malloc(most * sizeof *w);
  if (!w) _exit(70);
  int nw = 0;
  for (char *s = strtok(line, " "); s; s = strtok(NULL, " ")) w[nw++] = s;
  dispatch(w, nw);
  free(w);
}

/* A line past MAX_LINE: its request (the id after the first word) is answered with an error. */
static void refuse_line(struct buf *in) {
  char head[64];
  size_t n = in->len < sizeof head - 1 ? in->len : sizeof head - 1;
  memcpy(head, in->p, n);
  head[n] = 0;
  char *sp = strchr(head, ' ');
  buf_free(in);
  say_error(sp ? strtol(sp + 1, NULL, 10) : 0, "a request longer than %d bytes", MAX_LINE);
}

static void dispatch(char **w, int nw) {
  if (nw < 2) return;
  long id = strtol(w[1], NULL, 10);
  const char *t = w[0];
  if (strcmp(t, "run") == 0) return do_run(id, w, nw, 2);
  if (strcmp(t, "monitor") == 0) return do_monitor(id, w, nw, 2);
  if (strcmp(t, "connect") == 0) return do_connect(id, w, nw, 2);
  if (strcmp(t, "attach") == 0) return do_attach(id, w, nw, 2);
  if (strcmp(t, "stream") == 0) return do_stream(id, w, nw, 2);
  if (strcmp(t, "netns-add") == 0 || strcmp(t, "netns-del") == 0 || strcmp(t, "mount") == 0 || strcmp(t, "umount") == 0) return do_op(id, t, w, nw, 2);
  struct job *j = job_find(id);
  if (!j) return;
  if (strcmp(t, "input") == 0 || strcmp(t, "write4") == 0) {
    size_t n;
    char *data = unhex(nw > 2 ? w[2] : NULL, &n);
    queue_write(j, data, nw > 2 ? n : 0);
  } else if (strcmp(t, "kill") == 0) {
    if (!j->reaped) kill(j->pid, SIGKILL);
  } else if (strcmp(t, "release") == 0) {
    do_release(j);
  }
}

static void reap_all(void) {
  int status;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    struct job *j = job_by_pid(pid);
    if (!j) continue;
    j->reaped = 1;
    j->status = status;
    settle(j);
  }
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  sigemptyset(&child_mask);
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, NULL);
  int sfd = signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC);
  own_netns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  /* Node's IPC channel: kept from the commands this process starts. */
  const char *ch = getenv("NODE_CHANNEL_FD");
  if (ch) {
    channel = atoi(ch);
    if (fcntl(channel, F_SETFD, FD_CLOEXEC) < 0) channel = -1;
    else channel = high(channel);
    unsetenv("NODE_CHANNEL_FD");
    unsetenv("NODE_CHANNEL_SERIALIZATION_MODE");
  }
  if (sfd < 0 || own_netns < 0) {
    fprintf(stderr, "skiff-spawn: %s\n", strerror(errno));
    return 1;
  }
  struct buf in = {0};
  struct pollfd *fds = NULL;
  struct job **owner = NULL;
  struct conn **conn_owner = NULL;
  struct relay **relay_owner = NULL;
  size_t cap = 0;
  int stdin_closed = 0; /* Node went away or left this idle: exit once no relay is open */
  int skipping = 0;     /* the rest of a refused line is being dropped */
  size_t scanned = 0;   /* how much of `in` holds no newline */
  for (;;) {
    if (stdin_closed && !relays) _exit(0);
    size_t n = 0, want = 3;
    for (struct job *j = jobs; j; j = j->next) want += 4;
    for (struct conn *c = conns; c; c = c->next) want++;
    for (struct relay *r = relays; r; r = r->next) want += 2;
    if (want > cap) {
      cap = want * 2;
      fds = realloc(fds, cap * sizeof *fds);
      owner = realloc(owner, cap * sizeof *owner);
      conn_owner = realloc(conn_owner, cap * sizeof *conn_owner);
      relay_owner = realloc(relay_owner, cap * sizeof *relay_owner);
      if (!fds || !owner || !conn_owner || !relay_owner) _exit(70);
    }
    fds[n++] = (struct pollfd){.fd = stdin_closed ? -1 : 0, .events = POLLIN};
    fds[n++] = (struct pollfd){.fd = sfd, .events = POLLIN};
    fds[n++] = (struct pollfd){.fd = channel, .events = POLLIN}; /* ignored while -1 */
    size_t first_job = n;
    for (struct job *j = jobs; j; j = j->next) {
      for (int i = 0; i < 3; i++)
        if (j->rd[i] >= 0) {
          owner[n] = j;
          fds[n++] = (struct pollfd){.fd = j->rd[i], .events = POLLIN};
        }
      if (j->wr >= 0 && j->writing) {
        owner[n] = j;
        fds[n++] = (struct pollfd){.fd = j->wr, .events = POLLOUT};
      }
    }
    size_t first_conn = n;
    long wait = -1, now = now_ms();
    for (struct conn *c = conns; c; c = c->next) {
      conn_owner[n] = c;
      fds[n++] = (struct pollfd){.fd = c->fd, .events = POLLOUT};
      long left = c->deadline > now ? c->deadline - now : 0;
      if (wait < 0 || left < wait) wait = left;
    }
    size_t first_relay = n;
    for (struct relay *r = relays; r; r = r->next) {
      relay_owner[n] = r;
      fds[n++] = (struct pollfd){.fd = r->pkt, .events = relay_pkt_events(r)};
      relay_owner[n] = r;
      fds[n++] = (struct pollfd){.fd = r->str, .events = relay_str_events(r)};
    }
    if (poll(fds, n, (int)wait) < 0) {
      if (errno == EINTR) continue;
      _exit(72);
    }
    if (fds[2].revents) drain_channel();
    /* Connections: finished, or past their deadline (looked up again, and by fd: a ::1 retry has a new one). */
    /* Relays: a pair of entries each (a relay started by a message below is not in them yet). */
    for (size_t i = first_relay; i + 1 < n; i += 2) {
      if (!fds[i].revents && !fds[i + 1].revents) continue;
      for (struct relay *k = relays; k; k = k->next)
        if (k == relay_owner[i]) {
          relay_step(k, fds[i].revents, fds[i + 1].revents);
          break;
        }
    }
    n = first_relay;
    now = now_ms();
    for (size_t i = first_conn; i < n; i++) {
      struct conn *c = NULL;
      for (struct conn *k = conns; k; k = k->next)
        if (k == conn_owner[i] && k->fd == fds[i].fd) c = k;
      if (!c) continue;
      if (fds[i].revents) conn_ready(c);
      else if (now >= c->deadline) conn_settle(c, ETIMEDOUT);
    }
    n = first_conn;
    if (fds[1].revents) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) > 0) {
      }
      reap_all();
    }
    /* Readers and writers (a job may be gone after an earlier one of its fds: look it up again). */
    for (size_t i = first_job; i < n; i++) {
      if (!fds[i].revents) continue;
      struct job *j = NULL;
      for (struct job *k = jobs; k; k = k->next)
        if (k == owner[i]) j = k;
      if (!j) continue;
      if (fds[i].events & POLLOUT) {
        if (j->wr == fds[i].fd) flush_writer(j);
        continue;
      }
      int r = -1;
      for (int k = 0; k < 3; k++)
        if (j->rd[k] == fds[i].fd) r = k;
      if (r < 0) continue;
      char data[65536];
      ssize_t got = read(fds[i].fd, data, sizeof data);
      if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (got <= 0) {
        close_reader(j, r);
        continue;
      }
      if (j->kind == MONITOR) {
        if (!j->released) {
          out_begin("fd3", j->id);
          out_hex(data, (size_t)got);
          out_end();
        }
      } else {
        buf_add(&j->got[r], data, (size_t)got);
      }
    }
    if (fds[0].revents) {
      char data[65536];
      ssize_t got = read(0, data, sizeof data);
      if (got == 0 || (got < 0 && errno != EINTR && errno != EAGAIN)) {
        if (!relays) _exit(0);
        stdin_closed = 1;
        continue;
      }
      if (got > 0) {
        char *d = data;
        size_t len = (size_t)got;
        if (skipping) {
          char *nl = memchr(d, '\n', len);
          if (!nl) continue;
          len -= (size_t)(nl + 1 - d);
          d = nl + 1;
          skipping = 0;
        }
        buf_add(&in, d, len);
        char *start = in.p;
        char *nl;
        while ((nl = memchr(start + scanned, '\n', in.len - (size_t)(start - in.p) - scanned))) {
          *nl = 0;
          message(start);
          start = nl + 1;
          scanned = 0;
        }
        size_t rest = in.len - (size_t)(start - in.p);
        memmove(in.p, start, rest);
        in.len = rest;
        scanned = rest;
        if (in.len > MAX_LINE) {
          refuse_line(&in);
          skipping = 1;
          scanned = 0;
        }
      }
    }
  }
}
