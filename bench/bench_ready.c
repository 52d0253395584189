/* bench_ready: waits for GET /readyz to answer 200, cheaply, and prints when it did.
 *
 *   bench_ready PORT START [--interval-ms N] [--timeout S] [--pid PID]
 *
 * Polls http://127.0.0.1:PORT/readyz every N ms (default 5) over one keep-alive
 * connection (reconnecting while the port refuses or after the server closes it) and
 * prints `seconds=X polls=N` where X is the wall time from START (epoch seconds with a
 * fraction, e.g. bash's $EPOCHREALTIME taken just before ksmc was started) to the first
 * 200. Exit status 1 on timeout (default 600 s) or when process PID (the server) is gone.
 *
 * Why not a shell loop: bench/run polled with bash's /dev/tcp, which costs ~1.6 ms of CPU
 * per poll on the 2-vCPU bench machine (a connection, a fork-free but syscall-heavy
 * redirection dance, a fifo read for the sleep), i.e. ~30% of a core during a sync that
 * keeps both cores busy: CPU taken from ksmc only, since the plain LIST client is not
 * polled. Here a poll is one write and one read on an open connection. */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

static double now_real(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

static int connect_to(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    close(fd);
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

/* One request on fd: the status code, 0 when the connection failed or closed. Reads the
 * whole response (headers and Content-Length body) so the connection can be reused. */
static int probe(int fd, int *keep) {
  static const char req[] = "GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  if (write(fd, req, sizeof req - 1) != (ssize_t)(sizeof req - 1)) return 0;
  char buf[4096];
  size_t n = 0;
  char *end = NULL;
  while (!end) {
    if (n == sizeof buf - 1) return 0;
    ssize_t r = read(fd, buf + n, sizeof buf - 1 - n);
    if (r <= 0) return 0;
    n += (size_t)r;
    buf[n] = '\0';
    end = strstr(buf, "\r\n\r\n");
  }
  int code = 0;
  if (sscanf(buf, "HTTP/1.%*d %d", &code) != 1) return 0;
  size_t body = 0;
  for (char *p = buf; p < end; p++) {
    if (*p == '\n' && !strncasecmp(p + 1, "content-length:", 15)) body = strtoul(p + 16, NULL, 10);
    if (*p == '\n' && !strncasecmp(p + 1, "connection: close", 17)) *keep = 0;
  }
  size_t have = n - (size_t)(end + 4 - buf);
  while (have < body) {
    ssize_t r = read(fd, buf, sizeof buf < body - have ? sizeof buf : body - have);
    if (r <= 0) return 0;
    have += (size_t)r;
  }
  return code;
}

/* False once process pid has exited (gone, or a zombie its parent has not reaped yet). */
static int alive(long pid) {
  if (kill((pid_t)pid, 0) != 0 && errno == ESRCH) return 0;
  char path[64], st[512];
  snprintf(path, sizeof path, "/proc/%ld/stat", pid);
  FILE *f = fopen(path, "r");
  if (!f) return 1; /* no procfs: kill() above is all we know */
  size_t n = fread(st, 1, sizeof st - 1, f);
  fclose(f);
  st[n] = '\0';
  const char *p = strrchr(st, ')');
  return !(p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X'));
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: bench_ready PORT START [--interval-ms N] [--timeout S] [--pid PID]\n");
    return 2;
  }
  int port = atoi(argv[1]);
  double start = strtod(argv[2], NULL), timeout = 600;
  long interval = 5, pid = 0;
  for (int a = 3; a + 1 < argc; a += 2) {
    if (!strcmp(argv[a], "--interval-ms"))
      interval = atol(argv[a + 1]);
    else if (!strcmp(argv[a], "--timeout"))
      timeout = strtod(argv[a + 1], NULL);
    else if (!strcmp(argv[a], "--pid"))
      pid = atol(argv[a + 1]);
  }
  if (port <= 0 || start <= 0 || interval < 1) {
    fprintf(stderr, "bench_ready: bad arguments\n");
    return 2;
  }
  int fd = -1;
  long polls = 0;
  for (;;) {
    if (fd < 0) fd = connect_to(port);
    if (fd >= 0) {
      int keep = 1, code = probe(fd, &keep);
      polls++;
      if (code == 200) {
        printf("seconds=%.3f polls=%ld\n", now_real() - start, polls);
        close(fd);
        return 0;
      }
      if (!code || !keep) {
        close(fd);
        fd = -1;
      }
    }
    if (pid > 0 && !alive(pid)) {
      fprintf(stderr, "bench_ready: process %ld exited before /readyz answered 200\n", pid);
      return 1;
    }
    if (now_real() - start > timeout) {
      fprintf(stderr, "bench_ready: /readyz on port %d not 200 after %.0f s\n", port, timeout);
      return 1;
    }
    sleep_ms(interval);
  }
}
