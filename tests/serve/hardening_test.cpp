// The service under hostile or careless requests, over real HTTP on loopback: bytes that are
// not UTF-8 in the URL, compressed and chunked bodies past the limit, header floods, slow
// clients, unusual methods and half-closed sockets. Each must cost one clear answer (or a
// closed connection) and leave the service answering others. Loops are bounded.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <nlohmann/json.hpp>

#include "serve/running_server.h"

namespace fashionseg {
namespace {

using test::body_of;
using test::loopback;
using test::png_photo;
using test::RawConnection;
using test::RunningServer;
using test::StandInModel;
using test::status_of;
using ::testing::HasSubstr;

/// GET /healthz on a fresh connection answers 200 within `seconds`.
bool healthy(const RunningServer& running, int seconds = 5) {
  httplib::Client client = running.client();
  client.set_connection_timeout(seconds);
  client.set_read_timeout(seconds);
  const auto answer = client.Get("/healthz");
  return answer && answer->status == 200;
}

/// One raw request on a new connection; the answer as received.
std::string exchange(int port, const std::string& request) {
  RawConnection connection(port);
  EXPECT_TRUE(connection.connected());
  connection.send(request);
  return connection.receive();
}

std::string gzip(const std::string& data) {
  z_stream stream{};
  EXPECT_EQ(deflateInit2(&stream, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&stream, data.size()), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&stream, Z_FINISH), Z_STREAM_END);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

TEST(Hardening, BytesThatAreNotUtf8InTheUrlGetAJsonErrorAndTheServiceLives) {
  StandInModel model;
  RunningServer running(model.served(), loopback());
  const std::string png = png_photo(8, 8);
  const std::pair<std::string, int> cases[] = {
      {"GET /%ff HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 404},
      {"GET /%c3%28?x=%fe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 404},
      {"POST /v1/segment?mask=%ff HTTP/1.1\r\nHost: x\r\nContent-Length: " +
           std::to_string(png.size()) + "\r\n\r\n" + png,
       400},
      {"POST /v1/segment?bogus%ff=1 HTTP/1.1\r\nHost: x\r\nContent-Length: " +
           std::to_string(png.size()) + "\r\n\r\n" + png,
       400},
  };
  for (const auto& [request, status] : cases) {
    const std::string answer = exchange(running.port(), request);
    EXPECT_EQ(status_of(answer), status) << request.substr(0, 40) << "\n" << answer;
    const nlohmann::json json = nlohmann::json::parse(body_of(answer), nullptr, false);
    ASSERT_TRUE(json.is_object()) << answer;
    // The bad byte is replaced, the rest of the message stays readable.
    EXPECT_THAT(json.value("error", ""), HasSubstr("\xEF\xBF\xBD")) << answer;
  }
  EXPECT_TRUE(healthy(running));
}

TEST(Hardening, ACompressedBodyIsLimitedAfterDecompression) {
  StandInModel model;
  ServeOptions options = loopback();
  options.max_body_bytes = 64 * 1024;
  RunningServer running(model.served(), options);
  // 16 MB of zeros in about 16 KB of gzip: within the limit as sent, far past it unpacked.
  const std::string bomb = gzip(std::string(16 << 20, '\0'));
  ASSERT_LT(bomb.size(), options.max_body_bytes);
  httplib::Client client = running.client();
  httplib::Headers headers = {{"Content-Encoding", "gzip"}};
  const auto answer = client.Post("/v1/segment", headers, bomb, "image/png");
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 413) << answer->body;
  EXPECT_THAT(answer->body, HasSubstr("larger than the limit of 65536 bytes"));
  // A gzip body within the limit still works.
  const std::string small = gzip(png_photo(8, 8));
  const auto fine = client.Post("/v1/segment?mask=none", headers, small, "image/png");
  ASSERT_TRUE(fine);
  EXPECT_EQ(fine->status, 200) << fine->body;
  EXPECT_EQ(model.calls, 1);
}

TEST(Hardening, AnImageClaimingTooManyPixelsIsRefusedFromItsHeaderInEveryFormat) {
  StandInModel model;
  RunningServer running(model.served(), loopback());
  auto le = [](uint32_t value, int bytes) {
    std::string out;
    for (int i = 0; i < bytes; ++i) out += static_cast<char>((value >> (8 * i)) & 0xFF);
    return out;
  };
  // A 30-byte WebP whose canvas is 12000 x 12000 (decoding would allocate 432 MB first).
  const std::string webp = "RIFF" + le(22, 4) + "WEBPVP8X" + le(10, 4) + std::string(4, '\0') +
                           le(11999, 3) + le(11999, 3);
  const auto answer = running.client().Post("/v1/segment", webp, "image/webp");
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 400);
  EXPECT_THAT(answer->body, HasSubstr("12000x12000 = 144000000 pixels, more than the limit of "
                                      "50000000"));
  EXPECT_EQ(model.calls, 0);
}

TEST(Hardening, AChunkedBodyIsLimitedAsItArrives) {
  StandInModel model;
  ServeOptions options = loopback();
  options.max_body_bytes = 64 * 1024;
  RunningServer running(model.served(), options);
  RawConnection connection(running.port());
  ASSERT_TRUE(connection.send(
      "POST /v1/segment HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"));
  // Up to 64 MB in 64 KB chunks: the server answers and stops reading long before.
  const std::string chunk = "10000\r\n" + std::string(0x10000, 'x') + "\r\n";
  size_t sent = 0;
  for (int i = 0; i < 1024 && connection.send(chunk); ++i) sent += chunk.size();
  const std::string answer = connection.receive();
  EXPECT_LT(sent, size_t{32} << 20);
  if (!answer.empty()) {  // the answer may be lost to a reset; the point is that it stopped
    EXPECT_EQ(status_of(answer), 413) << answer.substr(0, 300);
  }
  // A body on a resource that takes none is not read either.
  RawConnection other(running.port());
  ASSERT_TRUE(
      other.send("POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"));
  size_t sent_other = 0;
  for (int i = 0; i < 1024 && other.send(chunk); ++i) sent_other += chunk.size();
  EXPECT_LT(sent_other, size_t{32} << 20);
  EXPECT_EQ(model.calls, 0);
  EXPECT_TRUE(healthy(running));
}

TEST(Hardening, AHeaderFloodIsRefusedAfterTheHeaderLimit) {
  StandInModel model;
  RunningServer running(model.served(), loopback());
  RawConnection connection(running.port());
  ASSERT_TRUE(connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\n"));
  // A million headers (about 38 MB): the server refuses and stops reading long before.
  std::string block;
  for (int i = 0; i < 1000; ++i) block += "X-Flood-" + std::to_string(i) + ": value\r\n";
  size_t sent = 0;
  for (int i = 0; i < 1000 && connection.send(block); ++i) sent += block.size();
  const std::string answer = connection.receive();
  EXPECT_LT(sent, size_t{24} << 20);
  if (!answer.empty()) {
    EXPECT_EQ(status_of(answer), 431) << answer.substr(0, 300);
    EXPECT_THAT(body_of(answer), HasSubstr("larger than the limit of 32768 bytes"));
  }
  // Many small headers within the limit are fine.
  std::string request = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n";
  for (int i = 0; i < 100; ++i) request += "X-" + std::to_string(i) + ": v\r\n";
  EXPECT_EQ(status_of(exchange(running.port(), request + "\r\n")), 200);
}

TEST(Hardening, SlowClientsHoldNoThreadAndTimeOut) {
  StandInModel model;
  ServeOptions options = loopback();
  options.http_threads = 2;
  options.header_timeout_s = 1.5;
  RunningServer running(model.served(), options);
  // Eight clients that start a request and never finish its headers, against two threads.
  std::vector<std::unique_ptr<RawConnection>> slow;
  for (int i = 0; i < 8; ++i) {
    slow.push_back(std::make_unique<RawConnection>(running.port()));
    ASSERT_TRUE(slow.back()->send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: "));
  }
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(healthy(running, 1));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1000));
  // Past the header timeout each slow client is told so and closed.
  const std::string answer = slow.front()->receive(std::chrono::milliseconds(5000));
  EXPECT_EQ(status_of(answer), 408) << answer;
  EXPECT_THAT(body_of(answer), HasSubstr("did not arrive within 1500 ms"));
}

TEST(Hardening, MethodsGet405WithAllowAndOptionsListsThem) {
  StandInModel model;
  RunningServer running(model.served(), loopback());
  httplib::Client client = running.client();
  const auto put = client.Put("/v1/segment", "x", "text/plain");
  ASSERT_TRUE(put);
  EXPECT_EQ(put->status, 405);
  EXPECT_EQ(put->get_header_value("Allow"), "POST");
  for (const auto& result : {client.Delete("/healthz"), client.Patch("/v1/model", "x", "a/b")}) {
    ASSERT_TRUE(result);
    EXPECT_EQ(result->status, 405) << result->body;
    EXPECT_EQ(result->get_header_value("Allow"), "GET, HEAD");
    EXPECT_THAT(result->body, HasSubstr("method not allowed, use GET"));
  }
  const auto options = client.Options("/v1/segment");
  ASSERT_TRUE(options);
  EXPECT_EQ(options->status, 204);
  EXPECT_EQ(options->get_header_value("Allow"), "POST");
  EXPECT_EQ(client.Delete("/nowhere")->status, 404);
  EXPECT_EQ(client.Head("/healthz")->status, 200);
}

TEST(Hardening, ATooLongRequestLineIsNamedInThe414) {
  StandInModel model;
  RunningServer running(model.served(), loopback());
  const std::string answer =
      exchange(running.port(), "GET /" + std::string(9000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(status_of(answer), 414) << answer.substr(0, 300);
  const std::string message = nlohmann::json::parse(body_of(answer)).value("error", "");
  EXPECT_THAT(message, HasSubstr("\"GET /aaaa"));
  EXPECT_THAT(message, HasSubstr("longer than the limit of 8192 bytes"));
}

TEST(Hardening, AClientThatHalfClosesStillGetsItsAnswer) {
  StandInModel model;
  RunningServer running(model.served(), loopback());
  const std::string png = png_photo(8, 8);
  RawConnection connection(running.port());
  ASSERT_TRUE(connection.send("POST /v1/segment?mask=none HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                              std::to_string(png.size()) + "\r\n\r\n" + png));
  connection.finish_sending();
  const std::string answer = connection.receive();
  EXPECT_EQ(status_of(answer), 200) << answer;
  EXPECT_THAT(body_of(answer), HasSubstr("\"categories\""));
  RawConnection health(running.port());
  ASSERT_TRUE(health.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
  health.finish_sending();
  EXPECT_EQ(status_of(health.receive()), 200);
}

TEST(Hardening, ConnectionsPastTheLimitAre503AndOthersRecover) {
  StandInModel model;
  ServeOptions options = loopback();
  options.max_connections = 4;
  RunningServer running(model.served(), options);
  std::vector<std::unique_ptr<RawConnection>> idle;
  for (int i = 0; i < 4; ++i) idle.push_back(std::make_unique<RawConnection>(running.port()));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const std::string refused = exchange(running.port(), "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(status_of(refused), 503) << refused;
  idle.clear();
  bool recovered = false;
  for (int i = 0; i < 50 && !recovered; ++i) {
    recovered = healthy(running);
    if (!recovered) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(recovered);
}

}  // namespace
}  // namespace fashionseg
