// On-device measurement of a candidate's latency and peak memory with LibTorch. The interface
// speaks plain value types; LibTorch stays inside profiler.cpp and models.cpp.
#pragma once

#include "archconfig.h"
#include "measurement.h"
#include "measurer.h"
#include "partcosts.h"
#include "runtime.h"

#include <atomic>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace lts {

// Measures with LibTorch: builds the model (uninitialised weights), runs warm-up and timed
// forward passes in inference mode on the protocol's device, and tracks the allocator's
// high-water mark. Its estimate is a PartCostTable whose parts it times on the device.
// Thread binding and the allocator's counters are process-wide, so a process measures on one
// thread at a time: one TorchMeasurer in use per process, called from one thread.
class TorchMeasurer final : public Measurer {
public:
    // Throws InputError when the protocol is invalid or its device does not exist here.
    explicit TorchMeasurer(MeasureProtocol protocol);
    Measurement measure(const ArchConfig& arch, const std::atomic<bool>& cancel) override;
    // Two timed passes more than the protocol's minimum (at least five), on a model built afresh.
    Measurement confirm(const ArchConfig& arch, const std::atomic<bool>& cancel) override;
    MeasureProtocol protocol() const override { return m_protocol; }
    std::optional<Estimate> estimate(const ArchConfig& arch, const std::atomic<bool>& cancel) override;
    int tableParts() const { return m_table.parts(); }
    std::map<std::string, double> estimateTable() const override { return m_table.entries(); }
    void loadEstimateTable(const std::map<std::string, double>& table) override { m_table.load(table); }
    std::string fingerprint() const override;
    // Times one part of the estimate's table on the device (what a remote agent is asked for);
    // nullopt when cancelled.
    std::optional<PartCost> timePart(const PartToTime& part, const std::atomic<bool>& cancel);

private:
    Measurement measureWith(const MeasureProtocol& protocol, const ArchConfig& arch, const std::atomic<bool>& cancel);

    MeasureProtocol m_protocol;
    PartCostTable m_table;
};

// What a shipped model runs: the prompt once (prefill, to the first token's distribution), then
// one token at a time from a cache allocated for the whole context (GPT-2: keys and values for
// prompt + generate positions; Transformer-XL: its segment memory). Greedy: each step feeds back
// the most likely token.
struct GenerationProtocol {
    int prompt = 128; // tokens processed at once
    int generate = 64; // tokens produced: the first by the prefill, the rest one decode step each
    int batch = 1;

    // Throws InputError naming the field and the rule (a GPT-2 has seq_len positions for both).
    void validate(const ArchConfig& arch) const;
};

struct GenerationProfile {
    Measurement::Status status = Measurement::Status::Ok;
    std::string error;
    double prefillMs = 0; // median over the timed runs: time to the first token's distribution
    double prefillIqrMs = 0;
    double decodeMsPerToken = 0; // median over every decode step of every timed run
    double decodeIqrMs = 0;
    double tokensPerS = 0; // batch * 1000 / decodeMsPerToken
    double peakMemoryMb = 0; // high-water mark over prompt and generation: weights, cache, activations
    double weightsMb = 0;
    double cacheMb = 0; // the key/value cache (GPT-2) or the memory (Transformer-XL) at its fullest
    int runs = 0; // timed generations
    int decodeSteps = 0; // timed decode steps, all runs together
};

// Measures the generation profile of `arch` with the device, threads and repeats of `device`
// (warm-up runs first; runs repeat until the prefill's median is known within the tolerance).
// Throws InputError for a protocol that does not fit the architecture.
GenerationProfile measureGeneration(const ArchConfig& arch, const MeasureProtocol& device,
    const GenerationProtocol& generation, const std::atomic<bool>& cancel);

// Model inspection for tests and tools; each builds the LibTorch model of `arch` on the CPU.
struct BuiltModelInfo {
    std::int64_t decoderParams = 0; // parameters of the decoder modules (layers + final norm)
    std::int64_t totalParams = 0; // every distinct parameter (tied ones once)
    std::vector<std::int64_t> outputShape; // of a forward pass on `batch` x `tokens` ids
};
BuiltModelInfo inspectModel(const ArchConfig& arch, int batch, int tokens, bool runForward);

} // namespace lts
