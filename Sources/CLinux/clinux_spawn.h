#ifndef CLINUX_SPAWN_H
#define CLINUX_SPAWN_H

#include <spawn.h>

// glibc (2.34+) declares this only under _GNU_SOURCE / __USE_MISC, which Swift's Glibc module is
// not built with; the symbol is in libc all the same. A child given exactly the fds it needs
// depends on it.
extern int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *actions, int from);

static inline int clinux_spawn_closefrom(posix_spawn_file_actions_t *actions, int from) {
    return posix_spawn_file_actions_addclosefrom_np(actions, from);
}

// Same (glibc 2.29+): the child's working folder, set in the child, not by a chdir of ours.
extern int posix_spawn_file_actions_addchdir_np(posix_spawn_file_actions_t *actions, const char *path);

static inline int clinux_spawn_chdir(posix_spawn_file_actions_t *actions, const char *path) {
    return posix_spawn_file_actions_addchdir_np(actions, path);
}

#endif
