// `fashionseg serve` as a user runs it: the real program on a free loopback port with a real
// model (torchvision's LR-ASPP, random weights). Its masks equal `fashionseg predict`'s on the
// same photo (predict is checked against torchvision's logits in predict_test), read back by
// an independent Python decoder; every endpoint and error case answers as documented; SIGTERM
// stops it cleanly; a taken port is a clear error.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>

#include "cli/lraspp_fixture.h"
#include "support/python_script.h"
#include "support/test_support.h"

namespace fashionseg {
namespace {

using ::testing::HasSubstr;

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// `fashionseg serve` in a child process, its output in a log file.
class ServeProcess {
 public:
  ServeProcess(const std::string& arguments, const std::filesystem::path& log) : log_(log) {
    const std::string command = "exec " + test::shell_quote(test::fashionseg_binary().string()) +
                                " " + arguments + " > " + test::shell_quote(log.string()) + " 2>&1";
    pid_ = fork();
    if (pid_ == 0) {
      execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  ~ServeProcess() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  /// The port from "listening on http://127.0.0.1:<port>", or 0 if the program ended or
  /// printed nothing within a minute.
  int wait_for_port() {
    const std::regex listening("listening on http://127\\.0\\.0\\.1:([0-9]+)");
    for (int i = 0; i < 600; ++i) {
      std::smatch match;
      const std::string text = log();
      if (std::regex_search(text, match, listening)) return std::stoi(match[1]);
      if (waitpid(pid_, &status_, WNOHANG) == pid_) {
        exited_ = true;
        return 0;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return 0;
  }
  /// Sends `signal` and waits up to 30 s; the exit code, or -1 if it did not end normally.
  int stop(int signal = SIGTERM) {
    if (!exited_) {
      kill(pid_, signal);
      for (int i = 0; i < 300 && !exited_; ++i) {
        if (waitpid(pid_, &status_, WNOHANG) == pid_)
          exited_ = true;
        else
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
    return exited_ && WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
  }
  std::string log() const { return read_file(log_); }
  /// Resident memory of the server in MB (VmRSS), or -1 when it cannot be read.
  long resident_mb() const {
    std::ifstream status("/proc/" + std::to_string(pid_) + "/status");
    for (std::string line; std::getline(status, line);) {
      if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6)) / 1024;
    }
    return -1;
  }

 private:
  std::filesystem::path log_;
  pid_t pid_ = -1;
  int status_ = 0;
  bool exited_ = false;
};

// Decodes the answers' base64 PNG masks and compares them with predict's masks; checks the
// categories against the mask (the same rule as predict's JSON).
const char* const kCompareMasks = R"(
import base64, json, sys, numpy as np, cv2
for answer_file, mask_file in zip(sys.argv[1::2], sys.argv[2::2]):
    answer = json.load(open(answer_file))
    png = np.frombuffer(base64.b64decode(answer['mask']['data']), np.uint8)
    served = cv2.imdecode(png, cv2.IMREAD_UNCHANGED)
    predicted = cv2.imread(mask_file, cv2.IMREAD_UNCHANGED)
    assert served.dtype == np.uint8 and served.ndim == 2, served.shape
    assert served.shape == predicted.shape == (answer['height'], answer['width']), (served.shape, predicted.shape)
    assert np.array_equal(served, predicted), '%s: %d pixels differ' % (answer_file, int((served != predicted).sum()))
    ids = sorted(int(v) for v in np.unique(served) if v != 0)
    assert sorted(c['id'] for c in answer['categories']) == ids, (answer['categories'], ids)
    for c in answer['categories']:
        assert abs(c['share'] - float((served == c['id']).mean())) < 1e-9, c
print('MASKS AGREE', len(sys.argv[1:]) // 2)
)";

class ServeCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<test::TempDir>();
    made_ = test::run_python_script(*dir_, test::kMakeLrasppInputs);
    if (made_.exit_code != 0) return;
    imported_ = test::run_fashionseg(test::import_lraspp_arguments(*dir_));
    if (imported_.exit_code != 0) return;
    server_ = std::make_unique<ServeProcess>(
        "serve -m " + at("model.fsm") + " --port 0 --max-body-mb 0.05 --max-pixels 20000",
        *dir_ / "serve.log");
    port_ = server_->wait_for_port();
  }
  static void TearDownTestSuite() {
    server_.reset();
    dir_.reset();
  }
  void SetUp() override {
    ASSERT_EQ(made_.exit_code, 0) << made_.output;
    ASSERT_EQ(imported_.exit_code, 0) << imported_.output;
    ASSERT_GT(port_, 0) << server_->log();
  }
  static std::string at(const std::string& name) {
    return test::shell_quote((*dir_ / name).string());
  }
  static httplib::Client client() {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(60);
    return c;
  }
  static std::unique_ptr<test::TempDir> dir_;
  static test::CommandResult made_, imported_;
  static std::unique_ptr<ServeProcess> server_;
  static int port_;
};
std::unique_ptr<test::TempDir> ServeCli::dir_;
test::CommandResult ServeCli::made_, ServeCli::imported_;
std::unique_ptr<ServeProcess> ServeCli::server_;
int ServeCli::port_ = 0;

TEST_F(ServeCli, MasksEqualPredictsWithAndWithoutFlip) {
  const std::string photo = read_file(*dir_ / "photos/a.png");
  httplib::Client c = client();
  const auto plain = c.Post("/v1/segment?min_area=0", photo, "image/png");
  ASSERT_TRUE(plain);
  ASSERT_EQ(plain->status, 200) << plain->body;
  std::ofstream(*dir_ / "plain.json") << plain->body;
  httplib::MultipartFormDataItems form = {{"image", photo, "a.png", "image/png"}};
  const auto flipped = c.Post("/v1/segment?min_area=0&flip=1", form);
  ASSERT_TRUE(flipped);
  ASSERT_EQ(flipped->status, 200) << flipped->body;
  std::ofstream(*dir_ / "flipped.json") << flipped->body;
  EXPECT_EQ(nlohmann::json::parse(plain->body)["architecture"], "lraspp_mobilenet_v3_large");

  const auto predicted =
      test::run_fashionseg("predict -m " + at("model.fsm") + " " + at("photos/a.png") +
                           " --mask --min-area 0 -o " + at("predicted"));
  ASSERT_EQ(predicted.exit_code, 0) << predicted.output;
  const auto predicted_flip =
      test::run_fashionseg("predict -m " + at("model.fsm") + " " + at("photos/a.png") +
                           " --mask --flip --min-area 0 -o " + at("predicted_flip"));
  ASSERT_EQ(predicted_flip.exit_code, 0) << predicted_flip.output;
  const auto compared =
      test::run_python_script(*dir_, kCompareMasks,
                              at("plain.json") + " " + at("predicted/a_mask.png") + " " +
                                  at("flipped.json") + " " + at("predicted_flip/a_mask.png"),
                              "compare_masks.py");
  ASSERT_EQ(compared.exit_code, 0) << compared.output;
  EXPECT_THAT(compared.output, HasSubstr("MASKS AGREE 2"));
}

TEST_F(ServeCli, ModelHealthMetricsAndPage) {
  httplib::Client c = client();
  const auto model = c.Get("/v1/model");
  ASSERT_TRUE(model);
  ASSERT_EQ(model->status, 200);
  const nlohmann::json json = nlohmann::json::parse(model->body);
  EXPECT_EQ(json["architecture"], "lraspp_mobilenet_v3_large");
  ASSERT_EQ(json["classes"].size(), 5u);
  EXPECT_EQ(json["classes"][4]["name"], "bag, wallet");
  EXPECT_GT(json["parameters"].get<int64_t>(), 3'000'000);
  EXPECT_EQ(c.Get("/healthz")->status, 200);
  const auto page = c.Get("/");
  ASSERT_EQ(page->status, 200);
  EXPECT_EQ(page->body, read_file(test::source_dir() / "src/serve/page.html"));
  // A request is counted once it has been answered (the server's logger runs after the
  // response is written), so on a busy machine the count can trail the client by a moment.
  std::string body;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  do {
    const auto metrics = c.Get("/metrics");
    ASSERT_TRUE(metrics);
    ASSERT_EQ(metrics->status, 200);
    body = metrics->body;
    if (body.find("fashionseg_requests_total{endpoint=\"GET /v1/model\"") != std::string::npos) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  } while (std::chrono::steady_clock::now() < deadline);
  EXPECT_THAT(body, HasSubstr("fashionseg_requests_total{endpoint=\"GET /v1/model\""));
  EXPECT_THAT(body, HasSubstr("# TYPE fashionseg_segment_seconds histogram"));
}

TEST_F(ServeCli, EachBadRequestGetsItsStatusAndReason) {
  httplib::Client c = client();
  const std::string big(60 * 1024, 'x');
  struct Case {
    httplib::Result result;
    int status;
    const char* reason;
  };
  // 200 x 200 = 40000 pixels, over the server's --max-pixels 20000.
  const auto made = test::run_python_script(
      *dir_,
      "import numpy as np, cv2\ncv2.imwrite('large.png', np.zeros((200, 200, 3), np.uint8))\n", "",
      "large.py");
  ASSERT_EQ(made.exit_code, 0) << made.output;
  Case cases[] = {
      {c.Post("/v1/segment", read_file(*dir_ / "photos/broken.jpg"), "image/jpeg"), 400,
       "truncated JPEG"},
      {c.Post("/v1/segment", read_file(*dir_ / "large.png"), "image/png"), 400,
       "more than the limit of 20000"},
      {c.Post("/v1/segment", big, "application/octet-stream"), 413, "larger than the limit"},
      {c.Post("/v1/segment?flip=2", read_file(*dir_ / "photos/a.png"), "image/png"), 400,
       "flip=2 is not 0 or 1"},
      {c.Get("/v1/nothing"), 404, "no such resource"},
  };
  for (const auto& k : cases) {
    ASSERT_TRUE(k.result) << k.reason;
    EXPECT_EQ(k.result->status, k.status) << k.reason << ": " << k.result->body;
    EXPECT_THAT(nlohmann::json::parse(k.result->body).value("error", ""), HasSubstr(k.reason));
  }
  // The server is still healthy after them.
  EXPECT_EQ(c.Post("/v1/segment?mask=none", read_file(*dir_ / "photos/b.png"), "image/png")->status,
            200);
}

TEST_F(ServeCli, ATakenPortIsAClearErrorAndSigtermStopsCleanly) {
  test::TempDir here;
  ServeProcess second("serve -m " + at("model.fsm") + " --port " + std::to_string(port_),
                      here / "second.log");
  EXPECT_EQ(second.wait_for_port(), 0);
  EXPECT_NE(second.stop(), 0);
  EXPECT_THAT(second.log(), HasSubstr("cannot listen on 127.0.0.1:" + std::to_string(port_)));

  ServeProcess own("serve -m " + at("model.fsm") + " --port 0", here / "own.log");
  const int port = own.wait_for_port();
  ASSERT_GT(port, 0) << own.log();
  httplib::Client c("127.0.0.1", port);
  ASSERT_EQ(c.Get("/healthz")->status, 200);
  EXPECT_EQ(own.stop(SIGTERM), 0) << own.log();
  EXPECT_THAT(own.log(), HasSubstr("stopped after 1 requests"));
}

// 16 HTTP threads each used to keep a malloc arena at its own peak: about 800 MB resident
// after 10 requests of one 512 x 512 photo and 1 GB after 200 (8 at once) with the bundled
// model. With two arenas (MemoryUse::kBounded) it stays near 400 MB (bench/RESULTS.md).
TEST(ServeMemory, ResidentMemoryStaysBoundedUnderConcurrentLoad) {
  test::TempDir here;
  const auto model = test::source_dir() / "models/fashionseg-ccp.fsm";
  const std::string photo =
      read_file(test::source_dir() / "samples/photos/astronaut-eileen-collins.jpg");
  ASSERT_FALSE(photo.empty());
  ServeProcess server("--threads 2 serve -m " + test::shell_quote(model.string()) + " --port 0",
                      here / "serve.log");
  const int port = server.wait_for_port();
  ASSERT_GT(port, 0) << server.log();
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int client = 0; client < 8; ++client) {
    clients.emplace_back([&] {
      httplib::Client c("127.0.0.1", port);
      c.set_read_timeout(120);
      for (int request = 0; request < 6; ++request) {
        const auto answer = c.Post("/v1/segment", photo, "image/jpeg");
        if (answer && answer->status == 200) ++ok;
      }
    });
  }
  for (auto& thread : clients) thread.join();
  EXPECT_EQ(ok.load(), 48);
  const long resident = server.resident_mb();
  EXPECT_GT(resident, 0);
  EXPECT_LT(resident, 650) << "MB resident after 48 requests, 8 at once";
  EXPECT_EQ(server.stop(SIGTERM), 0) << server.log();
}

TEST_F(ServeCli, AMissingModelIsNamed) {
  const auto result = test::run_fashionseg("serve -m " + at("none.fsm") + " --port 0");
  EXPECT_NE(result.exit_code, 0);
  EXPECT_THAT(result.output, HasSubstr("none.fsm"));
}

}  // namespace
}  // namespace fashionseg
