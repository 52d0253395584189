/* bench_ready: waits for GET /readyz to answer 200, cheaply, and prints when it did.
 *
 *   bench_ready PORT START [--interval-ms N] [--timeout S] [--pid PID]
 *
 * Polls http://127.0.0.1:PORT/readyz every N ms (default 5) with libcurl over one
 * keep-alive connection (curl reconnects while the port refuses or after the server
 * closes it) and
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
#include <curl/curl.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

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

/* The body of /readyz is not needed: only its status. */
static size_t discard(char *p, size_t size, size_t nmemb, void *u) {
  (void)p, (void)u;
  return size * nmemb;
}

/* One GET /readyz on easy (its connection is kept between calls): the status code, 0 when
 * the request failed (refused, reset, timed out). */
static long probe(CURL *easy) {
  long code = 0;
  if (curl_easy_perform(easy) != CURLE_OK) return 0;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
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
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%d/readyz", port);
  CURL *easy = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? curl_easy_init() : NULL;
  if (!easy || curl_easy_setopt(easy, CURLOPT_URL, url) != CURLE_OK ||
      curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, discard) != CURLE_OK ||
      curl_easy_setopt(easy, CURLOPT_TCP_NODELAY, 1L) != CURLE_OK ||
      curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, 10000L) != CURLE_OK) {
    fprintf(stderr, "bench_ready: cannot set up libcurl\n");
    return 2;
  }
  long polls = 0;
  int rc;
  for (;;) {
    long code = probe(easy);
    polls++;
    if (code == 200) {
      printf("seconds=%.3f polls=%ld\n", now_real() - start, polls);
      rc = 0;
      break;
    }
    if (pid > 0 && !alive(pid)) {
      fprintf(stderr, "bench_ready: process %ld exited before /readyz answered 200\n", pid);
      rc = 1;
      break;
    }
    if (now_real() - start > timeout) {
      fprintf(stderr, "bench_ready: /readyz on port %d not 200 after %.0f s\n", port, timeout);
      rc = 1;
      break;
    }
    sleep_ms(interval);
  }
  curl_easy_cleanup(easy);
  curl_global_cleanup();
  return rc;
}
