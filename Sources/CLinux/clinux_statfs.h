// statfs(2), which Swift's Glibc module does not export (sys/vfs.h).
#ifndef CLINUX_STATFS_H
#define CLINUX_STATFS_H

#include <sys/vfs.h>

static const long CLINUX_TMPFS_MAGIC = 0x01021994;

/// The file system type (f_type) of the file system holding `path`, or -1 with errno set.
static inline long clinux_fs_type(const char *path) {
    struct statfs info;
    if (statfs(path, &info) != 0) return -1;
    return (long)info.f_type;
}

#endif
