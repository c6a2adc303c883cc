// Header-only shim for Linux structs and constants Swift cannot import as they are. Only
// headers that do not clash with glibc's (linux/in6.h does, through rtnetlink.h): the rtnetlink
// numbers live in HostNet's NetlinkConstants instead.
#ifndef CLINUX_SHIM_H
#define CLINUX_SHIM_H

#include <linux/netlink.h>

#endif
