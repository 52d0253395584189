/* ksmc_heap: the exporter's malloc settings, against page-fault storms while syncing.
 *
 * The initial sync stores every object's rendered lines (~7.7 KB per pod) in freshly
 * allocated records: 3,000 pods fault in ~6,000 new 4 KiB pages, and on virtual machines
 * a page fault costs microseconds (a third of ksmc's sync CPU went there). ksmc therefore
 * keeps one malloc arena (the brk heap, all threads), grows it 64 MiB at a time without
 * trimming it back, and advises the kernel to back it with transparent huge pages
 * (MADV_HUGEPAGE; effective when /sys/kernel/mm/transparent_hugepage/enabled is
 * "madvise" or "always"): one fault per 2 MiB. Untouched heap stays unallocated, so RSS
 * follows use as before. glibc only; elsewhere both calls do nothing. */
#ifndef KSMC_HEAP_H
#define KSMC_HEAP_H

#include <stdint.h>

typedef struct {
  uintptr_t advised_end; /* the heap up to here is advised */
  uintptr_t base;        /* first 2 MiB boundary of the heap */
} ksmc_heap;

/* Sets the malloc options; call once at start, before any other thread exists. */
void ksmc_heap_init(ksmc_heap *h);

/* Advises heap grown since the last call (cheap when it did not grow). Call from one
 * thread at a time, e.g. after storing an object. */
void ksmc_heap_advise(ksmc_heap *h);

#endif
