/* ksmc_kube_names: Kubernetes naming rules that KSM's output depends on. */
#ifndef KSMC_KUBE_NAMES_H
#define KSMC_KUBE_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#include "ksmc_buf.h"

/* The `unit` label KSM gives a resource name of node capacity/allocatable and container
 * requests/limits, or an empty slice when KSM drops that resource:
 *   cpu -> core; memory, ephemeral-storage, storage -> byte; pods -> integer;
 *   hugepages-* -> byte; attachable-volumes-* -> byte;
 *   extended resources (contains '/', does not contain "kubernetes.io/", does not start
 *   with "requests.", and "requests."+name is a qualified name per IsQualifiedName)
 *   -> integer; anything else -> dropped. */
ksmc_slice ksmc_resource_unit(const char *name, size_t n);

/* Every `unit` KSM emits a sample for, for one resource name, in KSM's order: the switch
 * cases above give one unit; otherwise hugepages-* (byte), attachable-volumes-* (byte) and
 * extended resources (integer) are independent tests, so a name can give two samples
 * (e.g. "hugepages-x.io/y"). Returns the count (0: dropped); out holds up to 3. */
size_t ksmc_resource_units(const char *name, size_t n, ksmc_slice out[3]);

/* The ip_family label of kube_pod_ips: "4" when s parses with Go's netip.ParseAddr as IPv4
 * or IPv4-mapped IPv6, "6" for other IPv6 (zones allowed), empty slice when it does not
 * parse (leading zeros in an IPv4 octet, bad hex, ...). */
ksmc_slice ksmc_ip_family(const char *s, size_t n);

#endif
