// The service over real HTTP on loopback, with a stand-in model: every endpoint, each error
// the contract names, the bounded queue (503 + Retry-After), graceful stop with a request in
// flight, and the Prometheus counters. The real model is exercised by tests/cli/serve_test.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <future>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <thread>

#include "fashionseg/core/error.h"
#include "fashionseg/data/image_io.h"
#include "fashionseg/data/report.h"
#include "fashionseg/serve/serve.h"
#include "serve/admission.h"
#include "serve/running_server.h"
#include "serve/service_metrics.h"

namespace fashionseg {
namespace {

using test::loopback;
using test::png_photo;
using test::RunningServer;
using test::StandInModel;
using ::testing::HasSubstr;

nlohmann::json body_json(const httplib::Result& result) {
  return nlohmann::json::parse(result->body);
}

TEST(Server, SegmentsARawBodyAndAFormUploadAlike) {
  StandInModel model;
  RunningServer running(model.served(), loopback());
  httplib::Client client = running.client();
  const std::string photo = png_photo(40, 20);
  // curl --data-binary sends x-www-form-urlencoded: the bytes, not the header, decide.
  const auto raw = client.Post("/v1/segment", photo, "application/x-www-form-urlencoded");
  ASSERT_TRUE(raw) << httplib::to_string(raw.error());
  ASSERT_EQ(raw->status, 200) << raw->body;
  EXPECT_EQ(raw->get_header_value("Content-Type"), "application/json; charset=utf-8");
  const nlohmann::json answer = body_json(raw);
  EXPECT_EQ(answer["width"], 40);
  EXPECT_EQ(answer["height"], 20);
  EXPECT_EQ(answer["architecture"], "stand-in");
  ASSERT_EQ(answer["categories"].size(), 2u);
  EXPECT_EQ(answer["categories"][0]["name"], "shirt, blouse");
  EXPECT_DOUBLE_EQ(answer["categories"][0]["share"].get<double>(), 0.5);
  EXPECT_EQ(answer["categories"][0]["box"], nlohmann::json({0, 0, 20, 20}));
  EXPECT_EQ(answer["categories"][1]["box"], nlohmann::json({20, 10, 20, 10}));
  EXPECT_EQ(answer["categories"][1]["instances"], 1);
  for (const char* key : {"decode", "inference", "total"}) {
    EXPECT_GE(answer["timing_ms"][key].get<double>(), 0.0) << key;
  }
  // The mask is the stand-in's labels as an 8-bit gray PNG, base64 (as encode_png writes it).
  cv::Mat labels(20, 40, CV_8UC1, cv::Scalar(0));
  labels(cv::Rect(0, 0, 20, 20)).setTo(1);
  labels(cv::Rect(20, 10, 20, 10)).setTo(2);
  EXPECT_EQ(answer["mask"]["format"], "png");
  EXPECT_EQ(answer["mask"]["data"], base64_encode(encode_png(labels, false)));

  httplib::MultipartFormDataItems form = {{"note", "hello", "", "text/plain"},
                                          {"image", photo, "photo.png", "image/png"}};
  const auto uploaded = client.Post("/v1/segment?mask=none", form);
  ASSERT_TRUE(uploaded);
  ASSERT_EQ(uploaded->status, 200) << uploaded->body;
  const nlohmann::json from_form = body_json(uploaded);
  EXPECT_EQ(from_form["categories"], answer["categories"]);
  EXPECT_FALSE(from_form.contains("mask"));
}

TEST(Server, FlipAndMinAreaApplyPerRequest) {
  StandInModel model;
  RunningServer running(model.served(), loopback());
  httplib::Client client = running.client();
  const std::string photo = png_photo(40, 20);
  const auto flipped = client.Post("/v1/segment?flip=1", photo, "image/png");
  ASSERT_EQ(flipped->status, 200) << flipped->body;
  EXPECT_EQ(body_json(flipped)["categories"][1]["box"], nlohmann::json({0, 10, 20, 10}));
  // The shoe covers a quarter: a 0.3 minimum drops it from the list and from the mask.
  const auto strict = client.Post("/v1/segment?min_area=0.3&mask=rle", photo, "image/png");
  ASSERT_EQ(strict->status, 200) << strict->body;
  const nlohmann::json answer = body_json(strict);
  ASSERT_EQ(answer["categories"].size(), 1u);
  EXPECT_EQ(answer["categories"][0]["id"], 1);
  EXPECT_EQ(answer["mask"]["counts"].size(), 1u);
  EXPECT_TRUE(answer["mask"]["counts"].contains("1"));
}

TEST(Server, NamesTheColoursOfEachCategoryUnlessAskedNotTo) {
  StandInModel model;
  RunningServer running(model.served(), loopback());
  httplib::Client client = running.client();
  // A red left half (the shirt) and a navy right half (its lower quarter is the shoe).
  cv::Mat rgb(60, 80, CV_8UC3, cv::Scalar(0x23, 0x30, 0x4f));
  rgb(cv::Rect(0, 0, 40, 60)).setTo(cv::Scalar(0xc4, 0x2a, 0x2e));
  const std::vector<unsigned char> png = encode_png(rgb);
  const std::string photo(png.begin(), png.end());
  const auto named = client.Post("/v1/segment?mask=none", photo, "image/png");
  ASSERT_EQ(named->status, 200) << named->body;
  const nlohmann::json answer = body_json(named);
  ASSERT_EQ(answer["categories"].size(), 2u);
  const nlohmann::json& shirt = answer["categories"][0]["colors"];
  ASSERT_EQ(shirt.size(), 1u) << shirt;
  EXPECT_EQ(shirt[0]["name"], "red");
  EXPECT_EQ(shirt[0]["hex"], "#c42a2e");
  EXPECT_DOUBLE_EQ(shirt[0]["share"].get<double>(), 1.0);
  EXPECT_EQ(shirt[0]["lab"].size(), 3u);
  EXPECT_EQ(answer["categories"][1]["colors"][0]["name"], "navy");
  EXPECT_GE(answer["timing_ms"]["colors"].get<double>(), 0.0);

  const auto plain = client.Post("/v1/segment?mask=none&colors=0", photo, "image/png");
  ASSERT_EQ(plain->status, 200) << plain->body;
  const nlohmann::json without = body_json(plain);
  EXPECT_FALSE(without["categories"][0].contains("colors"));
  EXPECT_FALSE(without["timing_ms"].contains("colors"));
}

TEST(Server, ModelHealthPageAndMetrics) {
  StandInModel model;
  RunningServer running(model.served(), loopback());
  httplib::Client client = running.client();
  const auto info = client.Get("/v1/model");
  ASSERT_EQ(info->status, 200);
  const nlohmann::json json = body_json(info);
  EXPECT_EQ(json["architecture"], "stand-in");
  EXPECT_EQ(json["classes"].size(), 3u);
  EXPECT_EQ(json["input"]["width"], 32);
  EXPECT_EQ(json["category_head"], true);
  EXPECT_EQ(json["calibrated_categories"], false);
  EXPECT_EQ(json["precision"], "bf16");
  const auto health = client.Get("/healthz");
  ASSERT_EQ(health->status, 200);
  EXPECT_EQ(body_json(health)["status"], "ok");
  const auto page = client.Get("/");
  ASSERT_EQ(page->status, 200);
  EXPECT_THAT(page->get_header_value("Content-Type"), HasSubstr("text/html"));
  EXPECT_THAT(page->body, HasSubstr("id=\"drop\""));
  // Offline: no script, style or font from another origin.
  EXPECT_THAT(page->body, ::testing::Not(HasSubstr("src=\"http")));
  EXPECT_THAT(page->body, ::testing::Not(HasSubstr("href=\"http")));

  ASSERT_EQ(client.Post("/v1/segment", png_photo(8, 8), "image/png")->status, 200);
  ASSERT_EQ(client.Post("/v1/segment", "not an image", "image/png")->status, 400);
  // A request is counted once its answer is written, so the last one may show a moment late.
  const std::vector<std::string> expected = {
      "fashionseg_requests_total{endpoint=\"POST /v1/segment\",code=\"200\"} 1",
      "fashionseg_requests_total{endpoint=\"POST /v1/segment\",code=\"400\"} 1",
      "fashionseg_requests_total{endpoint=\"GET /healthz\",code=\"200\"} 1",
      "fashionseg_segment_seconds_count 1",
      "fashionseg_segment_seconds_bucket{le=\"+Inf\"} 1",
      "fashionseg_errors_total 1",
      "fashionseg_queued 0"};
  std::string text;
  for (int attempt = 0; attempt < 200; ++attempt) {
    const auto metrics = client.Get("/metrics");
    ASSERT_EQ(metrics->status, 200);
    EXPECT_THAT(metrics->get_header_value("Content-Type"), HasSubstr("text/plain; version=0.0.4"));
    text = metrics->body;
    bool all = true;
    for (const auto& line : expected) all = all && text.find(line) != std::string::npos;
    if (all) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  for (const auto& line : expected) EXPECT_THAT(text, HasSubstr(line));
}

TEST(Server, EveryErrorIsJsonWithTheRightStatus) {
  StandInModel model;
  ServeOptions options = loopback();
  options.max_body_bytes = 4096;
  options.max_pixels = 100;
  RunningServer running(model.served(), options);
  httplib::Client client = running.client();
  struct Case {
    httplib::Result result;
    int status;
    std::string message;
  };
  Case cases[] = {
      {client.Post("/v1/segment", "GIF89a....", "image/gif"), 400, "cannot decode"},
      {client.Post("/v1/segment", "", "image/png"), 400, "the image is empty"},
      {client.Post("/v1/segment", png_photo(20, 20), "image/png"), 400,
       "more than the limit of 100"},
      {client.Post("/v1/segment", std::string(5000, 'x'), "image/png"), 413,
       "larger than the limit of 4096 bytes"},
      {client.Post("/v1/segment?mask=svg", png_photo(5, 5), "image/png"), 400, "mask=svg"},
      {client.Post("/v1/segment", httplib::MultipartFormDataItems{{"file", "x", "a", "b"}}), 400,
       "no field named \"image\""},
      {client.Get("/v1/segment"), 405, "use POST"},
      {client.Post("/v1/model", "", "text/plain"), 405, "use GET"},
      {client.Get("/nowhere"), 404, "no such resource"},
  };
  for (const auto& c : cases) {
    ASSERT_TRUE(c.result) << c.message;
    EXPECT_EQ(c.result->status, c.status) << c.message << ": " << c.result->body;
    const nlohmann::json json = nlohmann::json::parse(c.result->body, nullptr, false);
    ASSERT_TRUE(json.is_object()) << c.result->body;
    EXPECT_THAT(json.value("error", ""), HasSubstr(c.message));
  }
  EXPECT_EQ(model.calls, 0);
}

TEST(Server, AFullQueueAnswers503WithRetryAfterAndNothingIsLost) {
  StandInModel model;
  std::promise<void> release;
  model.gate = release.get_future().share();
  ServeOptions options = loopback();
  options.workers = 1;
  options.queue_capacity = 1;
  RunningServer running(model.served(), options);
  const std::string photo = png_photo(16, 16);
  std::future<int> first = running.post_in_background("/v1/segment?mask=none", photo);
  while (model.started < 1) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  std::future<int> second = running.post_in_background("/v1/segment?mask=none", photo);
  for (int i = 0; i < 500; ++i) {
    httplib::Client probe = running.client();
    auto metrics = probe.Get("/metrics");
    if (metrics && metrics->body.find("fashionseg_queued 1") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  httplib::Client client = running.client();
  const auto refused = client.Post("/v1/segment", photo, "image/png");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503) << refused->body;
  EXPECT_EQ(refused->get_header_value("Retry-After"), "1");
  EXPECT_THAT(refused->body, HasSubstr("busy"));
  release.set_value();
  EXPECT_EQ(first.get(), 200);
  EXPECT_EQ(second.get(), 200);
  EXPECT_EQ(model.calls, 2);
}

TEST(Server, AWaitLongerThanTheQueueTimeoutIs503) {
  StandInModel model;
  std::promise<void> release;
  model.gate = release.get_future().share();
  ServeOptions options = loopback();
  options.workers = 1;
  options.queue_capacity = 4;
  options.queue_timeout_s = 0.05;
  RunningServer running(model.served(), options);
  const std::string photo = png_photo(16, 16);
  std::future<int> first = running.post_in_background("/v1/segment", photo);
  while (model.started < 1) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  const auto late = running.client().Post("/v1/segment", photo, "image/png");
  ASSERT_TRUE(late);
  EXPECT_EQ(late->status, 503);
  EXPECT_THAT(late->body, HasSubstr("no worker became free"));
  release.set_value();
  EXPECT_EQ(first.get(), 200);
}

TEST(Server, StopLetsTheRequestInFlightFinish) {
  StandInModel model;
  std::promise<void> release;
  model.gate = release.get_future().share();
  RunningServer running(model.served(), loopback());
  std::future<int> in_flight = running.post_in_background("/v1/segment", png_photo(16, 16));
  while (model.started < 1) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  std::thread stopper([&] { running.stop(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  release.set_value();
  stopper.join();
  EXPECT_EQ(in_flight.get(), 200);
  // Closed: a new connection is refused.
  EXPECT_FALSE(running.client().Get("/healthz"));
}

TEST(Server, StopBeforeRunMakesRunReturnAndBadOptionsAreRefused) {
  StandInModel model;
  SegmentationServer server(model.served(), loopback());
  server.bind();
  server.stop();
  server.run();  // returns at once instead of serving forever
  ServeOptions bad = loopback();
  bad.workers = 0;
  EXPECT_THROW({ SegmentationServer refused(model.served(), bad); }, Error);
  ServeOptions taken = loopback();
  SegmentationServer first(model.served(), taken);
  taken.port = first.bind();
  SegmentationServer second(model.served(), taken);
  try {
    second.bind();
    FAIL() << "binding a taken port succeeded";
  } catch (const Error& error) {
    EXPECT_THAT(error.what(),
                HasSubstr("cannot listen on 127.0.0.1:" + std::to_string(taken.port)));
  }
}

TEST(Admission, RunsUpToWorkersQueuesUpToCapacityAndRefusesTheRest) {
  using Outcome = serve::Admission::Outcome;
  serve::Admission admission(1, 1, std::chrono::seconds(30));
  Outcome outcome;
  auto first = std::make_unique<serve::Admission::Ticket>(admission.acquire(outcome));
  EXPECT_EQ(outcome, Outcome::kAdmitted);
  EXPECT_EQ(admission.running(), 1);
  std::atomic<Outcome> waiter_outcome{Outcome::kQueueFull};
  std::thread waiter([&] {
    Outcome mine;
    serve::Admission::Ticket ticket = admission.acquire(mine);
    waiter_outcome = mine;
  });
  while (admission.waiting() != 1) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const serve::Admission::Ticket refused = admission.acquire(outcome);
  EXPECT_FALSE(refused.admitted());
  EXPECT_EQ(outcome, Outcome::kQueueFull);
  first.reset();  // frees the slot: the waiter gets it
  waiter.join();
  EXPECT_EQ(waiter_outcome, Outcome::kAdmitted);
  EXPECT_EQ(admission.running(), 0);
  EXPECT_EQ(admission.waiting(), 0);
}

TEST(Admission, AWaiterGivesUpAfterTheTimeout) {
  serve::Admission admission(1, 4, std::chrono::milliseconds(20));
  serve::Admission::Outcome outcome;
  const serve::Admission::Ticket held = admission.acquire(outcome);
  ASSERT_TRUE(held.admitted());
  const auto start = std::chrono::steady_clock::now();
  const serve::Admission::Ticket late = admission.acquire(outcome);
  EXPECT_FALSE(late.admitted());
  EXPECT_EQ(outcome, serve::Admission::Outcome::kTimedOut);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(20));
  EXPECT_EQ(admission.waiting(), 0);
}

}  // namespace
}  // namespace fashionseg
