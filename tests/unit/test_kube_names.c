/* ksmc_kube_names: resource units and netip.ParseAddr IP families. */
#include "ksmc_kube_names.h"
#include "ktest.h"

static void unit(const char *name, const char *want) {
  ksmc_slice u = ksmc_resource_unit(name, strlen(name));
  if (u.n != strlen(want) || memcmp(u.p, want, u.n) != 0)
    fprintf(stderr, "\n  unit(%s) = [%.*s] want [%s]", name, (int)u.n, u.p, want);
  KTEST_ASSERT_BYTES(u.p, u.n, want);
}

static void fam(const char *ip, const char *want) {
  ksmc_slice f = ksmc_ip_family(ip, strlen(ip));
  if (f.n != strlen(want) || memcmp(f.p, want, f.n) != 0)
    fprintf(stderr, "\n  ip_family(%s) = [%.*s] want [%s]", ip, (int)f.n, f.p, want);
  KTEST_ASSERT_BYTES(f.p, f.n, want);
}

static void test_units_native(void) {
  unit("cpu", "core");
  unit("memory", "byte");
  unit("ephemeral-storage", "byte");
  unit("storage", "byte");
  unit("pods", "integer");
  unit("hugepages-2Mi", "byte");
  unit("hugepages-1Gi", "byte");
  unit("attachable-volumes-aws-ebs", "byte");
  unit("attachable-volumes-csi-ebs.csi.aws.com", "byte");
  unit("CPU", "");
  unit("cpus", "");
  unit("hugepages", "");
  unit("", "");
}

static void test_units_extended(void) {
  unit("nvidia.com/gpu", "integer");
  unit("example.com/foo_bar", "integer");
  unit("example.com/Foo.Bar-1", "integer");
  unit("amd.com/gpu", "integer");
  unit("kubernetes.io/foo", "");        /* native namespace */
  unit("sub.kubernetes.io/foo", "");    /* contains kubernetes.io/ */
  unit("requests.example.com/foo", ""); /* quota prefix */
  unit("Example.com/gpu", "");          /* prefix must be a lowercase DNS subdomain */
  unit("example..com/gpu", "");
  unit("example.com-/gpu", "");
  unit("example.com/", "");
  unit("/gpu", "");            /* "requests." is not a DNS subdomain */
  unit("example.com/a/b", ""); /* two slashes */
  unit("example.com/-gpu", "");
  unit("example.com/gpu_", "");
  unit("example.com/gpu device", "");
  unit("example.com/"
       "a23456789012345678901234567890123456789012345678901234567890123",
       "integer"); /* 63 */
  unit("example.com/"
       "a234567890123456789012345678901234567890123456789012345678901234",
       ""); /* 64 */
}

static void test_ipv4(void) {
  fam("10.0.0.1", "4");
  fam("0.0.0.0", "4");
  fam("255.255.255.255", "4");
  fam("256.0.0.1", "");
  fam("10.0.0.01", ""); /* leading zero */
  fam("010.0.0.1", "");
  fam("10.0.0", "");
  fam("10.0.0.1.2", "");
  fam("10..0.1", "");
  fam(".10.0.0.1", "");
  fam("10.0.0.1.", "");
  fam("10.0.0.1%eth0", "");
  fam("10.0.0.1 ", "");
  fam("1a.0.0.1", "");
  fam("", "");
  fam("1234", "");
  fam("%eth0", "");
}

static void test_ipv6(void) {
  fam("::", "6");
  fam("::1", "6");
  fam("fd00::1", "6");
  fam("2001:db8::8a2e:370:7334", "6");
  fam("2001:0db8:0000:0000:0000:ff00:0042:8329", "6");
  fam("FE80::1%eth0", "6");
  fam("fe80::1%", ""); /* empty zone */
  fam("1:2:3:4:5:6:7:8", "6");
  fam("1:2:3:4:5:6:7::", "6");
  fam("::2:3:4:5:6:7:8", "6");
  fam("1:2:3:4:5:6:7:8::", ""); /* :: must stand for a zero group */
  fam("1:2:3:4:5:6:7:8:9", "");
  fam("1:2:3:4:5:6:7", ""); /* too short */
  fam("1::2::3", "");
  fam("12345::", ""); /* > 4 hex digits */
  fam("00001::", "");
  fam("g::", "");
  fam("1:", "");
  fam(":1", "");
  fam("1:::2", "");
  fam("::1 ", "");
  fam("1:2:3:4:5:6:1.2.3.4", "6"); /* embedded IPv4 */
  fam("::1.2.3.4", "6");
  fam("1:2:3:4:5:1.2.3.4", ""); /* IPv4 in the wrong place */
  fam("::1.2.3.04", "");
  fam("::1.2.3", "");
}

static void test_ipv4_mapped(void) {
  fam("::ffff:10.0.0.1", "4");
  fam("::FFFF:a00:1", "4");
  fam("0:0:0:0:0:ffff:10.0.0.1", "4");
  fam("::ffff:10.0.0.1%eth0", "4");
  fam("::fffe:10.0.0.1", "6");
  fam("::ffff:0:10.0.0.1", "6");
}

static const ktest_case cases[] = {{"units native", test_units_native},
                                   {"units extended", test_units_extended},
                                   {"ipv4", test_ipv4},
                                   {"ipv6", test_ipv6},
                                   {"ipv4-mapped", test_ipv4_mapped},
                                   {0}};
KTEST_MAIN("ksmc_kube_names", cases)
