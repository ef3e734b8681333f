#include "train/distributed.h"

#include <torch/torch.h>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <cstdlib>

#include "fashionseg/core/error.h"

namespace fashionseg {
namespace {

int env_int(const char* name, int fallback) {
  const char* text = std::getenv(name);
  if (!text || !*text) return fallback;
  try {
    size_t used = 0;
    const int value = std::stoi(text, &used);
    if (used == std::string(text).size() && value >= 0) return value;
  } catch (const std::exception&) {
  }
  throw Error(ErrorKind::kConfig, std::string("environment variable ") + name + "='" + text +
                                      "' is not a non-negative integer");
}

/// The network device Gloo uses: GLOO_SOCKET_IFNAME when set (as in PyTorch), loopback for a
/// single-machine job, otherwise the interface of this machine's hostname.
std::shared_ptr<::gloo::transport::Device> make_device(const std::string& master_addr) {
  if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname && *ifname) {
    return c10d::ProcessGroupGloo::createDeviceForInterface(ifname);
  }
  if (master_addr == "127.0.0.1" || master_addr == "localhost") {
    return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
  }
  return c10d::ProcessGroupGloo::createDefaultDevice();
}

}  // namespace

DistributedEnv distributed_env_from_environment() {
  DistributedEnv env;
  env.world_size = env_int("WORLD_SIZE", 1);
  env.rank = env_int("RANK", 0);
  env.local_rank = env_int("LOCAL_RANK", 0);
  env.master_port = env_int("MASTER_PORT", 29500);
  if (const char* addr = std::getenv("MASTER_ADDR"); addr && *addr) env.master_addr = addr;
  if (env.world_size < 1) throw_config_error("WORLD_SIZE must be >= 1");
  if (env.rank >= env.world_size) {
    throw_config_error("RANK=" + std::to_string(env.rank) +
                       " is not below WORLD_SIZE=" + std::to_string(env.world_size));
  }
  if (env.master_port < 1 || env.master_port > 65535) {
    throw_config_error("MASTER_PORT must be a TCP port (1-65535)");
  }
  return env;
}

struct DataParallelGroup::Impl {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
};

DataParallelGroup::DataParallelGroup(const DistributedEnv& env) : env_(env) {
  if (env_.world_size == 1) return;
  impl_ = std::make_unique<Impl>();
  try {
    c10d::TCPStoreOptions store_options;
    store_options.port = static_cast<uint16_t>(env_.master_port);
    store_options.isServer = env_.rank == 0;
    store_options.numWorkers = env_.world_size;
    store_options.waitWorkers = true;
    impl_->store = c10::make_intrusive<c10d::TCPStore>(env_.master_addr, store_options);
    auto options = c10d::ProcessGroupGloo::Options::create();
    options->devices.push_back(make_device(env_.master_addr));
    impl_->group = c10::make_intrusive<c10d::ProcessGroupGloo>(impl_->store, env_.rank,
                                                               env_.world_size, options);
  } catch (const std::exception& e) {
    throw Error(ErrorKind::kIo, std::string("cannot join the distributed job: ") + e.what(),
                Location{env_.master_addr + ":" + std::to_string(env_.master_port), 0,
                         "rank " + std::to_string(env_.rank)},
                "check MASTER_ADDR/MASTER_PORT and that every rank was started");
  }
}

DataParallelGroup::~DataParallelGroup() = default;

void DataParallelGroup::broadcast_module(torch::nn::Module& module) {
  if (!impl_) return;
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> tensors;
  for (auto& p : module.parameters()) tensors.push_back(p);
  for (auto& b : module.buffers()) tensors.push_back(b);
  for (auto& t : tensors) {
    std::vector<torch::Tensor> one{t.data()};
    impl_->group->broadcast(one)->wait();
  }
}

void DataParallelGroup::average_gradients(torch::nn::Module& module) {
  if (!impl_) return;
  std::vector<torch::Tensor> grads;
  for (auto& p : module.parameters()) {
    if (!p.requires_grad()) continue;
    if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
    grads.push_back(p.grad());
  }
  if (grads.empty()) return;
  // One all-reduce of one flat buffer: thousands of small messages would be latency-bound.
  std::vector<torch::Tensor> flat_list{torch::cat(
      [&] {
        std::vector<torch::Tensor> views;
        for (auto& g : grads) views.push_back(g.reshape(-1));
        return views;
      }(),
      0)};
  impl_->group->allreduce(flat_list)->wait();
  flat_list[0].div_(env_.world_size);
  int64_t offset = 0;
  for (auto& g : grads) {
    const int64_t n = g.numel();
    g.copy_(flat_list[0].slice(0, offset, offset + n).view_as(g));
    offset += n;
  }
}

void DataParallelGroup::sum(torch::Tensor& tensor) {
  if (!impl_) return;
  std::vector<torch::Tensor> one{tensor};
  impl_->group->allreduce(one)->wait();
}

void DataParallelGroup::barrier() {
  if (!impl_) return;
  impl_->group->barrier()->wait();
}

}  // namespace fashionseg
