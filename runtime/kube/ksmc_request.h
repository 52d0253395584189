/* ksmc_request: URLs for list/watch and libcurl easy handles set up for the API server.
 *
 * One place knows how a request to the API server looks: the collection path of a
 * resource, field selectors for --namespaces-denylist and --node, and the curl options
 * every request carries (TLS from the configuration, bearer token only over https,
 * Accept: application/json, Accept-Encoding: gzip unless the cluster sets
 * disable-compression, User-Agent ksmc/VERSION, TCP
 * keepalive, a low-speed timeout that detects dead connections). */
#ifndef KSMC_REQUEST_H
#define KSMC_REQUEST_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ksmc_buf.h"
#include "ksmc_kubeconfig.h"

#ifndef KSMC_VERSION
#define KSMC_VERSION "0.0.0"
#endif

/* The collection path of a resource: "/api/v1/pods" for the core group (group "" or
 * NULL), "/apis/apps/v1/deployments" otherwise, with "/namespaces/<ns>" inserted before
 * the resource when ns is non-NULL and non-empty. malloc'd; NULL on allocation failure. */
char *ksmc_collection_path(const char *group, const char *version, const char *resource,
                           const char *ns);

/* "metadata.namespace!=a,metadata.namespace!=b" for --namespaces-denylist; NULL when n is
 * 0 or on allocation failure. malloc'd. */
char *ksmc_denylist_selector(const char *const *namespaces, size_t n);

/* Joins two field selectors with ',' (AND); either may be NULL or empty. malloc'd, NULL if
 * both are empty or on allocation failure. */
char *ksmc_selector_join(const char *a, const char *b);

/* Appends "&name=<value URL-escaped>" (or "?name=..." when the URL has no '?' yet). */
void ksmc_url_param(ksmc_buf *url, const char *name, const char *value);

typedef struct {
  long low_speed_time_s; /* abort when < 1 byte/s arrives for this long; 0: no limit */
  long timeout_s;        /* whole-request limit; 0: none */
} ksmc_request_limits;

/* curl lists a request uses; they must outlive the transfer. */
typedef struct {
  struct curl_slist *headers;
  struct curl_slist *connect_to;
} ksmc_request_lists;

/* Configures easy (after curl_easy_reset) for GET <cfg->server><path_query>: TLS (CA
 * blob, client cert/key blobs, insecure, tls-server-name), the headers above and the
 * limits. The lists are built into *lists (empty on entry), which the caller frees with
 * ksmc_request_lists_free after the transfer. The token comes from
 * ksmc_kube_config_token(cfg, now_ms). Returns CURLE_OK or the first failing code. */
CURLcode ksmc_request_setup(CURL *easy, ksmc_kube_config *cfg, const char *path_query,
                            int64_t now_ms, const ksmc_request_limits *lim,
                            ksmc_request_lists *lists);

/* For a request set up by ksmc_request_setup whose body the caller decodes itself (LIST
 * pages, with ksmc_gunzip): offers gzip only and has libcurl pass the body undecoded.
 * Nothing changes when the cluster disables compression. Returns CURLE_OK or the curl
 * error. */
CURLcode ksmc_request_raw_gzip(CURL *easy, const ksmc_kube_config *cfg);

/* libcurl's receive buffer for a watch (CURLOPT_BUFFERSIZE: the most one recv reads) of
 * a collection whose last complete LIST had `listed_bytes` of JSON: 1/32 of that, rounded
 * up to a power of two, within [KSMC_WATCH_RECV_MIN, KSMC_WATCH_RECV_MAX]. A busy
 * collection (3,000 pods: ~28 MB listed) gets 1 MiB, i.e. one recv, one poll and one ACK
 * per ~110 pod events instead of per ~27 at 256 KiB; a quiet or small one keeps curl's
 * default 16 KiB. The buffer sits in the malloc heap, which is backed by huge pages
 * (ksmc_heap.h), so all of it is resident: a fixed 256 KiB cost ~7 MiB of RSS with KSM's
 * ~28 default resources, most of them quiet. This bounds it by ~3% of the listed bytes
 * (the store holds ~80% of them as rendered lines) plus 16 KiB per stream. */
#define KSMC_WATCH_RECV_MIN 16384L
#define KSMC_WATCH_RECV_MAX 1048576L
long ksmc_watch_recv_bytes(uint64_t listed_bytes);

/* Frees the lists and empties them. */
void ksmc_request_lists_free(ksmc_request_lists *lists);

#endif
