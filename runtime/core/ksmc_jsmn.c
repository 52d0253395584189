/* The one translation unit that compiles jsmn's implementation (strict mode). Everything
 * else sees only its declarations: ksmc_core defines JSMN_HEADER and JSMN_STRICT for all
 * its users. */
#undef JSMN_HEADER
#include <jsmn.h>
