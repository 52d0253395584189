/* ksmc_deflate: the deflate pieces and CRC-32s of gzip responses.
 *
 * A piece is raw deflate data that references no byte before it and ends byte-aligned
 * with an empty stored block (a sync flush), without a final block. Pieces compressed at
 * different times can therefore be concatenated in any order into one deflate stream;
 * ksmc_expo.c caches one per (store, family, segment) and joins the cached ones.
 *
 * Level 1, the exporter's, uses ISA-L's igzip level 1 (Debian libisal-dev, already the
 * LIST decoder): on the /metrics text of 30,000 pods cut into 34 KB pieces it compresses
 * 3.5-4x faster than zlib level 1 and 10% smaller (bench/README.md, section 3). Levels
 * 2..9 use zlib at that level, for callers that want zlib's ratios. The CRC is ISA-L's
 * (carry-less multiply), ~8x zlib's crc32 on the same bytes, with zlib's crc32_combine
 * to join the CRCs of pieces. */
#ifndef KSMC_DEFLATE_H
#define KSMC_DEFLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ksmc_deflate ksmc_deflate;

/* A compressor for pieces at `level` (1..9). NULL on allocation failure or a level out of
 * range. The compressor's state (~360 KB for level 1) is allocated here. */
ksmc_deflate *ksmc_deflate_new(int level);

/* Frees z (NULL: nothing). */
void ksmc_deflate_free(ksmc_deflate *z);

/* Compresses in[0..n) into one piece. True with *piece and *piece_n set: the piece's bytes
 * live in z's buffer until the next call or ksmc_deflate_free. n = 0 gives an empty piece
 * (piece_n 0). False on allocation failure or a compressor error. */
bool ksmc_deflate_piece(ksmc_deflate *z, const void *in, size_t n, const unsigned char **piece,
                        size_t *piece_n);

/* gzip's CRC-32 of p[0..n), continuing from crc (0 to start). */
uint32_t ksmc_deflate_crc32(uint32_t crc, const void *p, size_t n);

/* The CRC-32 of A followed by B, from crc_a, crc_b and B's length. */
uint32_t ksmc_deflate_crc32_combine(uint32_t crc_a, uint32_t crc_b, size_t len_b);

#endif
