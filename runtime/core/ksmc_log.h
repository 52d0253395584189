/* ksmc_log: log levels shared by every runtime module (most severe first, so a line is
 * shown when its level <= the configured level). */
#ifndef KSMC_LOG_H
#define KSMC_LOG_H

typedef enum { KSMC_LOG_ERROR, KSMC_LOG_WARN, KSMC_LOG_INFO, KSMC_LOG_DEBUG } ksmc_log_level;

#endif
