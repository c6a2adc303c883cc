// ioctl request numbers built with _IOW/_IOR, which Swift cannot import, and a non-variadic
// ioctl for them.
#ifndef CLINUX_TUN_H
#define CLINUX_TUN_H

#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <string.h>

static const unsigned long CLINUX_TUNSETIFF = TUNSETIFF;
static const unsigned long CLINUX_TUNGETIFF = TUNGETIFF;
static const unsigned long CLINUX_TUNGETFEATURES = TUNGETFEATURES;

/// TUNSETIFF with a name (may be empty: the kernel picks tapN) and flags; writes the name the
/// kernel used back into `name` (IFNAMSIZ bytes).
static inline int clinux_tun_set(int fd, char *name, short flags) {
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
    ifr.ifr_flags = flags;
    int r = ioctl(fd, TUNSETIFF, &ifr);
    if (r == 0) {
        memcpy(name, ifr.ifr_name, IFNAMSIZ);
        name[IFNAMSIZ - 1] = 0;
    }
    return r;
}

/// TUNGETFEATURES: the IFF_* flags this kernel's tun driver supports.
static inline int clinux_tun_features(int fd, unsigned int *features) {
    return ioctl(fd, TUNGETFEATURES, features);
}

#endif
