// A pseudo-terminal pair, for tests of programs that talk to a terminal. glibc declares
// posix_openpt/grantpt/ptsname only under _XOPEN_SOURCE, which Swift's Glibc module is not built
// with; the kernel's /dev/ptmx interface needs no such switch.
#ifndef CLINUX_PTY_H
#define CLINUX_PTY_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

/// Opens a new pseudo-terminal: returns the controlling side's fd (close-on-exec) and writes the
/// terminal side's path into `name`; -1 with errno on failure.
static inline int clinux_open_pty(char *name, size_t size) {
    int fd = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) return -1;
    int unlock = 0;
    unsigned int number = 0;
    if (ioctl(fd, TIOCSPTLCK, &unlock) != 0 || ioctl(fd, TIOCGPTN, &number) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    snprintf(name, size, "/dev/pts/%u", number);
    return fd;
}

#endif
