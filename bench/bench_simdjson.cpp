// bench_simdjson: simdjson DOM parse-only time per object, the ingest reference.
//
//   bench_simdjson FILE [--min-time S]
//
// FILE as for bench_ingest (NDJSON or one pretty-printed object). Each object is parsed
// on its own (as ksmc ingests list items and watch events one by one) from a padded copy,
// reusing one dom::parser. Prints one key=value line like bench_ingest.
#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

static double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

int main(int argc, char **argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_simdjson FILE [--min-time S]\n");
    return 2;
  }
  double min_time = 2.0;
  for (int i = 2; i + 1 < argc; i += 2)
    if (!std::strcmp(argv[i], "--min-time")) min_time = std::atof(argv[i + 1]);
  std::ifstream f(argv[1], std::ios::binary);
  if (!f) {
    std::fprintf(stderr, "bench_simdjson: cannot read %s\n", argv[1]);
    return 1;
  }
  std::stringstream ss;
  ss << f.rdbuf();
  std::string all = ss.str();
  std::vector<simdjson::padded_string> objs;
  size_t nl = all.find('\n');
  if (nl != std::string::npos && nl + 1 < all.size() &&
      (all[nl + 1] == ' ' || all[nl + 1] == '\t')) {
    objs.emplace_back(all);
  } else {
    size_t p = 0;
    while (p < all.size()) {
      size_t e = all.find('\n', p);
      if (e == std::string::npos) e = all.size();
      if (e > p) objs.emplace_back(all.data() + p, e - p);
      p = e + 1;
    }
  }
  size_t payload = 0;
  for (auto &o : objs) payload += o.size();
  simdjson::dom::parser parser;
  size_t sink = 0;
  auto pass = [&]() {
    for (auto &o : objs) {
      simdjson::dom::element doc;
      auto err = parser.parse(o).get(doc);
      if (err) {
        std::fprintf(stderr, "bench_simdjson: %s\n", simdjson::error_message(err));
        std::exit(1);
      }
      sink += doc.is_object();
    }
  };
  pass();
  std::vector<double> t;
  double start = now();
  while (t.size() < 3 || now() - start < min_time) {
    double t0 = now();
    pass();
    t.push_back(now() - t0);
  }
  std::sort(t.begin(), t.end());
  double n = (double)objs.size();
  std::printf("mode=simdjson objects=%zu bytes=%zu bytes_per_object=%.0f passes=%zu "
              "ns_per_object=%.1f median_ns_per_object=%.1f mb_per_s=%.1f implementation=%s\n",
              objs.size(), payload, (double)payload / n, t.size(), t[0] * 1e9 / n,
              t[t.size() / 2] * 1e9 / n, (double)payload / t[0] / 1e6,
              simdjson::get_active_implementation()->name().c_str());
  return sink == 0 ? 3 : 0;
}
