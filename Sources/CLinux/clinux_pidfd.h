// pidfd_open(2) (Linux 5.3): a descriptor that becomes readable when the process exits, so a
// wait can poll the process and its output pipes together. glibc 2.36 has no wrapper; syscall()
// is variadic, which Swift cannot call.
#ifndef CLINUX_PIDFD_H
#define CLINUX_PIDFD_H

#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

/// A pidfd for `pid` (close-on-exec), or -1 with errno (ENOSYS on kernels before 5.3).
static inline int clinux_pidfd_open(int pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }

#endif
