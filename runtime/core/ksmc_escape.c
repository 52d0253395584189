/* ksmc_escape: exposition escaping and Go encoding/json string decoding.
 *
 * The JSON decoder follows Go's encoding/json unquote: `\uXXXX` escapes (a valid
 * surrogate pair gives one rune; a lone or mismatched surrogate gives U+FFFD and only
 * its own six bytes are consumed), and every byte that does not start a valid UTF-8
 * sequence (utf8.DecodeRune rules: no overlong forms, no encoded surrogates, nothing
 * above U+10FFFF) becomes U+FFFD, one per byte. Go would reject malformed escapes (bad hex,
 * unknown letter, trailing `\`); tokens from a validating tokenizer never contain them,
 * and here they decode to U+FFFD so the output stays well defined. */
#include "ksmc_escape.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

static const char esc_fffd[3] = {'\xEF', '\xBF', '\xBD'};

/* ---- 8 bytes at a time ----------------------------------------------------------------
 * JSON strings are mostly plain ASCII with nothing to decode: json_plain_run first skips
 * whole 8-byte words that contain no byte of interest, then looks at single bytes exactly
 * as before. any_byte() is exact as an existence test (the classic "has zero byte" trick;
 * it may misreport which byte, so only the yes/no answer is used). Label values are
 * short, so esc_replace stays byte by byte (the word test made it slower in callgrind). */
#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

static inline uint64_t load_word(const void *p) {
  uint64_t v;
  memcpy(&v, p, sizeof v);
  return v;
}

static inline uint64_t any_byte(uint64_t v, unsigned char c) {
  uint64_t y = v ^ (ONES * c);
  return (y - ONES) & ~y & HIGHS;
}

/* True if no byte of s[0..n) is a backslash, or a `"` or LF when `esc`, or >= 0x80 when
 * `high`: such a string is copied unchanged by every function here. Whole-string test,
 * 16 bytes per SSE2 step with an overlapping last step (never reads outside s[0..n)),
 * 8 bytes per word below 16 bytes; most label values and compared strings pass. */
static inline bool plain(const char *s, size_t n, bool esc, bool high) {
  size_t i = 0;
#ifdef __SSE2__
  if (n >= 16) {
    const __m128i vb = _mm_set1_epi8('\\'), vq = _mm_set1_epi8('"'), vn = _mm_set1_epi8('\n');
    for (;; i += 16) {
      if (i + 16 > n) i = n - 16;
      __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
      __m128i hit = _mm_cmpeq_epi8(v, vb);
      if (esc) hit = _mm_or_si128(hit, _mm_or_si128(_mm_cmpeq_epi8(v, vq), _mm_cmpeq_epi8(v, vn)));
      if (high) hit = _mm_or_si128(hit, v); /* the sign bit is the byte's high bit */
      if (_mm_movemask_epi8(hit)) return false;
      if (i + 16 == n) return true;
    }
  }
#endif
  for (; i < n; i += 8) {
    uint64_t v;
    if (n - i >= 8) {
      v = load_word(s + i);
    } else if (n >= 8) { /* the last, overlapping word */
      v = load_word(s + n - 8);
    } else { /* a short string: pad with spaces */
      unsigned char pad[8] = {' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};
      memcpy(pad, s, n);
      v = load_word(pad);
    }
    uint64_t hit = any_byte(v, '\\');
    if (esc) hit |= any_byte(v, '"') | any_byte(v, '\n');
    if (high) hit |= v & HIGHS;
    if (hit) return false;
  }
  return true;
}

bool ksmc_json_is_plain(const char *raw, size_t n) { return plain(raw, n, false, true); }

/* Copies s, escaping `\` and LF (and `"` when quote) with a backslash. */
static void esc_replace(ksmc_buf *b, const char *s, size_t n, bool quote) {
  if (plain(s, n, true, false)) {
    ksmc_buf_put(b, s, n);
    return;
  }
  size_t start = 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c != '\\' && c != '\n' && (c != '"' || !quote)) continue;
    ksmc_buf_put(b, s + start, i - start);
    ksmc_buf_putc(b, '\\');
    ksmc_buf_putc(b, c == '\n' ? 'n' : c);
    start = i + 1;
  }
  ksmc_buf_put(b, s + start, n - start);
}

void ksmc_escape_label_value(ksmc_buf *b, const char *s, size_t n) { esc_replace(b, s, n, true); }

void ksmc_escape_help(ksmc_buf *b, const char *s, size_t n) { esc_replace(b, s, n, false); }

void ksmc_escape_help_openmetrics(ksmc_buf *b, const char *s, size_t n) {
  esc_replace(b, s, n, true);
}

/* Length (2..4) of the valid multi-byte UTF-8 sequence at s, or 0 (Go's utf8.DecodeRune
 * returning RuneError, 1). s[0] >= 0x80. */
static size_t utf8_seq_len(const unsigned char *s, size_t n) {
  unsigned c = s[0];
  size_t len;
  unsigned lo = 0x80, hi = 0xBF; /* accepted range of the second byte */
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (n < len || s[1] < lo || s[1] > hi) return 0;
  for (size_t i = 2; i < len; i++)
    if (s[i] < 0x80 || s[i] > 0xBF) return 0;
  return len;
}

/* Appends one decoded ASCII byte, escaped as a label value when `esc`. */
size_t ksmc_utf8_rune_len(const char *s, size_t n) {
  const unsigned char *u = (const unsigned char *)s;
  if (u[0] < 0x80) return 1;
  size_t k = utf8_seq_len(u, n);
  return k ? k : 1;
}

static void json_emit_ascii(ksmc_buf *b, char c, bool esc) {
  if (esc && (c == '\\' || c == '"' || c == '\n')) {
    ksmc_buf_putc(b, '\\');
    c = c == '\n' ? 'n' : c;
  }
  ksmc_buf_putc(b, c);
}

/* Appends code point r (not a surrogate, <= 0x10FFFF) as UTF-8. */
static void json_emit_rune(ksmc_buf *b, uint32_t r, bool esc) {
  char u[4];
  if (r < 0x80) {
    json_emit_ascii(b, (char)r, esc);
    return;
  }
  if (r < 0x800) {
    u[0] = (char)(0xC0 | (r >> 6));
    u[1] = (char)(0x80 | (r & 0x3F));
    ksmc_buf_put(b, u, 2);
  } else if (r < 0x10000) {
    u[0] = (char)(0xE0 | (r >> 12));
    u[1] = (char)(0x80 | ((r >> 6) & 0x3F));
    u[2] = (char)(0x80 | (r & 0x3F));
    ksmc_buf_put(b, u, 3);
  } else {
    u[0] = (char)(0xF0 | (r >> 18));
    u[1] = (char)(0x80 | ((r >> 12) & 0x3F));
    u[2] = (char)(0x80 | ((r >> 6) & 0x3F));
    u[3] = (char)(0x80 | (r & 0x3F));
    ksmc_buf_put(b, u, 4);
  }
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Go's getu4: the value of `\uXXXX` at s (n bytes left), or -1. */
static int32_t json_u4(const char *s, size_t n) {
  if (n < 6 || s[0] != '\\' || s[1] != 'u') return -1;
  int32_t r = 0;
  for (int i = 2; i < 6; i++) {
    int h = hexval(s[i]);
    if (h < 0) return -1;
    r = r * 16 + h;
  }
  return r;
}

/* Decodes the `\u` escape at s; returns the bytes consumed. */
static size_t json_unicode_escape(ksmc_buf *b, const char *s, size_t n, bool esc) {
  int32_t r = json_u4(s, n);
  if (r < 0) {
    ksmc_buf_put(b, esc_fffd, 3);
    return 2;
  }
  if (r < 0xD800 || r > 0xDFFF) {
    json_emit_rune(b, (uint32_t)r, esc);
    return 6;
  }
  int32_t r2 = json_u4(s + 6, n - 6);
  if (r < 0xDC00 && r2 >= 0xDC00 && r2 <= 0xDFFF) { /* utf16.DecodeRune of a valid pair */
    json_emit_rune(b, 0x10000 + (((uint32_t)r - 0xD800) << 10) + ((uint32_t)r2 - 0xDC00), esc);
    return 12;
  }
  ksmc_buf_put(b, esc_fffd, 3);
  return 6;
}

/* Decodes the escape sequence starting with the `\` at s; returns the bytes consumed. */
static size_t json_escape(ksmc_buf *b, const char *s, size_t n, bool esc) {
  if (n < 2) {
    ksmc_buf_put(b, esc_fffd, 3);
    return 1;
  }
  char c;
  switch (s[1]) {
  case '"':
  case '\\':
  case '/':
  case '\'':
    c = s[1];
    break;
  case 'b':
    c = '\b';
    break;
  case 'f':
    c = '\f';
    break;
  case 'n':
    c = '\n';
    break;
  case 'r':
    c = '\r';
    break;
  case 't':
    c = '\t';
    break;
  case 'u':
    return json_unicode_escape(b, s, n, esc);
  default:
    ksmc_buf_put(b, esc_fffd, 3);
    return 2;
  }
  json_emit_ascii(b, c, esc);
  return 2;
}

/* Length of the run at s[0..n) that is copied unchanged. */
static size_t json_plain_run(const unsigned char *s, size_t n, bool esc) {
  size_t i = 0;
  while (i < n) {
    size_t stop = n;
    if (n - i >= 8) {
      uint64_t v = load_word(s + i);
      uint64_t hit = (v & HIGHS) | any_byte(v, '\\');
      if (esc) hit |= any_byte(v, '"') | any_byte(v, '\n');
      if (!hit) { /* plain ASCII word: nothing to decode or escape */
        i += 8;
        continue;
      }
      stop = i + 8; /* look at this word's bytes one by one */
    }
    while (i < stop) {
      unsigned c = s[i];
      if (c < 0x80) {
        if (c == '\\' || (esc && (c == '"' || c == '\n'))) return i;
        i++;
      } else {
        size_t k = utf8_seq_len(s + i, n - i);
        if (!k) return i;
        i += k;
      }
    }
  }
  return i;
}

static void json_decode(ksmc_buf *b, const char *raw, size_t n, bool esc) {
  if (plain(raw, n, esc, true)) {
    ksmc_buf_put(b, raw, n);
    return;
  }
  size_t i = 0;
  while (i < n) {
    size_t run = json_plain_run((const unsigned char *)raw + i, n - i, esc);
    ksmc_buf_put(b, raw + i, run);
    i += run;
    if (i == n) break;
    unsigned char c = (unsigned char)raw[i];
    if (c == '\\') {
      i += json_escape(b, raw + i, n - i, esc);
    } else if (c >= 0x80) { /* an invalid UTF-8 byte */
      ksmc_buf_put(b, esc_fffd, 3);
      i++;
    } else {
      json_emit_ascii(b, (char)c, esc);
      i++;
    }
  }
}

void ksmc_escape_json_to_label_value(ksmc_buf *b, const char *raw, size_t n) {
  json_decode(b, raw, n, true);
}

void ksmc_json_unescape(ksmc_buf *b, const char *raw, size_t n) { json_decode(b, raw, n, false); }
