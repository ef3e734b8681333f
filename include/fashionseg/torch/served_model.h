#pragma once
/// The bridge from a loaded Segmenter to the service: the torch library builds the ServedModel
/// that the torch-free serve library answers with.

#include "fashionseg/serve/serve.h"
#include "fashionseg/torch/segmenter.h"

namespace fashionseg {

/// The model of a loaded Segmenter (which must outlive the returned value).
ServedModel make_served_model(const Segmenter& segmenter);

}  // namespace fashionseg
