/* bench_deflate: the raw compression time of a scrape body, the reference for gzip scrapes.
 *
 *   bench_deflate FILE [--min-time S]
 *
 * Compresses FILE as one gzip member with libdeflate level 1 (whole buffer), ISA-L's igzip
 * level 1 (streamed in 256 KiB input pieces; what ksmc compresses its blocks with since
 * 2026-11-26) and zlib level 1 (likewise streamed; ksmc's compressor before), each from
 * memory to memory, single core. Prints one key=value line per compressor; bench/run takes
 * the fastest as the reference for gzip scrapes. */
#include <isa-l/igzip_lib.h>
#include <libdeflate.h>
#include <zlib.h>

#include "bench_common.h"

typedef struct {
  const char *in;
  size_t n;
  char *out;
  size_t cap;
  size_t out_n;
  struct libdeflate_compressor *ld;
  struct isal_zstream *is;
  unsigned char *level_buf;
} job;

static void pass_libdeflate(void *arg) {
  job *j = arg;
  j->out_n = libdeflate_gzip_compress(j->ld, j->in, j->n, j->out, j->cap);
  if (!j->out_n) exit(1);
}

static void pass_isal(void *arg) {
  job *j = arg;
  struct isal_zstream *s = j->is;
  isal_deflate_init(s);
  s->level = 1;
  s->level_buf = j->level_buf;
  s->level_buf_size = ISAL_DEF_LVL1_DEFAULT;
  s->gzip_flag = IGZIP_GZIP;
  s->next_out = (uint8_t *)j->out;
  s->avail_out = (uint32_t)(j->cap > UINT32_MAX ? UINT32_MAX : j->cap);
  size_t off = 0;
  do { /* 256 KiB input pieces, as for zlib below */
    size_t k = j->n - off < 262144 ? j->n - off : 262144;
    s->next_in = (uint8_t *)(j->in + off);
    s->avail_in = (uint32_t)k;
    off += k;
    s->end_of_stream = off == j->n;
    if (isal_deflate(s) != COMP_OK || s->avail_in) exit(1);
  } while (off < j->n);
  if (s->internal_state.state != ZSTATE_END) exit(1);
  j->out_n = s->total_out;
}

static void pass_zlib(void *arg) {
  job *j = arg;
  z_stream z;
  memset(&z, 0, sizeof z);
  if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) exit(1);
  z.next_out = (Bytef *)j->out;
  z.avail_out = (uInt)j->cap;
  /* 256 KiB input blocks, as ksmc's streaming compressor sees them */
  size_t off = 0;
  while (off < j->n) {
    size_t k = j->n - off < 262144 ? j->n - off : 262144;
    z.next_in = (Bytef *)(j->in + off);
    z.avail_in = (uInt)k;
    off += k;
    if (deflate(&z, off == j->n ? Z_FINISH : Z_NO_FLUSH) == Z_STREAM_ERROR) exit(1);
  }
  j->out_n = z.total_out;
  deflateEnd(&z);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: bench_deflate FILE [--min-time S]\n");
    return 2;
  }
  double min_time = 2.0;
  if (argc >= 4 && !strcmp(argv[2], "--min-time")) min_time = atof(argv[3]);
  job j = {0};
  j.in = bench_read_file(argv[1], &j.n);
  if (!j.in) {
    fprintf(stderr, "bench_deflate: cannot read %s\n", argv[1]);
    return 1;
  }
  j.ld = libdeflate_alloc_compressor(1);
  j.cap = libdeflate_gzip_compress_bound(j.ld, j.n) + compressBound((uLong)j.n);
  j.out = malloc(j.cap);
  j.is = malloc(sizeof *j.is);
  j.level_buf = malloc(ISAL_DEF_LVL1_DEFAULT);
  if (!j.ld || !j.out || !j.is || !j.level_buf) return 1;
  struct {
    const char *name;
    void (*fn)(void *);
  } c[] = {{"libdeflate1", pass_libdeflate}, {"isal1", pass_isal}, {"zlib1", pass_zlib}};
  for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
    c[i].fn(&j);
    double median;
    int passes;
    double best = bench_repeat(min_time / 2, c[i].fn, &j, &median, &passes);
    printf("mode=%s in_bytes=%zu out_bytes=%zu passes=%d best_ms=%.2f median_ms=%.2f "
           "mb_per_s=%.1f\n",
           c[i].name, j.n, j.out_n, passes, best * 1e3, median * 1e3, (double)j.n / best / 1e6);
  }
  libdeflate_free_compressor(j.ld);
  free(j.is);
  free(j.level_buf);
  free(j.out);
  return 0;
}
