/* Deflate pieces and CRC-32s for gzip responses; see ksmc_deflate.h. */
#include "ksmc_deflate.h"

#include <isa-l/crc.h>
#include <isa-l/igzip_lib.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

struct ksmc_deflate {
  struct isal_zstream *is; /* level 1; NULL: zlib at the level given to new */
  unsigned char *level_buf;
  z_stream zs; /* levels 2..9 */
  bool zs_init;
  unsigned char *out; /* the last piece */
  size_t cap;
};

ksmc_deflate *ksmc_deflate_new(int level) {
  if (level < 1 || level > 9) return NULL;
  ksmc_deflate *z = calloc(1, sizeof *z);
  if (!z) return NULL;
  if (level == 1) {
    z->is = malloc(sizeof *z->is);
    z->level_buf = malloc(ISAL_DEF_LVL1_DEFAULT);
    if (!z->is || !z->level_buf) {
      ksmc_deflate_free(z);
      return NULL;
    }
    isal_deflate_init(z->is);
    z->is->level = 1;
    z->is->level_buf = z->level_buf;
    z->is->level_buf_size = ISAL_DEF_LVL1_DEFAULT;
    z->is->gzip_flag = IGZIP_DEFLATE; /* raw deflate */
    z->is->flush = SYNC_FLUSH;
    z->is->end_of_stream = 0;
  } else {
    /* raw deflate (windowBits -15); memLevel 8 is zlib's default */
    if (deflateInit2(&z->zs, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
      free(z);
      return NULL;
    }
    z->zs_init = true;
  }
  return z;
}

void ksmc_deflate_free(ksmc_deflate *z) {
  if (!z) return;
  if (z->zs_init) deflateEnd(&z->zs);
  free(z->is);
  free(z->level_buf);
  free(z->out);
  free(z);
}

/* Makes z->out at least `need` bytes. */
static bool reserve(ksmc_deflate *z, size_t need) {
  if (z->cap >= need) return true;
  size_t cap = z->cap ? z->cap : 1 << 16;
  while (cap < need) cap *= 2;
  unsigned char *p = realloc(z->out, cap);
  if (!p) return false;
  z->out = p;
  z->cap = cap;
  return true;
}

/* ISA-L: reset (no history), compress with a sync flush, growing the buffer until the
 * output is not full after all input was taken (igzip's sign that everything, the empty
 * stored block included, is out). */
static bool piece_isal(ksmc_deflate *z, const void *in, size_t n, size_t *out_n) {
  if (n > UINT32_MAX || !reserve(z, n + n / 8 + 1024)) return false;
  struct isal_zstream *is = z->is;
  isal_deflate_reset(is);
  is->next_in = (uint8_t *)in;
  is->avail_in = (uint32_t)n;
  size_t done = 0;
  for (;;) {
    size_t room = z->cap - done;
    is->next_out = z->out + done;
    is->avail_out = room > UINT32_MAX ? UINT32_MAX : (uint32_t)room;
    uint32_t before = is->avail_out;
    if (isal_deflate(is) != COMP_OK) return false;
    done += before - is->avail_out;
    if (is->avail_in == 0 && is->avail_out > 0) break;
    if (!reserve(z, z->cap * 2)) return false;
  }
  *out_n = done;
  return true;
}

/* zlib: reset, one deflate call with a sync flush into deflateBound's room. */
static bool piece_zlib(ksmc_deflate *z, const void *in, size_t n, size_t *out_n) {
  if (n > UINT_MAX || deflateReset(&z->zs) != Z_OK) return false;
  size_t cap = deflateBound(&z->zs, (uLong)n) + 64;
  if (cap > UINT_MAX || !reserve(z, cap)) return false;
  z->zs.next_in = (Bytef *)in;
  z->zs.avail_in = (uInt)n;
  z->zs.next_out = z->out;
  z->zs.avail_out = (uInt)cap;
  if (deflate(&z->zs, Z_SYNC_FLUSH) != Z_OK || z->zs.avail_in || !z->zs.avail_out) return false;
  *out_n = cap - z->zs.avail_out;
  return true;
}

bool ksmc_deflate_piece(ksmc_deflate *z, const void *in, size_t n, const unsigned char **piece,
                        size_t *piece_n) {
  size_t k = 0;
  if (n && !(z->is ? piece_isal(z, in, n, &k) : piece_zlib(z, in, n, &k))) return false;
  *piece = z->out;
  *piece_n = k;
  return true;
}

uint32_t ksmc_deflate_crc32(uint32_t crc, const void *p, size_t n) {
  return crc32_gzip_refl(crc, p, n);
}

uint32_t ksmc_deflate_crc32_combine(uint32_t crc_a, uint32_t crc_b, size_t len_b) {
  return (uint32_t)crc32_combine(crc_a, crc_b, (z_off_t)len_b);
}
