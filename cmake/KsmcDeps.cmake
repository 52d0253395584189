# Finds every external dependency and fails at configure time naming the Debian package
# that provides it (scripts/setup-debian.sh installs them all).
find_package(PkgConfig)
if(NOT PKG_CONFIG_FOUND)
  message(FATAL_ERROR "pkg-config not found: apt-get install pkg-config (or run scripts/setup-debian.sh)")
endif()

function(ksmc_require_pkg var module debian)
  pkg_check_modules(${var} IMPORTED_TARGET ${module})
  if(NOT ${var}_FOUND)
    message(FATAL_ERROR "${module} not found: apt-get install ${debian} (or run scripts/setup-debian.sh)")
  endif()
endfunction()

ksmc_require_pkg(YAML yaml-0.1 libyaml-dev)
# 7.80: CURLOPT_PREREQFUNCTION (a prefetched LIST page waits for its own connection,
# runtime/kube/README.md); Debian bookworm has 7.88.
ksmc_require_pkg(CURL libcurl>=7.80 libcurl4-openssl-dev)
ksmc_require_pkg(CUNIT cunit libcunit1-dev)
ksmc_require_pkg(MHD libmicrohttpd libmicrohttpd-dev)
ksmc_require_pkg(DEFLATE libdeflate libdeflate-dev)
ksmc_require_pkg(ZLIB zlib zlib1g-dev)
# ISA-L's inflate decodes gzipped LIST pages as they stream in, 4-5x faster than zlib
# (runtime/kube/ksmc_gunzip.h).
ksmc_require_pkg(ISAL libisal libisal-dev)
# TLS for the HTTP listeners (--tls-config): libmicrohttpd's TLS is GnuTLS, and ksmc sets
# each session's credentials itself to reload certificates.
ksmc_require_pkg(GNUTLS gnutls libgnutls28-dev)
# bcrypt for basic_auth_users (crypt_rn).
ksmc_require_pkg(XCRYPT libxcrypt libcrypt-dev)

find_path(JSMN_INCLUDE_DIR jsmn.h)
if(NOT JSMN_INCLUDE_DIR)
  message(FATAL_ERROR "jsmn.h not found: apt-get install libjsmn-dev (or run scripts/setup-debian.sh)")
endif()

find_program(RE2C re2c)
if(NOT RE2C)
  message(FATAL_ERROR "re2c not found: apt-get install re2c (or run scripts/setup-debian.sh)")
endif()

# ksmc_re2c(<out-var> <file.re>): compiles a re2c lexer into the build tree.
function(ksmc_re2c out re)
  get_filename_component(name ${re} NAME_WE)
  set(c ${CMAKE_CURRENT_BINARY_DIR}/${name}.c)
  add_custom_command(OUTPUT ${c}
    COMMAND ${RE2C} -W -Werror --no-generation-date --no-version -o ${c} ${CMAKE_CURRENT_SOURCE_DIR}/${re}
    DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${re}
    COMMENT "re2c ${re}")
  set(${out} ${c} PARENT_SCOPE)
endfunction()

# The differential fuzz test (tests/golden/diff_fuzz.py) builds the independent Go model of
# KSM (tests/golden/model, standard library only). Not needed to build ksmc.
find_program(GO_EXECUTABLE go)
if(NOT GO_EXECUTABLE)
  message(WARNING "go not found: the golden_diff_fuzz test will fail; apt-get install golang-go (or run scripts/setup-debian.sh)")
endif()

# CronJob time zones (kube_cronjob_next_schedule_time) are read at run time from the system
# tz database, like Go's time.LoadLocation; test_cron and the cronjob golden cases need it.
if(NOT EXISTS /usr/share/zoneinfo/Europe/Berlin)
  message(WARNING "tz database not found in /usr/share/zoneinfo: CronJob time zones will not load and test_cron will fail; apt-get install tzdata (or run scripts/setup-debian.sh)")
endif()
