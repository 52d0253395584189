/* ksmc_escape: label value / HELP escaping and Go encoding/json string decoding. */
#include "ksmc_escape.h"
#include "ktest.h"

typedef void (*esc_fn)(ksmc_buf *, const char *, size_t);

static void check(esc_fn f, const char *in, size_t n, const char *want) {
  ksmc_buf b = {0};
  ksmc_buf_putc(&b, '|'); /* appends after existing bytes */
  f(&b, in, n);
  CU_ASSERT_EQUAL(b.p[0], '|');
  KTEST_ASSERT_BYTES(b.p + 1, b.n - 1, want);
  ksmc_buf_free(&b);
}

#define CHECK(f, lit, want) check(f, lit, sizeof(lit) - 1, want)

static void test_label_value(void) {
  CHECK(ksmc_escape_label_value, "", "");
  CHECK(ksmc_escape_label_value, "plain", "plain");
  CHECK(ksmc_escape_label_value, "a\\b", "a\\\\b");
  CHECK(ksmc_escape_label_value, "line1\nline2", "line1\\nline2");
  CHECK(ksmc_escape_label_value, "say \"hi\"", "say \\\"hi\\\"");
  CHECK(ksmc_escape_label_value, "\\\n\"", "\\\\\\n\\\"");
  /* CR, tab, other controls, NUL and invalid UTF-8 pass through raw */
  CHECK(ksmc_escape_label_value, "a\rb\tc\x01\xff", "a\rb\tc\x01\xff");
  ksmc_buf b = {0};
  ksmc_escape_label_value(&b, "a\0b", 3);
  CU_ASSERT_EQUAL(b.n, 3);
  CU_ASSERT_EQUAL(memcmp(b.p, "a\0b", 3), 0);
  ksmc_buf_free(&b);
}

static void test_help(void) {
  CHECK(ksmc_escape_help, "The \"x\" of a\\b\nc", "The \"x\" of a\\\\b\\nc");
  CHECK(ksmc_escape_help_openmetrics, "The \"x\" of a\\b\nc", "The \\\"x\\\" of a\\\\b\\nc");
  CHECK(ksmc_escape_help, "[STABLE] Unix creation timestamp", "[STABLE] Unix creation timestamp");
}

static void test_json_plain(void) {
  CHECK(ksmc_json_unescape, "", "");
  CHECK(ksmc_json_unescape, "kube-system", "kube-system");
  CHECK(ksmc_json_unescape, "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80",
        "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80");
  CHECK(ksmc_json_unescape, "\xef\xbf\xbd", "\xef\xbf\xbd"); /* a real U+FFFD stays */
}

static void test_json_escapes(void) {
  CHECK(ksmc_json_unescape, "a\\\"b\\\\c\\/d", "a\"b\\c/d");
  CHECK(ksmc_json_unescape, "\\b\\f\\n\\r\\t", "\b\f\n\r\t");
  CHECK(ksmc_json_unescape, "\\u0041\\u00e9\\u20AC", "A\xc3\xa9\xe2\x82\xac");
  CHECK(ksmc_json_unescape, "\\ud83d\\ude00", "\xf0\x9f\x98\x80"); /* surrogate pair */
  CHECK(ksmc_json_unescape, "\\uD83D\\uDE00x", "\xf0\x9f\x98\x80x");
  ksmc_buf b = {0};
  ksmc_json_unescape(&b, "a\\u0000b", 8);
  CU_ASSERT_EQUAL(b.n, 3);
  CU_ASSERT_EQUAL(memcmp(b.p, "a\0b", 3), 0);
  ksmc_buf_free(&b);
}

static void test_json_lone_surrogates(void) {
  CHECK(ksmc_json_unescape, "\\ud83d", "\xef\xbf\xbd");
  CHECK(ksmc_json_unescape, "\\ud83dx", "\xef\xbf\xbdx");
  CHECK(ksmc_json_unescape, "\\ude00", "\xef\xbf\xbd");
  /* high + high: the first is replaced alone, the second starts afresh */
  CHECK(ksmc_json_unescape, "\\ud83d\\ud83d\\ude00", "\xef\xbf\xbd\xf0\x9f\x98\x80");
  /* low + low */
  CHECK(ksmc_json_unescape, "\\ude00\\ude00", "\xef\xbf\xbd\xef\xbf\xbd");
  /* high + non-surrogate escape: replaced, then the escape decodes on its own */
  CHECK(ksmc_json_unescape, "\\ud83d\\u0041",
        "\xef\xbf\xbd"
        "A");
}

static void test_json_invalid_utf8(void) {
  CHECK(ksmc_json_unescape, "a\xffz", "a\xef\xbf\xbdz");
  CHECK(ksmc_json_unescape, "\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd");
  CHECK(ksmc_json_unescape, "\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd"); /* overlong '/' */
  CHECK(ksmc_json_unescape, "\xc1\xbf", "\xef\xbf\xbd\xef\xbf\xbd"); /* overlong */
  CHECK(ksmc_json_unescape, "\xe0\x80\xaf", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"); /* overlong */
  CHECK(ksmc_json_unescape, "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"); /* D800 */
  CHECK(ksmc_json_unescape, "\xf4\x90\x80\x80",
        "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"); /* > U+10FFFF */
  CHECK(ksmc_json_unescape, "\xf0\x82\x82\xac",
        "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"); /* overlong 4-byte */
  /* truncated sequence: the lead byte is replaced, the next ASCII survives */
  CHECK(ksmc_json_unescape, "\xe2\x82z", "\xef\xbf\xbd\xef\xbf\xbdz");
  CHECK(ksmc_json_unescape, "\xe2\x82", "\xef\xbf\xbd\xef\xbf\xbd");
  CHECK(ksmc_json_unescape, "\xf5\x80", "\xef\xbf\xbd\xef\xbf\xbd");
  /* boundaries that are valid */
  CHECK(ksmc_json_unescape, "\xc2\x80\xed\x9f\xbf\xee\x80\x80\xf4\x8f\xbf\xbf",
        "\xc2\x80\xed\x9f\xbf\xee\x80\x80\xf4\x8f\xbf\xbf");
}

static void test_json_to_label_value(void) {
  CHECK(ksmc_escape_json_to_label_value, "nginx:1.25", "nginx:1.25");
  /* JSON \" decodes to ", which the label escaping turns back into \" */
  CHECK(ksmc_escape_json_to_label_value, "say \\\"hi\\\"", "say \\\"hi\\\"");
  CHECK(ksmc_escape_json_to_label_value, "a\\\\b", "a\\\\b");
  CHECK(ksmc_escape_json_to_label_value, "l1\\nl2", "l1\\nl2");
  CHECK(ksmc_escape_json_to_label_value, "\\u005c\\u0022\\u000a", "\\\\\\\"\\n");
  CHECK(ksmc_escape_json_to_label_value, "tab\\there\\r", "tab\there\r");
  CHECK(ksmc_escape_json_to_label_value, "\xff\\ud800", "\xef\xbf\xbd\xef\xbf\xbd");
  CHECK(ksmc_escape_json_to_label_value, "caf\\u00e9 \xc3\xa9", "caf\xc3\xa9 \xc3\xa9");
  /* raw quote / LF in the input (not valid JSON) still come out escaped */
  CHECK(ksmc_escape_json_to_label_value, "a\"b\nc", "a\\\"b\\nc");
}

static void test_json_malformed(void) {
  /* Go would reject these; we emit U+FFFD and keep going */
  CHECK(ksmc_json_unescape, "a\\", "a\xef\xbf\xbd");
  CHECK(ksmc_json_unescape, "\\u12",
        "\xef\xbf\xbd"
        "12");
  CHECK(ksmc_json_unescape, "\\x", "\xef\xbf\xbd");
  CHECK(ksmc_json_unescape, "\\'", "'");
}

/* The whole-string fast path (16-byte SSE2 steps with an overlapping last one, 8-byte
 * words, padded short strings): a special byte at every position of strings of every
 * length 0..40 must still be found, and plain strings must come out unchanged. */
static void test_fast_path_positions(void) {
  static const char specials[] = {'\\', '"', '\n', '\xff'};
  for (size_t n = 0; n <= 40; n++) {
    char in[41], want[64];
    memset(in, 'a', n);
    check(ksmc_escape_label_value, in, n, (memcpy(want, in, n), want[n] = 0, want));
    check(ksmc_escape_json_to_label_value, in, n, want);
    check(ksmc_json_unescape, in, n, want);
    CU_ASSERT_TRUE(ksmc_json_is_plain(in, n));
    for (size_t at = 0; at < n; at++) {
      for (size_t k = 0; k < sizeof specials; k++) {
        char c = specials[k];
        memset(in, 'a', n);
        in[at] = c;
        bool plain_json = c != '\\' && c != '\xff';
        CU_ASSERT_EQUAL(ksmc_json_is_plain(in, n), plain_json);
        /* label escaping: `\` -> `\\`, `"` -> `\"`, LF -> `\n`, other bytes copied */
        size_t w = 0;
        memset(want, 'a', at);
        w = at;
        if (c == '\xff') {
          want[w++] = c;
        } else {
          want[w++] = '\\';
          want[w++] = c == '\n' ? 'n' : c;
        }
        memset(want + w, 'a', n - at - 1);
        w += n - at - 1;
        want[w] = 0;
        check(ksmc_escape_label_value, in, n, want);
        if (c == '"' || c == '\n') { /* not valid JSON, but decoded then escaped alike */
          check(ksmc_escape_json_to_label_value, in, n, want);
          memcpy(want, in, n);
          want[n] = 0;
          check(ksmc_json_unescape, in, n, want);
        } else if (c == '\xff') { /* an invalid UTF-8 byte decodes to U+FFFD */
          memset(want, 'a', at);
          memcpy(want + at, "\xef\xbf\xbd", 3);
          memset(want + at + 3, 'a', n - at - 1);
          want[n + 2] = 0;
          check(ksmc_escape_json_to_label_value, in, n, want);
          check(ksmc_json_unescape, in, n, want);
        }
      }
    }
  }
}

static const ktest_case cases[] = {{"fast path positions", test_fast_path_positions},
                                   {"label value", test_label_value},
                                   {"help", test_help},
                                   {"json plain", test_json_plain},
                                   {"json escapes", test_json_escapes},
                                   {"json lone surrogates", test_json_lone_surrogates},
                                   {"json invalid utf8", test_json_invalid_utf8},
                                   {"json to label value", test_json_to_label_value},
                                   {"json malformed", test_json_malformed},
                                   {0}};
KTEST_MAIN("ksmc_escape", cases)
