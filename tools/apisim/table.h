/* table: server-side Table output (meta.k8s.io/v1 Table) for `kubectl get`. The cells of
 * an object are computed once when the object version is built; only Age is per request. */
#ifndef APISIM_TABLE_H
#define APISIM_TABLE_H

#include "json.h"
#include <time.h>

void table_cells(jarena *a, int kind, const jv *root, const char *name, ksmc_buf *pre,
                 ksmc_buf *post);
/* Appends the columnDefinitions JSON array for a kind. */
void table_columns(int kind, ksmc_buf *b);
/* kubectl's HumanDuration */
void human_duration(char out[32], long long seconds);

#endif
