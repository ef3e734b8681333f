// Fuzzing the service's request parsing with the bounded mutation driver (support/mutate.h):
// mutated request lines, headers, chunked and multipart bodies go to a real server on
// loopback. Every answer must be a well-formed HTTP status with a JSON body for errors, and
// the service must still answer /healthz at the end.
// Longer runs: FASHIONSEG_FUZZ_ITERATIONS=20000 build/tests/test_serve --gtest_filter='Fuzz*'
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "serve/running_server.h"
#include "support/mutate.h"

namespace fashionseg {
namespace {

TEST(Fuzz, HttpRequests) {
  test::StandInModel model;
  ServeOptions options = test::loopback();
  options.max_body_bytes = 64 * 1024;
  options.header_timeout_s = 0.5;
  test::RunningServer running(model.served(), options);
  const std::string png = test::png_photo(6, 4);
  const std::string boundary = "----b";
  const std::vector<std::string> seeds = {
      "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
      "GET /v1/model?x=1 HTTP/1.1\r\nHost: x\r\nAccept: */*\r\nConnection: close\r\n\r\n",
      "POST /v1/segment?mask=rle&min_area=0.1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
      "Content-Length: " +
          std::to_string(png.size()) + "\r\n\r\n" + png,
      "POST /v1/segment HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: "
      "chunked\r\n\r\n" +
          [&] {
            char size[16];
            std::snprintf(size, sizeof(size), "%zx", png.size());
            return std::string(size) + "\r\n" + png + "\r\n0\r\n\r\n";
          }(),
      "POST /v1/segment?mask=none HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: "
      "multipart/form-data; boundary=" +
          boundary + "\r\nContent-Length: " +
          std::to_string(png.size() + 2 * boundary.size() + 108) + "\r\n\r\n--" + boundary +
          "\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.png\"\r\n"
          "Content-Type: image/png\r\n\r\n" +
          png + "\r\n--" + boundary + "--\r\n",
  };
  test::fuzz("http", seeds, test::fuzz_iterations(150), [&](const std::string& request) {
    test::RawConnection connection(running.port());
    if (!connection.connected()) throw std::runtime_error("the server refused a connection");
    connection.send(request);
    connection.finish_sending();
    const std::string answer =
        connection.receive(std::chrono::milliseconds(1500), std::chrono::milliseconds(3000));
    if (answer.empty()) return;  // closed without an answer (e.g. after a timeout)
    const int status = test::status_of(answer);
    if (status < 200 || status > 599) throw std::runtime_error("no HTTP status: " + answer);
    if (status >= 400) {
      const auto json = nlohmann::json::parse(test::body_of(answer), nullptr, false);
      if (!json.is_object() || !json.contains("error")) {
        throw std::runtime_error("an error without a JSON body: " + answer.substr(0, 300));
      }
    }
  });
  httplib::Client client = running.client();
  const auto health = client.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
}

}  // namespace
}  // namespace fashionseg
