#include "CFluxKernels.h"

// Any C library header defines __GLIBC__ under glibc; the checks below need it.
#include <stdlib.h>

#if defined(__GLIBC__)
#include <limits.h>
#include <malloc.h>
#endif

int fk_retain_freed_memory(void) {
#if defined(__GLIBC__)
    int ok = mallopt(M_ARENA_MAX, 1);
    ok &= mallopt(M_MMAP_MAX, 0);
    ok &= mallopt(M_TRIM_THRESHOLD, INT_MAX);
    return ok;
#else
    return 0;
#endif
}

void fk_release_freed_memory(void) {
#if defined(__GLIBC__)
    malloc_trim(0);
#endif
}
