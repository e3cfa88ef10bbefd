// Brief language-model training with LibTorch, to check on the user's own text how well decoder
// parameters rank architectures. The interface speaks plain value types; LibTorch stays inside
// trainer.cpp.
#pragma once

#include "archconfig.h"
#include "corpus.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace lts {

// How every architecture of an audit is trained: the same data order, schedule and budget.
struct TrainConfig {
    std::int64_t tokens = 262144; // training tokens per architecture (batch * context per step)
    double seconds = 0; // when > 0, a time budget per architecture instead of `tokens`
    int batch = 8; // sequences per step
    int context = 0; // tokens per sequence; 0: the architecture's seq_len
    double lr = 1e-3; // AdamW peak learning rate
    double minLrRatio = 0.1; // cosine decay ends at lr * minLrRatio
    double warmupFraction = 0.05; // linear warm-up over this share of the steps (at least one)
    double weightDecay = 0.01; // on matrices only, not on biases, norms or per-head biases
    double clipNorm = 1.0; // global gradient-norm clipping
    int threads = 1; // CPU threads, BLAS included
    std::string device = "cpu"; // cpu, cuda or cuda:N
    std::uint64_t seed = 1; // initialisation and data order
    std::int64_t evalTokens = 65536; // validation tokens scored at the end (at most the part)

    // Throws InputError naming the field and its rule.
    void validate() const;
};

struct TrainProgress {
    int step = 0;
    int steps = 0; // planned steps (known once the first steps are timed under a time budget)
    std::int64_t tokens = 0; // trained so far
    double loss = 0; // training loss of this step, nats per token
    double lr = 0;
    double elapsedS = 0;
    double tokensPerS = 0;
};

struct TrainResult {
    enum class Status { Ok, Failed, Cancelled };
    Status status = Status::Ok;
    std::string error; // why it failed (out of memory, ...)
    ArchConfig trained; // the architecture as trained (embedding and head sized for bytes)
    std::int64_t decoderParams = 0;
    std::int64_t totalParams = 0;
    int steps = 0;
    std::int64_t tokensTrained = 0;
    double trainLoss = 0; // mean over the last tenth of the steps
    double valLoss = 0; // nats per token (per byte) on the validation part
    double valPpl = 0;
    double valBitsPerByte = 0;
    std::int64_t valTokens = 0;
    double trainSeconds = 0; // training steps only
    double tokensPerS = 0; // training throughput
    std::vector<std::pair<int, double>> curve; // (step, training loss), at most ~200 points
};

// The architecture with its embedding and head sized for byte tokens (vocabulary 256, a plain
// tied embedding of width d_model) and the decoder layers exactly as given.
ArchConfig byteLevelArch(const ArchConfig& arch);

// Builds `arch` (byte-level) with GPT-2's or Transformer-XL's initialisation, trains it on the
// corpus with AdamW, warm-up and cosine decay, and evaluates its validation loss. `progress` is
// called after every step from the calling thread. Never throws for a failure of the model
// (out of memory): that is a Failed result. Throws InputError for an invalid config or a corpus
// too short for it.
TrainResult trainAndEvaluate(const ArchConfig& arch, const Corpus& corpus, const TrainConfig& config,
    const std::function<void(const TrainProgress&)>& progress, const std::atomic<bool>& cancel);

std::string trainStatusName(TrainResult::Status s);

} // namespace lts
