// Header-only shim over Debian's Lua 5.4 (liblua5.4-dev).
//
// Swift cannot import Lua's function-like macros, LUA_REGISTRYINDEX or its
// variadic functions; this header re-exports them as static inline functions.
// It also holds the parts of the bridge that must be C because they raise Lua
// errors (longjmp): the trampoline that turns a Swift callback's "raise"
// marker into lua_error, the count hook that enforces the time budget, and the
// message handler. Swift frames are never unwound by a Lua error.
#ifndef CLUA_SHIM_H
#define CLUA_SHIM_H

#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const int CLUA_REGISTRYINDEX = LUA_REGISTRYINDEX;
/// Returned by a Swift callback to ask the trampoline to raise the value on top of the stack.
static const int CLUA_RAISE = -1;
static const int CLUA_IDSIZE = LUA_IDSIZE;

static inline int clua_upvalueindex(int i) { return lua_upvalueindex(i); }
static inline void clua_pop(lua_State *L, int n) { lua_pop(L, n); }
static inline void clua_newtable(lua_State *L) { lua_newtable(L); }
static inline int clua_gc(lua_State *L, int what, int arg) { return lua_gc(L, what, arg); }
static inline void clua_pushcfunction(lua_State *L, lua_CFunction f) { lua_pushcfunction(L, f); }

/// Loads text only: precompiled chunks are refused by Lua itself.
static inline int clua_loadtext(lua_State *L, const char *buf, size_t len, const char *name) {
    return luaL_loadbufferx(L, buf, len, name, "t");
}

/// The library's own identification ("$LuaVersion: Lua 5.4.4  Copyright ..."): the release
/// the process runs, which may be newer than the headers it was built with.
static inline const char *clua_ident(void) { return lua_ident; }

static inline uint64_t clua_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

// ---------------------------------------------------------------------------
// Budgets. One struct per state is the allocator's userdata, so both the
// allocator and the count hook reach it (the hook through lua_getallocf).

enum {
    CLUA_EXPIRED_NONE = 0,
    CLUA_EXPIRED_CLOCK = 1,
    CLUA_EXPIRED_INSTRUCTIONS = 2,
};

typedef struct clua_budget {
    size_t used;             ///< bytes currently allocated by the state
    size_t peak;             ///< highest `used` since the last reset
    size_t limit;            ///< 0: no memory limit
    size_t reserve;          ///< headroom granted once exhausted, so error handling can still allocate
    int enforce;             ///< the limit applies only while Lua code runs, never inside Swift frames
    int memory_exhausted;    ///< a refusal became an error: sticky for the rest of the call
    int refused_pending;     ///< the last growth request was refused and not yet retried
    void *refused_ptr;       ///< that request, to recognise Lua's retry after its emergency collection
    size_t refused_osize;
    size_t refused_nsize;
    int expired;             ///< CLUA_EXPIRED_*: sticky for the call
    int interval;            ///< instructions between two hook calls
    uint64_t deadline_ns;    ///< CLOCK_MONOTONIC deadline, 0: none
    uint64_t timeout_ms;     ///< for the message only
    uint64_t instruction_limit; ///< 0: none
    uint64_t instructions;   ///< counted in steps of `interval`
} clua_budget;

/// Whether a refusal is known to have become an error. Lua retries most refused requests once,
/// after an emergency collection and before any instruction runs; a refusal that is not followed
/// by that retry (some library buffers never retry) was raised as it was.
static inline int clua_memory_spent(const clua_budget *b) {
    return b->memory_exhausted || b->refused_pending;
}

/// The allocator: refuses growth beyond the limit (Lua turns NULL into a memory error), never
/// refuses a shrink, and frees with free() for nsize == 0.
static inline void *clua_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
    clua_budget *b = (clua_budget *)ud;
    if (ptr == NULL) osize = 0;  // osize is a type tag for new blocks
    if (nsize == 0) {
        free(ptr);
        b->used -= osize;
        return NULL;
    }
    if (nsize > osize) {
        int retry = b->refused_pending && ptr == b->refused_ptr && osize == b->refused_osize
            && nsize == b->refused_nsize;
        if (b->refused_pending && !retry) b->memory_exhausted = 1;
        b->refused_pending = 0;
        if (b->enforce && b->limit > 0) {
            size_t cap = b->limit + (b->memory_exhausted ? b->reserve : 0);
            if (b->used + (nsize - osize) > cap) {
                if (retry) {
                    b->memory_exhausted = 1;
                } else {
                    b->refused_pending = 1;
                    b->refused_ptr = ptr;
                    b->refused_osize = osize;
                    b->refused_nsize = nsize;
                }
                return NULL;
            }
        }
    }
    void *p = realloc(ptr, nsize);
    if (p == NULL) return NULL;
    b->used = b->used - osize + nsize;
    if (b->used > b->peak) b->peak = b->used;
    return p;
}

static inline lua_State *clua_newstate(clua_budget *budget) {
    return lua_newstate(clua_alloc, budget);
}

static inline clua_budget *clua_budget_of(lua_State *L) {
    void *ud = NULL;
    lua_getallocf(L, &ud);
    return (clua_budget *)ud;
}

/// Pushes the message for a spent budget (the hook raises it; Swift uses it for a budget that
/// was spent and caught before the call returned).
static inline void clua_push_budget_message(lua_State *L, const clua_budget *b) {
    if (b->expired == CLUA_EXPIRED_CLOCK) {
        lua_pushfstring(L, "time budget of %I ms exhausted", (lua_Integer)b->timeout_ms);
    } else if (b->expired == CLUA_EXPIRED_INSTRUCTIONS) {
        lua_pushfstring(L, "instruction budget of %I exhausted", (lua_Integer)b->instruction_limit);
    } else {
        lua_pushfstring(L, "memory budget of %I bytes exhausted", (lua_Integer)b->limit);
    }
}

/// The count hook. Once a budget is spent it re-arms itself to run after every instruction,
/// in whichever thread (coroutine) it fires, so `pcall` or `coroutine.resume` can catch the
/// error only to have it raised again at the next instruction (Redis's luaMaskCountHook).
static inline void clua_hook(lua_State *L, lua_Debug *ar) {
    (void)ar;
    clua_budget *b = clua_budget_of(L);
    if (b->refused_pending) {  // an instruction runs: the refusal was not retried, it was raised
        b->refused_pending = 0;
        b->memory_exhausted = 1;
    }
    if (!b->expired && !b->memory_exhausted) {
        b->instructions += (uint64_t)b->interval;
        if (b->instruction_limit > 0 && b->instructions > b->instruction_limit) {
            b->expired = CLUA_EXPIRED_INSTRUCTIONS;
        } else if (b->deadline_ns > 0 && clua_now_ns() >= b->deadline_ns) {
            b->expired = CLUA_EXPIRED_CLOCK;
        } else {
            // A coroutine made while an earlier call was expiring still has count 1.
            if (lua_gethookcount(L) != b->interval) lua_sethook(L, clua_hook, LUA_MASKCOUNT, b->interval);
            return;
        }
    }
    lua_sethook(L, clua_hook, LUA_MASKCOUNT, 1);
    clua_push_budget_message(L, b);
    lua_error(L);
}

/// For C functions that loop without running Lua code (pattern matching, say): raises the
/// budget's error, as the hook would, once the call's time budget is spent. Cheap enough to
/// call every few thousand steps. Only for states made by clua_newstate.
static inline void clua_budget_poll(lua_State *L) {
    clua_budget *b = clua_budget_of(L);
    if (!b->expired && b->deadline_ns > 0 && clua_now_ns() >= b->deadline_ns) b->expired = CLUA_EXPIRED_CLOCK;
    if (b->expired) {
        lua_sethook(L, clua_hook, LUA_MASKCOUNT, 1);
        clua_push_budget_message(L, b);
        lua_error(L);
    }
}

/// `spent()` for the prelude: whether this call's time or memory budget is gone. A Lua function
/// in C, so asking costs no Swift frame.
static inline int clua_spent(lua_State *L) {
    const clua_budget *b = clua_budget_of(L);
    lua_pushboolean(L, b->expired || clua_memory_spent(b));
    return 1;
}

static inline void clua_arm_hook(lua_State *L, int interval) {
    lua_sethook(L, clua_hook, LUA_MASKCOUNT, interval);
}

// ---------------------------------------------------------------------------
// Swift callbacks.

/// Every Swift function is pushed as this closure, with upvalue 1 the Swift dispatcher (a light
/// C function) and upvalue 2 a light userdata naming the Swift box. The dispatcher never raises;
/// it returns CLUA_RAISE with the message on top, and the error is raised here, in C, with the
/// caller's `chunk:line:` in front as luaL_error would.
static inline int clua_trampoline(lua_State *L) {
    lua_CFunction dispatch = lua_tocfunction(L, lua_upvalueindex(1));
    int n = dispatch(L);
    if (n == CLUA_RAISE) {
        if (lua_type(L, -1) == LUA_TSTRING) {
            luaL_where(L, 1);
            lua_insert(L, -2);
            lua_concat(L, 2);
        }
        return lua_error(L);
    }
    return n;
}

static inline void clua_pushswift(lua_State *L, lua_CFunction dispatch, void *box) {
    lua_pushcfunction(L, dispatch);
    lua_pushlightuserdata(L, box);
    lua_pushcclosure(L, clua_trampoline, 2);
}

/// The chunk name of LuaKit's sandbox prelude: trusted code whose frames are never the place
/// an error is reported at.
#define CLUA_SANDBOX_CHUNK "=[LuaKit sandbox]"

/// Message handler for the outer pcall: returns a table with the message (non-string error
/// objects go through __tostring as lua.c does), the traceback, and the source and line of the
/// innermost Lua frame outside the sandbox prelude, for errors whose message carries no
/// position (an error the prelude raises on behalf of a C function, as a write to a read-only
/// table from `table.insert`, belongs to the code that called the C function).
static inline int clua_msghandler(lua_State *L) {
    // The message is kept as a Lua value, not a C string, so bytes after a NUL stay in it.
    int message;
    if (lua_type(L, 1) == LUA_TSTRING || lua_type(L, 1) == LUA_TNUMBER) {
        message = 1;
    } else if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) {
        message = lua_gettop(L);
    } else {
        lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
        message = lua_gettop(L);
    }
    lua_createtable(L, 0, 4);
    int t = lua_gettop(L);
    lua_pushvalue(L, message);
    lua_setfield(L, t, "message");
    luaL_traceback(L, L, NULL, 1);
    lua_setfield(L, t, "traceback");
    // Every Lua frame outside the prelude, innermost first (at most 64): `source` and `line` are
    // the innermost one's; `frames` lets the caller find the frame of the chunk it called, for an
    // error raised inside a library module that chunk required.
    lua_createtable(L, 8, 0);
    int frames = lua_gettop(L);
    int count = 0;
    lua_Debug ar;
    for (int level = 1; count < 64 && lua_getstack(L, level, &ar); level++) {
        if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0 && strcmp(ar.source, CLUA_SANDBOX_CHUNK) != 0) {
            if (count == 0) {
                lua_pushstring(L, ar.source);
                lua_setfield(L, t, "source");
                lua_pushinteger(L, ar.currentline);
                lua_setfield(L, t, "line");
            }
            lua_createtable(L, 2, 0);
            lua_pushstring(L, ar.source);
            lua_rawseti(L, -2, 1);
            lua_pushinteger(L, ar.currentline);
            lua_rawseti(L, -2, 2);
            lua_rawseti(L, frames, ++count);
        }
    }
    lua_setfield(L, t, "frames");
    return 1;
}

/// lua_pcall with clua_msghandler placed under the function and removed afterwards; on return
/// the stack holds the results (or the error object) where the function and arguments were.
static inline int clua_pcall(lua_State *L, int nargs, int nresults) {
    int base = lua_gettop(L) - nargs;
    lua_pushcfunction(L, clua_msghandler);
    lua_insert(L, base);
    int status = lua_pcallk(L, nargs, nresults, base, 0, NULL);
    lua_remove(L, base);
    return status;
}

#include "clua_strlib.h"
#include "clua_tablib.h"

#endif
