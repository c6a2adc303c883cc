// malloc_trim(3), which Swift's Glibc module does not export (malloc.h).
#ifndef CLINUX_MALLOC_H
#define CLINUX_MALLOC_H

#include <malloc.h>

/// Gives the free memory of every malloc arena back to the kernel; 1 when some was released.
static inline int clinux_malloc_trim(void) { return malloc_trim(0); }

#endif
