#pragma once
/// Distributed data parallel training on PyTorch's c10d (ProcessGroupGloo on CPU). Started
/// with the usual variables (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT, LOCAL_RANK), so
/// torchrun-style launchers, SLURM and Kubernetes jobs can start it.

#include <torch/nn/module.h>
#include <torch/types.h>

#include <memory>
#include <string>

namespace fashionseg {

/// Where this process stands in a job. World size 1 = not distributed.
struct DistributedEnv {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
};

/// Reads RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT; absent WORLD_SIZE = single
/// process. Throws Error(kConfig) naming the variable for malformed or inconsistent values.
DistributedEnv distributed_env_from_environment();

/// A c10d process group for data parallel training; a no-op for world size 1.
class DataParallelGroup {
 public:
  /// Joins the job (rendezvous through a TCPStore at MASTER_ADDR:MASTER_PORT, rank 0 serving
  /// it). Blocks until every rank has joined.
  explicit DataParallelGroup(const DistributedEnv& env);
  ~DataParallelGroup();
  DataParallelGroup(const DataParallelGroup&) = delete;
  DataParallelGroup& operator=(const DataParallelGroup&) = delete;

  int rank() const { return env_.rank; }
  int world_size() const { return env_.world_size; }
  bool is_main() const { return env_.rank == 0; }

  /// Copies rank 0's parameters and buffers to every rank.
  void broadcast_module(torch::nn::Module& module);
  /// Averages the gradients of `module`'s parameters over the ranks (one flattened
  /// all-reduce).
  void average_gradients(torch::nn::Module& module);
  /// Sums a tensor over the ranks, in place (e.g. a confusion matrix or a loss total).
  void sum(torch::Tensor& tensor);
  /// Waits for every rank.
  void barrier();

 private:
  struct Impl;
  DistributedEnv env_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fashionseg
