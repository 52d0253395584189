/* ksmc_err: runtime error codes, one X-macro table (enum + messages). */
#ifndef KSMC_ERR_H
#define KSMC_ERR_H

#define KSMC_ERRORS(X)                                                                             \
  X(KSMC_OK, "ok")                                                                                 \
  X(KSMC_E_NOMEM, "out of memory")                                                                 \
  X(KSMC_E_JSON, "malformed JSON")                                                                 \
  X(KSMC_E_NOT_OBJECT, "JSON value is not an object")                                              \
  X(KSMC_E_KIND, "object is of another kind")                                                      \
  X(KSMC_E_TOO_BIG, "object exceeds the size limit")                                               \
  X(KSMC_E_NO_UID, "object has no metadata.uid")

typedef enum {
#define KSMC_ERR_ENUM(code, msg) code,
  KSMC_ERRORS(KSMC_ERR_ENUM)
#undef KSMC_ERR_ENUM
} ksmc_err;

/* The message of an error code ("unknown error" for values outside the table). */
const char *ksmc_strerror(int err);

#endif
