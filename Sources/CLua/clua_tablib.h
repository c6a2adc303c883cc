// Bounded replacements for string.rep and the looping functions of the table library.
//
// The time budget is enforced by a count hook, which only runs between Lua instructions. Lua's
// own string.rep, table.insert, table.remove, table.move, table.concat and table.sort loop in C
// for as long as their arguments say (a __len of math.maxinteger, a range of 2^63 elements, an
// empty string repeated 2^63 times), so one call could outlast its budget by hours. These
// functions behave as the Lua 5.4 manual specifies (sections 6.4 and 6.5), metamethods and
// error messages included, but poll the budget (clua_budget_poll) every few thousand steps.
//
// Written from the manual, not from Lua's sources; where the manual is silent (the wording of
// errors, which argument a bad position is blamed on, whether table.move asks __eq), they do
// what Lua 5.4.4's library was observed to do (Tests/LuaKitTests/TableLibraryTests.swift runs
// both over some 24000 cases). They keep all state on the C stack or in Lua-managed buffers
// (luaL_Buffer), so the longjmp of a Lua error never leaks anything.
// Only for states made by clua_newstate: the poll reads the budget from the allocator.
//
// Included at the end of shim.h, which provides the Lua headers and clua_budget_poll.
#ifndef CLUA_TABLIB_H
#define CLUA_TABLIB_H

#include <limits.h>
#include <string.h>

/// Steps (elements moved, fields read, comparisons) between two polls of the clock: a poll
/// costs a clock read, a step at least a table access, so this keeps the polls under 1%.
#define CLUA_POLL_STEPS 4096u

/// The rare half of clua_step, out of line so that the loops calling clua_step stay as tight
/// as Lua's own (inlined, the poll made clua_step too big to inline: a call per element).
__attribute__((noinline, cold)) static inline void clua_step_poll(lua_State *L) {
    clua_budget_poll(L);
}

/// Counts one step and polls the budget every CLUA_POLL_STEPS steps.
__attribute__((always_inline)) static inline void clua_step(lua_State *L, unsigned *steps) {
    if (++*steps >= CLUA_POLL_STEPS) {
        *steps = 0;
        clua_step_poll(L);
    }
}

// ---------------------------------------------------------------------------
// Table arguments. Like Lua 5.4, a non-table is accepted when its metatable has (raw, non-nil)
// the fields the function needs: __index to read, __newindex to write, __len for the length.

enum {
    CLUA_TAB_READ = 1,
    CLUA_TAB_WRITE = 2,
    CLUA_TAB_LENGTH = 4,
};

static inline int clua_has_metafield(lua_State *L, int arg, const char *field) {
    if (luaL_getmetafield(L, arg, field) == LUA_TNIL) return 0;  // pushes nothing then
    lua_pop(L, 1);
    return 1;
}

static inline void clua_check_table(lua_State *L, int arg, int needs) {
    if (lua_type(L, arg) == LUA_TTABLE) return;
    if ((!(needs & CLUA_TAB_READ) || clua_has_metafield(L, arg, "__index"))
        && (!(needs & CLUA_TAB_WRITE) || clua_has_metafield(L, arg, "__newindex"))
        && (!(needs & CLUA_TAB_LENGTH) || clua_has_metafield(L, arg, "__len"))) {
        return;
    }
    luaL_checktype(L, arg, LUA_TTABLE);  // raises "table expected, got <type>"
}

/// The border of argument `arg` (through __len), once it is known to be usable as a table.
static inline lua_Integer clua_table_length(lua_State *L, int arg, int needs) {
    if (lua_type(L, arg) == LUA_TTABLE) {
        // No metatable, no __len: the raw length is the answer, without luaL_len's push and
        // conversion. This is the `table.insert(t, v)` of hot loops.
        if (!lua_getmetatable(L, arg)) return (lua_Integer)lua_rawlen(L, arg);
        lua_pop(L, 1);
    } else {
        clua_check_table(L, arg, needs | CLUA_TAB_LENGTH);
    }
    return luaL_len(L, arg);
}

// ---------------------------------------------------------------------------
// table.insert ([list,] [pos,] value)

static inline int clua_tab_insert(lua_State *L) {
    int nargs = lua_gettop(L);  // read first: the argument count decides the form
    lua_Integer size = clua_table_length(L, 1, CLUA_TAB_READ | CLUA_TAB_WRITE);
    // Wraps to math.mininteger for a __len of math.maxinteger, as in Lua 5.4; the unsigned
    // bound check below then admits every positive position and nothing is shifted.
    lua_Integer end = luaL_intop(+, size, 1);
    lua_Integer pos;
    if (nargs == 2) {
        pos = end;
    } else if (nargs == 3) {
        pos = luaL_checkinteger(L, 2);
        luaL_argcheck(L, (lua_Unsigned)pos - 1u < (lua_Unsigned)end, 2, "position out of bounds");
        unsigned steps = 0;
        for (lua_Integer i = end; i > pos; i--) {  // i > pos >= 1: i - 1 cannot overflow
            lua_geti(L, 1, i - 1);
            lua_seti(L, 1, i);
            clua_step(L, &steps);
        }
    } else {
        return luaL_error(L, "wrong number of arguments to 'insert'");
    }
    lua_seti(L, 1, pos);  // the value is the last argument, on top
    return 0;
}

// ---------------------------------------------------------------------------
// table.remove (list [, pos])

static inline int clua_tab_remove(lua_State *L) {
    lua_Integer size = clua_table_length(L, 1, CLUA_TAB_READ | CLUA_TAB_WRITE);
    lua_Integer pos = luaL_optinteger(L, 2, size);
    // The default needs no check (it may be 0, or anything a __len returned); an explicit
    // position must lie in [1, size + 1]. Lua 5.4 blames argument #1 for a bad position, and
    // scripts may match its messages: so do we.
    if (pos != size) {
        luaL_argcheck(L, (lua_Unsigned)pos - 1u <= (lua_Unsigned)size, 1, "position out of bounds");
    }
    lua_geti(L, 1, pos);  // the result, kept under the shifting below
    unsigned steps = 0;
    for (; pos < size; pos++) {  // pos < size: pos + 1 cannot overflow
        lua_geti(L, 1, pos + 1);
        lua_seti(L, 1, pos);
        clua_step(L, &steps);
    }
    lua_pushnil(L);
    lua_seti(L, 1, pos);
    return 1;
}

// ---------------------------------------------------------------------------
// table.move (a1, f, e, t [, a2])

static inline int clua_tab_move(lua_State *L) {
    lua_Integer from = luaL_checkinteger(L, 2);
    lua_Integer last = luaL_checkinteger(L, 3);
    lua_Integer to = luaL_checkinteger(L, 4);
    int dest = lua_isnoneornil(L, 5) ? 1 : 5;
    clua_check_table(L, 1, CLUA_TAB_READ);
    clua_check_table(L, dest, CLUA_TAB_WRITE);
    if (last >= from) {
        // The count last - from + 1 must be a lua_Integer, and so must the last destination.
        luaL_argcheck(
            L, (lua_Unsigned)last - (lua_Unsigned)from < (lua_Unsigned)LUA_MAXINTEGER, 3,
            "too many elements to move");
        lua_Integer count = last - from + 1;
        luaL_argcheck(L, to <= LUA_MAXINTEGER - (count - 1), 4, "destination wrap around");
        // Copying upwards within one table must start at the top, or it would read elements it
        // has already overwritten. Whether a2 is a1 is asked as Lua 5.4 asks it (lua_compare,
        // so __eq may answer), and only when the ranges could overlap that way.
        int backwards = to > from && to <= last && (dest == 1 || lua_compare(L, 1, dest, LUA_OPEQ));
        unsigned steps = 0;
        if (backwards) {
            for (lua_Integer k = count - 1; k >= 0; k--) {
                lua_geti(L, 1, from + k);
                lua_seti(L, dest, to + k);
                clua_step(L, &steps);
            }
        } else {
            for (lua_Integer k = 0; k < count; k++) {
                lua_geti(L, 1, from + k);
                lua_seti(L, dest, to + k);
                clua_step(L, &steps);
            }
        }
    }
    lua_pushvalue(L, dest);
    return 1;
}

// ---------------------------------------------------------------------------
// table.concat (list [, sep [, i [, j]]])

static inline void clua_concat_add(lua_State *L, luaL_Buffer *b, lua_Integer i) {
    lua_geti(L, 1, i);
    if (!lua_isstring(L, -1)) {  // strings and numbers only, as the manual says
        // Worded as Lua 5.4.4 words it: the basic type (never __name), then the index.
        luaL_error(
            L, "invalid value (%s) at index %I in table for 'concat'", luaL_typename(L, -1), (LUAI_UACINT)i);
    }
    luaL_addvalue(b);
}

static inline int clua_tab_concat(lua_State *L) {
    lua_Integer last = clua_table_length(L, 1, CLUA_TAB_READ);  // even when j is given, as Lua does
    size_t seplen;
    const char *sep = luaL_optlstring(L, 2, "", &seplen);
    lua_Integer i = luaL_optinteger(L, 3, 1);
    last = luaL_optinteger(L, 4, last);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    if (i <= last) {
        unsigned steps = 0;
        for (;;) {
            clua_concat_add(L, &b, i);
            if (i == last) break;  // before i++: last may be math.maxinteger
            luaL_addlstring(&b, sep, seplen);
            i++;
            clua_step(L, &steps);
        }
    }
    luaL_pushresult(&b);
    return 1;
}

// ---------------------------------------------------------------------------
// table.sort (list [, comp])
//
// An introsort: quicksort with a median-of-three pivot, insertion sort for short ranges, and a
// heapsort for any range the quicksort has split too often, so the worst case is O(n log n)
// comparisons (a quicksort's O(n^2) would be a budget problem of its own). Not stable; neither
// is Lua's. Two invariants:
// - every index touched lies in the range being sorted, whatever the order function answers;
//   an answer that would take the partition outside it raises "invalid order function for
//   sorting" instead;
// - elements are moved by swaps, so whenever the order function runs (and whenever the budget
//   is polled) the list holds a permutation of what it held: an error leaves nothing lost or
//   duplicated.

typedef struct clua_sorter {
    lua_State *L;
    int comparator;   ///< whether argument 2 is the order function (otherwise `<`)
    unsigned steps;   ///< comparisons since the last poll
} clua_sorter;

/// Ranges of at most this many elements are finished by insertion sort (8: the fewest
/// comparisons for lists of 10 to 20 elements, measured against larger and smaller cut-offs).
#define CLUA_SORT_SHORT 8

/// Whether the value at stack index `a` must come before the one at `b`; both indices are
/// negative (relative to the top), as every caller's operands are the values it just read.
static inline int clua_sort_less(clua_sorter *s, int a, int b) {
    lua_State *L = s->L;
    clua_step(L, &s->steps);
    if (!s->comparator) return lua_compare(L, a, b, LUA_OPLT);
    lua_pushvalue(L, 2);
    lua_pushvalue(L, a - 1);  // each push moves the operands one further from the top
    lua_pushvalue(L, b - 2);
    lua_call(L, 2, 1);
    int less = lua_toboolean(L, -1);
    lua_pop(L, 1);
    return less;
}

/// Stores the two values on top of the stack: the top one into list[i], the other into list[j].
static inline void clua_sort_put2(lua_State *L, lua_Integer i, lua_Integer j) {
    lua_seti(L, 1, i);
    lua_seti(L, 1, j);
}

/// Swaps list[i] and list[j] when list[j] < list[i], so that afterwards list[i] <= list[j].
static inline void clua_sort_order(clua_sorter *s, lua_Integer i, lua_Integer j) {
    lua_State *L = s->L;
    lua_geti(L, 1, i);
    lua_geti(L, 1, j);
    if (clua_sort_less(s, -1, -2)) {
        clua_sort_put2(L, i, j);  // the value from j goes to i, the one from i to j
    } else {
        lua_pop(L, 2);
    }
}

static inline void clua_sort_insertion(clua_sorter *s, lua_Integer lo, lua_Integer hi) {
    lua_State *L = s->L;
    for (lua_Integer i = lo + 1; i <= hi; i++) {
        // Walk list[i] down while it is less than its left neighbour, one swap per step.
        lua_geti(L, 1, i);  // the value walking down; its place is j
        for (lua_Integer j = i; j > lo; j--) {
            lua_geti(L, 1, j - 1);
            if (!clua_sort_less(s, -2, -1)) {
                lua_pop(L, 1);
                break;
            }
            lua_seti(L, 1, j);  // the neighbour moves up ...
            lua_pushvalue(L, -1);
            lua_seti(L, 1, j - 1);  // ... and the walking value takes its place
        }
        lua_pop(L, 1);
    }
}

/// Moves list[lo + root] down the heap of the `count` elements from list[lo] until no child of
/// it is greater. The heap is a max-heap on offsets from lo: children of k are 2k+1 and 2k+2.
static inline void clua_sort_sift(clua_sorter *s, lua_Integer lo, lua_Integer root, lua_Integer count) {
    lua_State *L = s->L;
    lua_geti(L, 1, lo + root);  // the value sifting down, kept on the stack
    for (;;) {
        lua_Integer child = 2 * root + 1;  // count < INT_MAX: no overflow
        if (child >= count) break;
        lua_geti(L, 1, lo + child);
        if (child + 1 < count) {
            lua_geti(L, 1, lo + child + 1);
            if (clua_sort_less(s, -2, -1)) {
                lua_replace(L, -2);
                child++;
            } else {
                lua_pop(L, 1);
            }
        }
        if (!clua_sort_less(s, -2, -1)) {
            lua_pop(L, 1);
            break;
        }
        lua_seti(L, 1, lo + root);  // the greater child moves up ...
        lua_pushvalue(L, -1);
        lua_seti(L, 1, lo + child);  // ... and the sifting value takes its place
        root = child;
    }
    lua_pop(L, 1);
}

static inline void clua_sort_heap(clua_sorter *s, lua_Integer lo, lua_Integer hi) {
    lua_State *L = s->L;
    lua_Integer count = hi - lo + 1;
    for (lua_Integer k = count / 2 - 1; k >= 0; k--) clua_sort_sift(s, lo, k, count);
    for (lua_Integer end = count - 1; end > 0; end--) {
        lua_geti(L, 1, lo);  // the greatest goes to the end, the last element to the root
        lua_geti(L, 1, lo + end);
        clua_sort_put2(L, lo, lo + end);
        clua_sort_sift(s, lo, 0, end);
    }
}

static inline void clua_sort_range(clua_sorter *s, lua_Integer lo, lua_Integer hi, int depth) {
    lua_State *L = s->L;
    while (hi - lo + 1 > CLUA_SORT_SHORT) {
        if (depth-- == 0) {  // this range keeps splitting badly: finish it in O(n log n)
            clua_sort_heap(s, lo, hi);
            return;
        }
        // Median of three: afterwards list[lo] <= list[mid] <= list[hi], which bounds both
        // scans below for any consistent order function.
        lua_Integer mid = lo + (hi - lo) / 2;
        clua_sort_order(s, lo, mid);
        clua_sort_order(s, mid, hi);
        clua_sort_order(s, lo, mid);
        // The pivot goes to hi - 1 and stays on the stack for the comparisons.
        lua_geti(L, 1, mid);
        lua_geti(L, 1, hi - 1);
        lua_seti(L, 1, mid);
        lua_pushvalue(L, -1);
        lua_seti(L, 1, hi - 1);
        lua_Integer i = lo, j = hi - 1;
        for (;;) {
            // Up from lo while less than the pivot: list[hi - 1] is the pivot, which no
            // consistent order function finds less than itself.
            for (;;) {
                lua_geti(L, 1, ++i);
                if (!clua_sort_less(s, -1, -2)) break;
                if (i == hi - 1) luaL_error(L, "invalid order function for sorting");
                lua_pop(L, 1);
            }
            // Down from hi - 1 while greater than the pivot: list[lo] is not, nor is anything
            // the upward scan passed, so a consistent order function stops at i - 1 or above.
            for (;;) {
                lua_geti(L, 1, --j);
                if (!clua_sort_less(s, -3, -1)) break;
                if (j < i) luaL_error(L, "invalid order function for sorting");
                lua_pop(L, 1);
            }
            if (j < i) {
                lua_pop(L, 2);
                break;
            }
            clua_sort_put2(L, i, j);  // list[j]'s value to i, list[i]'s to j
        }
        // The pivot (on the stack, and at hi - 1) swaps with list[i], its final place.
        lua_geti(L, 1, i);
        lua_seti(L, 1, hi - 1);
        lua_seti(L, 1, i);
        // Recurse into the shorter side and loop on the longer one: the C stack stays O(log n).
        if (i - lo < hi - i) {
            clua_sort_range(s, lo, i - 1, depth);
            lo = i + 1;
        } else {
            clua_sort_range(s, i + 1, hi, depth);
            hi = i - 1;
        }
    }
    if (lo < hi) clua_sort_insertion(s, lo, hi);
}

static inline int clua_tab_sort(lua_State *L) {
    lua_Integer count = clua_table_length(L, 1, CLUA_TAB_READ | CLUA_TAB_WRITE);
    if (count > 1) {  // as in Lua 5.4, nothing else is checked for a shorter list
        luaL_argcheck(L, count < INT_MAX, 1, "array too big");
        if (!lua_isnoneornil(L, 2)) luaL_checktype(L, 2, LUA_TFUNCTION);
        lua_settop(L, 2);  // the order function (or nil) at 2, the working area above
        clua_sorter s = {L, !lua_isnil(L, 2), 0};
        int depth = 0;
        for (lua_Integer n = count; n > 1; n >>= 1) depth += 2;  // 2 log2(n): introsort's bound
        clua_sort_range(&s, 1, count, depth);
    }
    return 0;
}

// ---------------------------------------------------------------------------
// string.rep (s, n [, sep])

/// Lua 5.4 refuses results longer than INT_MAX bytes.
#define CLUA_REP_MAX ((size_t)INT_MAX)
/// Bytes copied between two polls, and the largest single memcpy.
#define CLUA_REP_CHUNK ((size_t)1 << 20)

static inline int clua_str_rep(lua_State *L) {
    size_t len, seplen;
    const char *s = luaL_checklstring(L, 1, &len);
    lua_Integer n = luaL_checkinteger(L, 2);
    const char *sep = luaL_optlstring(L, 3, "", &seplen);
    // Nothing to copy however large n is: Lua would loop n times copying nothing.
    if (n <= 0 || (len == 0 && seplen == 0)) {
        lua_pushliteral(L, "");
        return 1;
    }
    // Lua 5.4's limit counts n separators: n * (len + seplen) <= INT_MAX.
    size_t unit = len + seplen;  // both are sizes of strings in memory: no overflow
    if (unit > CLUA_REP_MAX / (lua_Unsigned)n) return luaL_error(L, "resulting string too large");
    size_t total = (size_t)n * unit - seplen;
    luaL_Buffer b;
    char *p = luaL_buffinitsize(L, &b, total);
    // The result is s..sep repeated, cut seplen short. Write one period, then copy what is
    // written onto what follows, doubling up to CLUA_REP_CHUNK bytes a copy: few memcpy calls
    // for short strings, and a poll every CLUA_REP_CHUNK bytes for long results.
    memcpy(p, s, len);
    size_t done = len;
    if (n > 1) {
        memcpy(p + len, sep, seplen);
        done = unit;
    }
    size_t since_poll = done;
    while (done < total) {
        // The byte at offset k is the one at k % unit, so the bytes from done % unit are the
        // ones that follow; all of them up to the last whole period before done are written.
        size_t from = done % unit;
        size_t chunk = done - from;
        if (chunk > CLUA_REP_CHUNK) chunk = CLUA_REP_CHUNK;
        if (chunk > total - done) chunk = total - done;
        memcpy(p + done, p + from, chunk);
        done += chunk;
        since_poll += chunk;
        if (since_poll >= CLUA_REP_CHUNK) {
            since_poll = 0;
            clua_budget_poll(L);
        }
    }
    luaL_pushresultsize(&b, total);
    return 1;
}

#endif
