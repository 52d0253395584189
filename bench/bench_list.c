/* bench_list: the time a plain HTTP client takes to fetch full paginated LISTs, the
 * reference for ksmc's initial sync.
 *
 *   bench_list URL... [--limit N]
 *
 * For each URL in turn: GETs URL?limit=N, then URL?limit=N&continue=TOKEN until no token
 * is returned, on one reused libcurl handle (keep-alive, like ksmc's reflector), asking
 * for the same encodings as ksmc (Accept-Encoding: all libcurl supports, so apisim gzips
 * large pages), discarding the bodies. Prints one key=value line with the totals
 * (`seconds`: from the first request to the last byte, in the process; bench/run also
 * times the whole process, start-up included, as it does ksmc's). */
#include <curl/curl.h>

#include "bench_common.h"

typedef struct {
  char head[4096]; /* first bytes of the body: the list metadata with the token */
  size_t head_n;
  size_t bytes;
} page;

static size_t on_data(char *p, size_t sz, size_t n, void *arg) {
  page *pg = arg;
  size_t k = sz * n;
  if (pg->head_n < sizeof pg->head - 1) {
    size_t c = sizeof pg->head - 1 - pg->head_n;
    if (c > k) c = k;
    memcpy(pg->head + pg->head_n, p, c);
    pg->head_n += c;
    pg->head[pg->head_n] = '\0';
  }
  pg->bytes += k;
  return k;
}

int main(int argc, char **argv) {
  int limit = 500, nurls = 0;
  const char *urls[64];
  for (int a = 1; a < argc; a++) {
    if (!strcmp(argv[a], "--limit") && a + 1 < argc)
      limit = atoi(argv[++a]);
    else if (nurls < 64)
      urls[nurls++] = argv[a];
  }
  if (nurls == 0) {
    fprintf(stderr, "usage: bench_list URL... [--limit N]\n");
    return 2;
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  CURL *e = curl_easy_init();
  curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
  char url[8192], token[2048] = "";
  size_t total = 0;
  int pages = 0;
  double t0 = bench_now();
  for (int u = 0; u < nurls;) {
    page pg = {.head_n = 0};
    if (token[0])
      snprintf(url, sizeof url, "%s?limit=%d&continue=%s", urls[u], limit, token);
    else
      snprintf(url, sizeof url, "%s?limit=%d", urls[u], limit);
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &pg);
    CURLcode rc = curl_easy_perform(e);
    long code = 0;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
    if (rc != CURLE_OK || code != 200) {
      fprintf(stderr, "bench_list: %s: %s (HTTP %ld)\n", url, curl_easy_strerror(rc), code);
      return 1;
    }
    total += pg.bytes;
    pages++;
    token[0] = '\0';
    const char *c = strstr(pg.head, "\"continue\":\"");
    const char *items = strstr(pg.head, "\"items\"");
    if (c && (!items || c < items)) {
      c += 12;
      const char *q = strchr(c, '"');
      if (q && (size_t)(q - c) < sizeof token) {
        memcpy(token, c, (size_t)(q - c));
        token[q - c] = '\0';
      }
    }
    if (!token[0]) u++; /* this list is complete: the next URL */
  }
  double t = bench_now() - t0;
  printf("pages=%d bytes=%zu seconds=%.3f\n", pages, total, t);
  curl_easy_cleanup(e);
  curl_global_cleanup();
  return 0;
}
