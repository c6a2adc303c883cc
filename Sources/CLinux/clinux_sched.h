// setns(2) is declared by glibc only under _GNU_SOURCE, which Swift's Glibc module is built
// without: declare it here (same prototype) and wrap it.
#ifndef CLINUX_SCHED_H
#define CLINUX_SCHED_H

extern int setns(int fd, int nstype);

static const int CLINUX_CLONE_NEWNET = 0x40000000;

static inline int clinux_setns(int fd, int nstype) { return setns(fd, nstype); }

#endif
