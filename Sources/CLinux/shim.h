// Header-only shim for Linux structs and constants Swift cannot import as they are. glibc's
// <netinet/in.h> comes first so that linux/libc-compat.h leaves struct in6_addr and friends to
// glibc: otherwise linux/in6.h (pulled in by rtnetlink.h) declares them a second time and Swift
// sees two of each. Names carry the clinux_ / CLINUX_ prefix.
#ifndef CLINUX_SHIM_H
#define CLINUX_SHIM_H

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/ioctl.h>
#include <net/if.h>
#include <string.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_link.h>
#include <linux/if_bridge.h>
#include <linux/fib_rules.h>
#include <linux/if_tun.h>

/// TUNGETIFF: the name and IFF_* flags a tun/tap fd is attached with (tests check what TUNSETIFF
/// really did).
static inline int clinux_tun_get(int fd, char name[IFNAMSIZ], short *flags) {
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    int r = ioctl(fd, TUNGETIFF, &ifr);
    if (r == 0) {
        memcpy(name, ifr.ifr_name, IFNAMSIZ);
        name[IFNAMSIZ - 1] = 0;
        *flags = ifr.ifr_flags;
    }
    return r;
}

#endif
