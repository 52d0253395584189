#include "ksmc_heap.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#define HUGE_PAGE ((uintptr_t)2 << 20)
#define TOP_PAD (64 << 20)

void ksmc_heap_init(ksmc_heap *h) {
  memset(h, 0, sizeof *h);
#if defined(__GLIBC__) && defined(MADV_HUGEPAGE)
  /* one arena: per-thread arenas are mmap'd heaps this module cannot advise */
  mallopt(M_ARENA_MAX, 1);
  mallopt(M_TOP_PAD, TOP_PAD);
  /* never shrink the heap top by less than a growth step: no trim/regrow cycles */
  mallopt(M_TRIM_THRESHOLD, 2 * TOP_PAD);
  uintptr_t start = (uintptr_t)sbrk(0);
  h->base = (start + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
  h->advised_end = h->base;
  free(malloc(100 << 10)); /* below the mmap threshold: grows the heap by TOP_PAD now */
  ksmc_heap_advise(h);
#endif
}

void ksmc_heap_advise(ksmc_heap *h) {
#if defined(__GLIBC__) && defined(MADV_HUGEPAGE)
  uintptr_t end = (uintptr_t)sbrk(0) & ~(HUGE_PAGE - 1);
  if (!h->base || end <= h->advised_end) return;
  /* a failure (no THP support) leaves ordinary pages: nothing to report */
  (void)madvise((void *)h->advised_end, end - h->advised_end, MADV_HUGEPAGE);
  h->advised_end = end;
#else
  (void)h;
#endif
}
