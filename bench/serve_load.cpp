// Loopback load test of `fashionseg serve`: N requests of one photo from C concurrent clients
// (each with its own keep-alive connection), then throughput, latency percentiles and every
// non-200 answer. Used by bench/run_serve_load.sh, which starts the server.
//   bench_serve_load <port> <photo> [requests=1000] [concurrency=8] [query=mask=png]
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: bench_serve_load <port> <photo> [requests] [concurrency] [query]\n";
    return 2;
  }
  const int port = std::stoi(argv[1]);
  std::ifstream in(argv[2], std::ios::binary);
  if (!in) {
    std::cerr << "cannot read " << argv[2] << "\n";
    return 2;
  }
  std::ostringstream bytes;
  bytes << in.rdbuf();
  const std::string photo = bytes.str();
  const int requests = argc > 3 ? std::stoi(argv[3]) : 1000;
  const int concurrency = argc > 4 ? std::stoi(argv[4]) : 8;
  const std::string path = "/v1/segment?" + std::string(argc > 5 ? argv[5] : "mask=png");

  using Clock = std::chrono::steady_clock;
  std::atomic<int> next{0};
  std::mutex mutex;
  std::vector<double> latencies_ms;
  std::map<int, int> statuses;  // -1 = transport error
  const auto start = Clock::now();
  std::vector<std::thread> clients;
  for (int c = 0; c < concurrency; ++c) {
    clients.emplace_back([&] {
      httplib::Client client("127.0.0.1", port);
      client.set_keep_alive(true);
      client.set_read_timeout(120);
      std::vector<double> mine;
      std::map<int, int> my_statuses;
      while (next.fetch_add(1) < requests) {
        const auto sent = Clock::now();
        const auto result = client.Post(path, photo, "image/jpeg");
        mine.push_back(std::chrono::duration<double, std::milli>(Clock::now() - sent).count());
        ++my_statuses[result ? result->status : -1];
      }
      std::lock_guard lock(mutex);
      latencies_ms.insert(latencies_ms.end(), mine.begin(), mine.end());
      for (const auto& [status, count] : my_statuses) statuses[status] += count;
    });
  }
  for (auto& t : clients) t.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::sort(latencies_ms.begin(), latencies_ms.end());
  auto percentile = [&](double p) {
    const size_t i =
        std::min(latencies_ms.size() - 1, static_cast<size_t>(p / 100.0 * latencies_ms.size()));
    return latencies_ms[i];
  };
  int errors = 0;
  std::string status_text;
  for (const auto& [status, count] : statuses) {
    if (status != 200) errors += count;
    status_text +=
        (status_text.empty() ? "" : ", ") + std::to_string(status) + ": " + std::to_string(count);
  }
  std::printf(
      "requests %d, concurrency %d, %.1f s, %.2f req/s, latency ms p50 %.1f p90 %.1f p99 %.1f "
      "max %.1f, errors %d (%s)\n",
      requests, concurrency, seconds, requests / seconds, percentile(50), percentile(90),
      percentile(99), latencies_ms.back(), errors, status_text.c_str());
  return errors == 0 ? 0 : 1;
}
