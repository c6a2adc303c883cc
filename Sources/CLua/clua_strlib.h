// string.find, string.match, string.gmatch and string.gsub for the sandbox, written afresh from
// the Lua 5.4 reference manual (§6.4 and §6.4.1), not taken from lstrlib.c.
//
// Why not Lua's own: the time budget is enforced by a count hook, and hooks only run between VM
// instructions. One library call with a backtracking pattern (or a long plain search, which
// Lua 5.4.4 does in O(n*m)) never gives the hook a chance and can run for minutes. These
// versions count their work and call clua_budget_poll every few thousand steps, and search
// plain text with memmem (linear) in windows with a poll between them.
//
// Behaviour follows Lua 5.4.4 (Debian 12), including details the manual leaves open: which
// error a malformed pattern raises and when (only once the matcher reaches the faulty item, as
// Lua does, so "a%" fails on "a" but not on "b"), the nesting limit of 200 matcher calls, the
// 32-capture limit, and the wording of every message. PatternMatchTests.swift compares both
// implementations over a large table of cases.
//
// Nothing allocates with malloc: matcher state lives on the C stack, strings in luaL_Buffers and
// gmatch's state in a userdata, so a Lua error (the budget's included) can longjmp out of any
// point without leaking. The functions need a state made by clua_newstate (for the budget).
//
// Included at the end of shim.h, which provides the Lua headers and clua_budget_poll.
#ifndef CLUA_STRLIB_H
#define CLUA_STRLIB_H

#include <ctype.h>
#include <stddef.h>
#include <string.h>

// Glibc only declares memmem under _GNU_SOURCE, which the Swift importer does not define.
#ifndef __USE_GNU
void *memmem(const void *haystack, size_t haystack_len, const void *needle, size_t needle_len);
#endif

enum {
    CLUA_PAT_MAXCAPTURES = 32,   // Lua's LUA_MAXCAPTURES, so "too many captures" comes at the same point
    CLUA_PAT_MAXDEPTH = 200,     // Lua's limit on nested matcher calls ("pattern too complex")
    CLUA_PAT_POLL_STEPS = 4096,  // units of work (matcher calls, start positions, bytes scanned) per poll
};

// Lengths a capture can have besides a real one.
#define CLUA_PAT_OPEN ((ptrdiff_t)-1)      // opened by '(' and not closed yet
#define CLUA_PAT_POSITION ((ptrdiff_t)-2)  // '()': captures the position, not text

// Plain search is done in windows of at least this many start positions, polling between them:
// large enough that the poll's clock read is noise, small enough that a search of a huge subject
// notices a spent budget within microseconds.
#define CLUA_PLAIN_WINDOW ((size_t)64 * 1024)
// Subjects up to this long are searched naively: quadratic, but bounded by a few microseconds.
#define CLUA_PLAIN_SHORT ((size_t)256)

typedef struct clua_pat_capture {
    const char *start;
    ptrdiff_t len;  // >= 0, CLUA_PAT_OPEN or CLUA_PAT_POSITION
} clua_pat_capture;

typedef struct clua_pat {
    lua_State *L;
    const char *src;      // the whole subject: '%f' and position captures count from here, not from init
    const char *src_end;
    const char *pat_end;
    int depth;            // matcher calls that may still nest
    int level;            // captures opened so far
    ptrdiff_t steps;      // work left before the next poll
    clua_pat_capture cap[CLUA_PAT_MAXCAPTURES];
} clua_pat;

static inline void clua_pat_prepare(clua_pat *m, lua_State *L, const char *s, size_t slen, const char *p,
                                    size_t plen) {
    m->L = L;
    m->src = s;
    m->src_end = s + slen;
    m->pat_end = p + plen;
    m->depth = CLUA_PAT_MAXDEPTH;
    m->level = 0;
    m->steps = CLUA_PAT_POLL_STEPS;
}

// Out of line, so that clua_pat_charge inlines to a subtraction and a branch; `unused` does
// for it what `inline` does for the other functions here (no warning where it goes unused).
__attribute__((noinline, cold, unused)) static void clua_pat_poll(clua_pat *m) {
    m->steps = CLUA_PAT_POLL_STEPS;
    clua_budget_poll(m->L);
}

/// Accounts for `cost` units of work and polls the budget once enough have accumulated: in the
/// common case a subtraction and a compare, a clock read only every few thousand units.
static inline void clua_pat_charge(clua_pat *m, ptrdiff_t cost) {
    m->steps -= cost;
    if (m->steps <= 0) clua_pat_poll(m);
}

/// Turns a 1-based, possibly negative `init` into a 0-based offset: negative counts from the
/// end, and anything before the start clamps to it. The result may lie past the end.
static inline size_t clua_pat_offset(lua_Integer init, size_t len) {
    if (init > 0) return (size_t)init - 1;
    if (init == 0 || init < -(lua_Integer)len) return 0;
    return len - (size_t)(-init);
}

/// Whether byte c belongs to the class named by the letter after '%'. Upper-case letters name
/// complements; any other character stands for itself (so "%." is a dot). '%z' (the NUL byte)
/// is gone from the 5.4 manual but Lua 5.4.4 still accepts it, and so do we: hooks written
/// against the stock library keep working. Uses <ctype.h> as Lua does, so both agree on 8-bit
/// bytes in whatever locale is set.
static inline int clua_pat_class(int c, int letter) {
    // Both cases spelled out rather than tolower(letter): this runs for every byte a class
    // item is tried on, and the locale call costs more than the test itself.
    int hit;
    switch (letter) {
    case 'a': case 'A': hit = isalpha(c); break;
    case 'c': case 'C': hit = iscntrl(c); break;
    case 'd': case 'D': hit = isdigit(c); break;
    case 'g': case 'G': hit = isgraph(c); break;
    case 'l': case 'L': hit = islower(c); break;
    case 'p': case 'P': hit = ispunct(c); break;
    case 's': case 'S': hit = isspace(c); break;
    case 'u': case 'U': hit = isupper(c); break;
    case 'w': case 'W': hit = isalnum(c); break;
    case 'x': case 'X': hit = isxdigit(c); break;
    case 'z': case 'Z': hit = c == 0; break;
    default: return letter == c;
    }
    if (letter <= 'Z') return !hit;  // the upper-case letter names the complement
    return hit != 0;
}

/// Whether byte c is in the set whose '[' is at `open` and whose closing ']' is at `close`
/// (found by clua_pat_item_end, so every '%' inside has its class letter before `close`).
static inline int clua_pat_in_set(int c, const char *open, const char *close) {
    const char *p = open + 1;
    int inside = 1;
    if (*p == '^') {
        inside = 0;
        p++;
    }
    for (; p < close; p++) {
        if (*p == '%') {
            p++;
            if (clua_pat_class(c, (unsigned char)*p)) return inside;
        } else if (p[1] == '-' && p + 2 < close) {  // a range; a '-' first or last is itself
            if ((unsigned char)p[0] <= c && c <= (unsigned char)p[2]) return inside;
            p += 2;
        } else if ((unsigned char)*p == c) {
            return inside;
        }
    }
    return !inside;
}

/// The end of the single-character class that starts at p: one past a plain character, a
/// '%x' escape or a '[...]' set. Raises only when the class runs off the end of the pattern.
static inline const char *clua_pat_item_end(clua_pat *m, const char *p) {
    const char *end = m->pat_end;
    switch (*p++) {
    case '%':
        if (p >= end) luaL_error(m->L, "malformed pattern (ends with '%%')");
        return p + 1;
    case '[':
        if (p < end && *p == '^') p++;
        // The first member is taken whatever it is, so "[]...]" and "[^]...]" contain ']'.
        do {
            if (p >= end) {
                luaL_error(m->L, "malformed pattern (missing ']')");
                return end;
            }
            if (*p++ == '%' && p < end) p++;
        } while (p >= end || *p != ']');
        return p + 1;
    default:
        return p;
    }
}

/// Whether the class p..ep matches the byte at s (never at the end of the subject).
static inline int clua_pat_single(const clua_pat *m, const char *s, const char *p, const char *ep) {
    if (s >= m->src_end) return 0;
    int c = (unsigned char)*s;
    switch (*p) {
    case '.': return 1;
    case '%': return clua_pat_class(c, (unsigned char)p[1]);
    case '[': return clua_pat_in_set(c, p, ep - 1);
    default: return (unsigned char)*p == c;
    }
}

static inline const char *clua_pat_match(clua_pat *m, const char *s, const char *p);

/// '%bxy' with p at x: a run from x to the y that balances it, or NULL.
static inline const char *clua_pat_balance(clua_pat *m, const char *s, const char *p) {
    if (p + 1 >= m->pat_end) {
        luaL_error(m->L, "malformed pattern (missing arguments to '%%b')");
        return NULL;
    }
    if (s >= m->src_end || *s != p[0]) return NULL;
    char open = p[0], close = p[1];
    ptrdiff_t pending = 1;
    const char *t = s + 1;
    for (; t < m->src_end; t++) {
        // The closer is tested first, so with x == y the second x closes the first.
        if (*t == close) {
            if (--pending == 0) break;
        } else if (*t == open) {
            pending++;
        }
    }
    // The scan is linear, but a matcher that retries it at every position is quadratic.
    clua_pat_charge(m, t - s);
    return t < m->src_end ? t + 1 : NULL;
}

/// '%1'-'%9' (and '%0', which is always an error): the text of an earlier closed capture again.
static inline const char *clua_pat_backref(clua_pat *m, const char *s, int digit) {
    int i = digit - '1';
    if (i < 0 || i >= m->level || m->cap[i].len == CLUA_PAT_OPEN) {
        luaL_error(m->L, "invalid capture index %%%d", i + 1);
        return NULL;
    }
    ptrdiff_t len = m->cap[i].len;
    // A position capture has no text; Lua 5.4.4 never matches a back-reference to one.
    if (len < 0 || m->src_end - s < len) return NULL;
    clua_pat_charge(m, len);
    return memcmp(m->cap[i].start, s, (size_t)len) == 0 ? s + len : NULL;
}

static inline const char *clua_pat_open(clua_pat *m, const char *s, const char *p, ptrdiff_t kind) {
    if (m->level >= CLUA_PAT_MAXCAPTURES) {
        luaL_error(m->L, "too many captures");
        return NULL;
    }
    m->cap[m->level].start = s;
    m->cap[m->level].len = kind;
    m->level++;
    const char *e = clua_pat_match(m, s, p);
    if (e == NULL) m->level--;  // the rest failed: forget the capture for the caller's next try
    return e;
}

/// ')' closes the innermost capture still open.
static inline const char *clua_pat_close(clua_pat *m, const char *s, const char *p) {
    int i = m->level - 1;
    while (i >= 0 && m->cap[i].len != CLUA_PAT_OPEN) i--;
    if (i < 0) {
        luaL_error(m->L, "invalid pattern capture");
        return NULL;
    }
    m->cap[i].len = s - m->cap[i].start;
    const char *e = clua_pat_match(m, s, p);
    if (e == NULL) m->cap[i].len = CLUA_PAT_OPEN;
    return e;
}

/// 'x*' (and 'x+' after its first x): take as many as possible, then give them back one at a
/// time until the rest of the pattern matches.
static inline const char *clua_pat_greedy(clua_pat *m, const char *s, const char *p, const char *ep) {
    ptrdiff_t n = 0;
    while (clua_pat_single(m, s + n, p, ep)) n++;
    clua_pat_charge(m, n);
    for (; n >= 0; n--) {
        const char *e = clua_pat_match(m, s + n, ep + 1);
        if (e != NULL) return e;
    }
    return NULL;
}

/// 'x-': try the rest first, and take one more x each time it fails.
static inline const char *clua_pat_lazy(clua_pat *m, const char *s, const char *p, const char *ep) {
    for (;;) {
        const char *e = clua_pat_match(m, s, ep + 1);
        if (e != NULL) return e;
        if (!clua_pat_single(m, s, p, ep)) return NULL;
        s++;
    }
}

/// Matches the pattern from p against the subject from s; returns the end of the match or
/// NULL. Items that cannot backtrack are consumed in the loop; only captures, quantifiers and
/// '?' recurse, and those nested calls are what the depth limit counts (as in Lua, so
/// "pattern too complex" comes at the same point).
static inline const char *clua_pat_match(clua_pat *m, const char *s, const char *p) {
    if (m->depth-- == 0) {
        luaL_error(m->L, "pattern too complex");
        return NULL;
    }
    clua_pat_charge(m, 1);
    const char *end = m->pat_end;
    for (;;) {
        if (p == end) break;
        switch (*p) {
        case '(':
            if (p + 1 < end && p[1] == ')')
                s = clua_pat_open(m, s, p + 2, CLUA_PAT_POSITION);
            else
                s = clua_pat_open(m, s, p + 1, CLUA_PAT_OPEN);
            goto done;
        case ')':
            s = clua_pat_close(m, s, p + 1);
            goto done;
        case '$':
            if (p + 1 == end) {  // an anchor only as the last character
                if (s != m->src_end) s = NULL;
                goto done;
            }
            break;
        case '%':
            if (p + 1 < end) {
                char kind = p[1];
                if (kind == 'b') {
                    s = clua_pat_balance(m, s, p + 2);
                    if (s == NULL) goto done;
                    p += 4;
                    continue;
                }
                if (kind == 'f') {
                    p += 2;
                    if (p >= end || *p != '[') {
                        luaL_error(m->L, "missing '[' after '%%f' in pattern");
                        return NULL;
                    }
                    const char *set_end = clua_pat_item_end(m, p);
                    // Outside the subject the neighbour is '\0', so "%f[%w]" matches at both ends.
                    int before = s > m->src ? (unsigned char)s[-1] : 0;
                    int here = s < m->src_end ? (unsigned char)*s : 0;
                    if (!clua_pat_in_set(before, p, set_end - 1) && clua_pat_in_set(here, p, set_end - 1)) {
                        p = set_end;
                        continue;
                    }
                    s = NULL;
                    goto done;
                }
                if (kind >= '0' && kind <= '9') {
                    s = clua_pat_backref(m, s, kind);
                    if (s == NULL) goto done;
                    p += 2;
                    continue;
                }
            }
            break;
        default:
            break;
        }
        // A single-character class, perhaps with a quantifier.
        const char *ep = clua_pat_item_end(m, p);
        char quantifier = ep < end ? *ep : '\0';
        if (!clua_pat_single(m, s, p, ep)) {
            if (quantifier == '*' || quantifier == '?' || quantifier == '-') {  // zero repetitions will do
                p = ep + 1;
                continue;
            }
            s = NULL;
            goto done;
        }
        switch (quantifier) {
        case '?': {
            const char *e = clua_pat_match(m, s + 1, ep + 1);
            if (e != NULL) {
                s = e;
                goto done;
            }
            p = ep + 1;  // without the optional character
            continue;
        }
        case '+': s = clua_pat_greedy(m, s + 1, p, ep); goto done;
        case '*': s = clua_pat_greedy(m, s, p, ep); goto done;
        case '-': s = clua_pat_lazy(m, s, p, ep); goto done;
        default:
            s++;
            p = ep;
            continue;
        }
    }
done:
    m->depth++;
    return s;
}

/// Capture i of the last match. Returns its length and sets *start, or returns
/// CLUA_PAT_POSITION (with *start at the position). With no captures in the pattern, capture
/// 0 is the whole match s..e. Raises for a capture the pattern does not have or never closed.
static inline ptrdiff_t clua_pat_capture_at(clua_pat *m, int i, const char *s, const char *e,
                                            const char **start) {
    if (i >= m->level) {
        if (i != 0) luaL_error(m->L, "invalid capture index %%%d", i + 1);
        *start = s;
        return e - s;
    }
    if (m->cap[i].len == CLUA_PAT_OPEN) luaL_error(m->L, "unfinished capture");
    *start = m->cap[i].start;
    return m->cap[i].len;
}

static inline void clua_pat_push_capture(clua_pat *m, int i, const char *s, const char *e) {
    const char *start;
    ptrdiff_t len = clua_pat_capture_at(m, i, s, e, &start);
    if (len == CLUA_PAT_POSITION)
        lua_pushinteger(m->L, (lua_Integer)(start - m->src) + 1);
    else
        lua_pushlstring(m->L, start, (size_t)len);
}

/// Pushes every capture, or the whole match s..e when there are none and s is given (find
/// passes NULL: its positions are the whole match). Returns how many values were pushed.
static inline int clua_pat_push_captures(clua_pat *m, const char *s, const char *e) {
    int n = (m->level == 0 && s != NULL) ? 1 : m->level;
    luaL_checkstack(m->L, n, "too many captures");
    for (int i = 0; i < n; i++) clua_pat_push_capture(m, i, s, e);
    return n;
}

/// Whether find must treat the pattern as a pattern; without any of these it is plain text.
static inline int clua_pat_has_specials(const char *p, size_t len) {
    for (size_t i = 0; i < len; i++) {
        switch (p[i]) {
        case '^': case '$': case '*': case '+': case '?': case '.': case '(': case '[': case '%': case '-':
            return 1;
        default:
            break;
        }
    }
    return 0;
}

/// The first occurrence of the needle in the haystack, or NULL. memmem is linear; the search
/// runs in windows of start positions with a budget poll between them, each window at least as
/// long as the needle so the total stays linear.
static inline const char *clua_plain_find(lua_State *L, const char *h, size_t hlen, const char *n, size_t nlen) {
    if (nlen == 0) return h;
    if (nlen > hlen) return NULL;
    if (hlen <= CLUA_PLAIN_SHORT) {
        // Hook code mostly searches short strings, where memmem's set-up costs more than the
        // search; first-byte scan and compare, at most CLUA_PLAIN_SHORT^2/4 byte compares.
        const char *last = h + (hlen - nlen);
        for (const char *at = h; at <= last; at++) {
            at = (const char *)memchr(at, n[0], (size_t)(last - at) + 1);
            if (at == NULL) return NULL;
            if (memcmp(at + 1, n + 1, nlen - 1) == 0) return at;
        }
        return NULL;
    }
    size_t starts = hlen - nlen + 1;
    size_t window = nlen > CLUA_PLAIN_WINDOW ? nlen : CLUA_PLAIN_WINDOW;
    for (size_t first = 0; first < starts; first += window) {
        if (first > 0) clua_budget_poll(L);
        size_t count = starts - first < window ? starts - first : window;
        const char *hit = (const char *)memmem(h + first, count + nlen - 1, n, nlen);
        if (hit != NULL) return hit;
    }
    return NULL;
}

/// find (positions, then captures) and match (captures) share everything but the result.
static inline int clua_str_search(lua_State *L, int want_positions) {
    size_t slen, plen;
    const char *s = luaL_checklstring(L, 1, &slen);
    const char *p = luaL_checklstring(L, 2, &plen);
    size_t init = clua_pat_offset(luaL_optinteger(L, 3, 1), slen);
    if (init > slen) {
        luaL_pushfail(L);
        return 1;
    }
    if (want_positions && (lua_toboolean(L, 4) || !clua_pat_has_specials(p, plen))) {
        const char *hit = clua_plain_find(L, s + init, slen - init, p, plen);
        if (hit == NULL) {
            luaL_pushfail(L);
            return 1;
        }
        lua_pushinteger(L, (lua_Integer)(hit - s) + 1);
        lua_pushinteger(L, (lua_Integer)(hit - s + plen));
        return 2;
    }
    int anchored = plen > 0 && *p == '^';
    if (anchored) {
        p++;
        plen--;
    }
    clua_pat m;
    clua_pat_prepare(&m, L, s, slen, p, plen);
    for (const char *at = s + init;; at++) {
        m.level = 0;
        const char *e = clua_pat_match(&m, at, p);
        if (e != NULL) {
            if (!want_positions) return clua_pat_push_captures(&m, at, e);
            lua_pushinteger(L, (lua_Integer)(at - s) + 1);
            lua_pushinteger(L, (lua_Integer)(e - s));
            return 2 + clua_pat_push_captures(&m, NULL, NULL);
        }
        if (anchored || at >= m.src_end) break;
        clua_pat_charge(&m, 1);
    }
    luaL_pushfail(L);
    return 1;
}

/// string.find(s, pattern [, init [, plain]])
static inline int clua_str_find(lua_State *L) { return clua_str_search(L, 1); }

/// string.match(s, pattern [, init])
static inline int clua_str_match(lua_State *L) { return clua_str_search(L, 0); }

/// The iterator's state, as offsets into the subject (its upvalue 1) rather than pointers.
typedef struct clua_gmatch_state {
    size_t next;      // where the next search starts; past the end once exhausted
    size_t last_end;  // end of the previous match, (size_t)-1 before the first
} clua_gmatch_state;

/// The iterator gmatch returns; upvalues: subject, pattern, state. A '^' is an ordinary
/// character here (an anchor would end the iteration after one match). A match may not end
/// where the previous one did, so an empty match right after a match is skipped.
static inline int clua_gmatch_next(lua_State *L) {
    size_t slen, plen;
    const char *s = lua_tolstring(L, lua_upvalueindex(1), &slen);
    const char *p = lua_tolstring(L, lua_upvalueindex(2), &plen);
    clua_gmatch_state *g = (clua_gmatch_state *)lua_touserdata(L, lua_upvalueindex(3));
    clua_pat m;
    clua_pat_prepare(&m, L, s, slen, p, plen);
    for (size_t at = g->next; at <= slen; at++) {
        m.level = 0;
        const char *e = clua_pat_match(&m, s + at, p);
        if (e != NULL && (size_t)(e - s) != g->last_end) {
            g->next = g->last_end = (size_t)(e - s);
            return clua_pat_push_captures(&m, s + at, e);
        }
        clua_pat_charge(&m, 1);
    }
    return 0;
}

/// string.gmatch(s, pattern [, init])
static inline int clua_str_gmatch(lua_State *L) {
    size_t slen;
    luaL_checklstring(L, 1, &slen);
    luaL_checklstring(L, 2, NULL);
    size_t init = clua_pat_offset(luaL_optinteger(L, 3, 1), slen);
    lua_settop(L, 2);  // subject and pattern become upvalues, which keeps them alive
    clua_gmatch_state *g = (clua_gmatch_state *)lua_newuserdatauv(L, sizeof *g, 0);
    g->next = init > slen ? slen + 1 : init;
    g->last_end = (size_t)-1;
    lua_pushcclosure(L, clua_gmatch_next, 3);
    return 1;
}

/// Appends a replacement string for the match s..e: '%0' is the match, '%1'-'%9' captures
/// ('%1' is the match too when there are none), '%%' a '%'; any other '%' is an error.
static inline void clua_gsub_template(clua_pat *m, luaL_Buffer *b, const char *s, const char *e, const char *t,
                                      size_t tlen) {
    const char *t_end = t + tlen;
    clua_pat_charge(m, (ptrdiff_t)tlen);
    for (;;) {
        const char *pct = (const char *)memchr(t, '%', (size_t)(t_end - t));
        if (pct == NULL) break;
        luaL_addlstring(b, t, (size_t)(pct - t));
        char c = pct + 1 < t_end ? pct[1] : '\0';
        if (c == '%') {
            luaL_addchar(b, '%');
        } else if (c == '0') {
            luaL_addlstring(b, s, (size_t)(e - s));
        } else if (c >= '1' && c <= '9') {
            const char *start;
            ptrdiff_t len = clua_pat_capture_at(m, c - '1', s, e, &start);
            if (len == CLUA_PAT_POSITION) {
                lua_pushinteger(m->L, (lua_Integer)(start - m->src) + 1);
                luaL_addvalue(b);
            } else {
                luaL_addlstring(b, start, (size_t)len);
            }
        } else {
            luaL_error(m->L, "invalid use of '%%' in replacement string");
        }
        t = pct + 2;
    }
    luaL_addlstring(b, t, (size_t)(t_end - t));
}

/// Appends the replacement for the match s..e. Returns whether it differs from the match
/// (false or nil from a table or function keeps the match as it is).
static inline int clua_gsub_replace(clua_pat *m, luaL_Buffer *b, const char *s, const char *e, int kind,
                                    const char *t, size_t tlen) {
    lua_State *L = m->L;
    if (kind == LUA_TFUNCTION) {
        lua_pushvalue(L, 3);
        int n = clua_pat_push_captures(m, s, e);
        lua_call(L, n, 1);
    } else if (kind == LUA_TTABLE) {
        clua_pat_push_capture(m, 0, s, e);
        lua_gettable(L, 3);
    } else {
        clua_gsub_template(m, b, s, e, t, tlen);
        return 1;
    }
    if (!lua_toboolean(L, -1)) {
        lua_pop(L, 1);
        luaL_addlstring(b, s, (size_t)(e - s));
        return 0;
    }
    if (!lua_isstring(L, -1)) return luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
    luaL_addvalue(b);
    return 1;
}

/// string.gsub(s, pattern, repl [, n])
static inline int clua_str_gsub(lua_State *L) {
    size_t slen, plen, tlen = 0;
    const char *s = luaL_checklstring(L, 1, &slen);
    const char *p = luaL_checklstring(L, 2, &plen);
    int kind = lua_type(L, 3);
    // Lua checks n before the replacement's type, so a bad n is the error reported first.
    lua_Integer limit = luaL_optinteger(L, 4, (lua_Integer)slen + 1);
    luaL_argexpected(L, kind == LUA_TNUMBER || kind == LUA_TSTRING || kind == LUA_TFUNCTION || kind == LUA_TTABLE,
                     3, "string/function/table");
    const char *t = (kind == LUA_TSTRING || kind == LUA_TNUMBER) ? lua_tolstring(L, 3, &tlen) : NULL;
    int anchored = plen > 0 && *p == '^';
    if (anchored) {
        p++;
        plen--;
    }
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    clua_pat m;
    clua_pat_prepare(&m, L, s, slen, p, plen);
    const char *at = s, *last_end = NULL;
    lua_Integer count = 0;
    int changed = 0;
    while (count < limit) {
        m.level = 0;
        const char *e = clua_pat_match(&m, at, p);
        // An empty match where the previous match ended would replace the same spot twice.
        if (e != NULL && e != last_end) {
            count++;
            changed |= clua_gsub_replace(&m, &b, at, e, kind, t, tlen);
            at = last_end = e;
        } else if (at < m.src_end) {
            luaL_addchar(&b, *at++);
        } else {
            break;
        }
        if (anchored) break;
        clua_pat_charge(&m, 1);
    }
    if (changed) {
        luaL_addlstring(&b, at, (size_t)(m.src_end - at));
        luaL_pushresult(&b);
    } else {
        lua_pushvalue(L, 1);  // nothing replaced: the subject itself, without a copy
    }
    lua_pushinteger(L, count);
    return 2;
}

#endif
