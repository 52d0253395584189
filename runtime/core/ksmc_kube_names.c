/* ksmc_kube_names: KSM's resource-unit rule and netip.ParseAddr-compatible IP families. */
#include "ksmc_kube_names.h"

#include <stdint.h>
#include <string.h>

static bool kn_eq(const char *s, size_t n, const char *lit) {
  return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

static bool kn_prefix(const char *s, size_t n, const char *lit) {
  size_t k = strlen(lit);
  return n >= k && memcmp(s, lit, k) == 0;
}

static bool kn_contains(const char *s, size_t n, const char *lit) {
  size_t k = strlen(lit);
  for (size_t i = 0; i + k <= n; i++)
    if (memcmp(s + i, lit, k) == 0) return true;
  return false;
}

static bool kn_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

static bool kn_alnum(char c) { return kn_lower_alnum(c) || (c >= 'A' && c <= 'Z'); }

/* One DNS-1123 label inside a subdomain: [a-z0-9]([-a-z0-9]*[a-z0-9])? */
static bool kn_dns_label(const char *s, size_t n) {
  if (n == 0 || !kn_lower_alnum(s[0]) || !kn_lower_alnum(s[n - 1])) return false;
  for (size_t i = 0; i < n; i++)
    if (!kn_lower_alnum(s[i]) && s[i] != '-') return false;
  return true;
}

/* IsDNS1123Subdomain: at most 253 chars, dot-separated DNS labels. */
static bool kn_dns_subdomain(const char *s, size_t n) {
  if (n == 0 || n > 253) return false;
  size_t start = 0;
  for (size_t i = 0; i <= n; i++) {
    if (i < n && s[i] != '.') continue;
    if (!kn_dns_label(s + start, i - start)) return false;
    start = i + 1;
  }
  return true;
}

/* The name part of IsQualifiedName: 1..63 chars of ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9] */
static bool kn_qualified_name_part(const char *s, size_t n) {
  if (n == 0 || n > 63 || !kn_alnum(s[0]) || !kn_alnum(s[n - 1])) return false;
  for (size_t i = 0; i < n; i++)
    if (!kn_alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.') return false;
  return true;
}

/* IsQualifiedName("requests." + name) for a name that contains '/'. */
static bool kn_quota_name_qualified(const char *s, size_t n) {
  const char *slash = memchr(s, '/', n);
  size_t pre = (size_t)(slash - s);
  if (memchr(slash + 1, '/', n - pre - 1)) return false; /* more than two parts */
  char prefix[254];
  if (pre + 9 > 253) return false;
  memcpy(prefix, "requests.", 9);
  memcpy(prefix + 9, s, pre);
  return kn_dns_subdomain(prefix, pre + 9) && kn_qualified_name_part(slash + 1, n - pre - 1);
}

/* KSM's isExtendedResourceName. */
static bool kn_extended(const char *s, size_t n) {
  if (!memchr(s, '/', n) || kn_contains(s, n, "kubernetes.io/")) return false; /* native */
  if (kn_prefix(s, n, "requests.")) return false;
  return kn_quota_name_qualified(s, n);
}

size_t ksmc_resource_units(const char *name, size_t n, ksmc_slice out[3]) {
  if (kn_eq(name, n, "cpu")) return out[0] = KSMC_LIT("core"), 1;
  if (kn_eq(name, n, "memory") || kn_eq(name, n, "ephemeral-storage") || kn_eq(name, n, "storage"))
    return out[0] = KSMC_LIT("byte"), 1;
  if (kn_eq(name, n, "pods")) return out[0] = KSMC_LIT("integer"), 1;
  size_t k = 0;
  if (kn_prefix(name, n, "hugepages-")) out[k++] = KSMC_LIT("byte");
  if (kn_prefix(name, n, "attachable-volumes-")) out[k++] = KSMC_LIT("byte");
  if (kn_extended(name, n)) out[k++] = KSMC_LIT("integer");
  return k;
}

ksmc_slice ksmc_resource_unit(const char *name, size_t n) {
  ksmc_slice units[3];
  return ksmc_resource_units(name, n, units) ? units[0] : (ksmc_slice){"", 0};
}

/* ---- netip.ParseAddr ---- */

/* parseIPv4Fields over s[0..n): four decimal octets, no leading zeros, <= 255. */
static bool kn_ipv4(const char *s, size_t n, uint8_t out[4]) {
  int val = 0, pos = 0, digits = 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c >= '0' && c <= '9') {
      if (digits == 1 && val == 0) return false; /* leading zero */
      val = val * 10 + (c - '0');
      digits++;
      if (val > 255) return false;
    } else if (c == '.') {
      if (i == 0 || i == n - 1 || s[i - 1] == '.' || pos == 3) return false;
      out[pos++] = (uint8_t)val;
      val = digits = 0;
    } else {
      return false;
    }
  }
  if (pos < 3) return false;
  out[3] = (uint8_t)val;
  return true;
}

/* Up to four hex digits at s; returns how many (0: none or too many/too big -> *bad). */
static size_t kn_hex_group(const char *s, size_t n, uint32_t *acc, bool *bad) {
  size_t off = 0;
  *acc = 0;
  for (; off < n; off++) {
    char c = s[off];
    int h = (c >= '0' && c <= '9')   ? c - '0'
            : (c >= 'a' && c <= 'f') ? c - 'a' + 10
            : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                     : -1;
    if (h < 0) break;
    *acc = (*acc << 4) + (uint32_t)h;
    if (off > 3) *bad = true;
  }
  return off;
}

typedef struct {
  uint8_t ip[16];
  int i;        /* bytes filled */
  int ellipsis; /* byte position of "::" or -1 */
} kn_v6;

/* The group loop of Go's parseIPv6 over s (zone already removed). */
static bool kn_ipv6_groups(kn_v6 *v, const char *s, size_t n) {
  while (v->i < 16) {
    uint32_t acc;
    bool bad = false;
    size_t off = kn_hex_group(s, n, &acc, &bad);
    if (bad || off == 0) return false;
    if (off < n && s[off] == '.') { /* trailing IPv4 */
      if ((v->ellipsis < 0 && v->i != 12) || v->i + 4 > 16) return false;
      if (!kn_ipv4(s, n, v->ip + v->i)) return false;
      v->i += 4;
      return true;
    }
    v->ip[v->i++] = (uint8_t)(acc >> 8);
    v->ip[v->i++] = (uint8_t)acc;
    s += off, n -= off;
    if (n == 0) return true;
    if (s[0] != ':' || n == 1) return false;
    s++, n--;
    if (s[0] == ':') {
      if (v->ellipsis >= 0) return false;
      v->ellipsis = v->i;
      s++, n--;
      if (n == 0) return true;
    }
  }
  return n == 0;
}

/* Go's parseIPv6 (zones allowed but must be non-empty); 16 bytes into ip. */
static bool kn_ipv6(const char *s, size_t n, uint8_t ip[16]) {
  const char *pct = memchr(s, '%', n);
  if (pct) {
    if (pct + 1 == s + n) return false;
    n = (size_t)(pct - s);
  }
  kn_v6 v = {{0}, 0, -1};
  if (n >= 2 && s[0] == ':' && s[1] == ':') {
    v.ellipsis = 0;
    s += 2, n -= 2;
  }
  if (n > 0 && !kn_ipv6_groups(&v, s, n)) return false;
  if (v.i < 16) {
    if (v.ellipsis < 0) return false;
    int gap = 16 - v.i;
    memmove(v.ip + v.ellipsis + gap, v.ip + v.ellipsis, (size_t)(v.i - v.ellipsis));
    memset(v.ip + v.ellipsis, 0, (size_t)gap);
  } else if (v.ellipsis >= 0) {
    return false; /* "::" must stand for at least one zero group */
  }
  memcpy(ip, v.ip, 16);
  return true;
}

static bool kn_v4_mapped(const uint8_t ip[16]) {
  static const uint8_t pre[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return memcmp(ip, pre, 12) == 0;
}

ksmc_slice ksmc_ip_family(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '.') {
      uint8_t f[4];
      return kn_ipv4(s, n, f) ? KSMC_LIT("4") : (ksmc_slice){"", 0};
    }
    if (s[i] == ':') {
      uint8_t ip[16];
      if (!kn_ipv6(s, n, ip)) return (ksmc_slice){"", 0};
      return kn_v4_mapped(ip) ? KSMC_LIT("4") : KSMC_LIT("6");
    }
    if (s[i] == '%') break;
  }
  return (ksmc_slice){"", 0};
}
