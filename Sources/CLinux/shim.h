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

/// The cookie of the network namespace `fd` (a socket) belongs to: a 64-bit number the kernel
/// never gives to another namespace until it reboots (SO_NETNS_COOKIE, Linux 5.14). -1 with
/// errno where the kernel lacks it.
#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif
static inline int clinux_netns_cookie(int fd, unsigned long long *cookie) {
    socklen_t length = sizeof(*cookie);
    return getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, cookie, &length);
}

#endif
