// Header-only shim for Linux constants and structs Swift cannot import as they are (ioctl
// request numbers built by macros, netlink helper macros). Names carry the clinux_ prefix.
#ifndef CLINUX_SHIM_H
#define CLINUX_SHIM_H

#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_link.h>
#include <linux/if_bridge.h>
#include <linux/fib_rules.h>
#include <net/if.h>
#include <sys/ioctl.h>

#endif
