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
// forward passes (or generations: the protocol's workload) in inference mode on the protocol's
// device, and tracks the allocator's high-water mark. Its estimate is a PartCostTable whose parts it times on the
// device. Thread binding and the allocator's counters are process-wide, so a process measures on one thread at a time:
// one TorchMeasurer in use per process, called from one thread.
class TorchMeasurer final : public Measurer {
public:
    // Throws InputError when the protocol is invalid or its device does not exist here.
    explicit TorchMeasurer(MeasureProtocol protocol);
    Measurement measure(const ArchConfig& arch, const std::atomic<bool>& cancel) override;
    // On a model built afresh: scoring as confirmTogether does for one model; a generation with
    // two timed runs more than the protocol's minimum (at least five).
    Measurement confirm(const ArchConfig& arch, const std::atomic<bool>& cancel) override;
    // The scoring workload's confirmations in interleaved rounds: every model built and warmed
    // up (as many at once as half the available memory holds), then rounds that each time every
    // model whose median is not yet known within the tolerance once, in a shuffled order (each
    // model at least the protocol's minimum of passes, at most its repeats); a round in which
    // another process held the CPU is taken again. Generation is confirmed one model after another.
    std::vector<Measurement> confirmTogether(
        const std::vector<ArchConfig>& archs, const std::atomic<bool>& cancel) override;
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
    MeasureProtocol m_protocol;
    PartCostTable m_table;
};

// Measures the Generate workload of `arch` (whatever `protocol.workload` says) with the
// protocol's device, threads and repeats: warm-up runs first; timed runs repeat until the medians
// of the prefill and of each run's decode steps are known within the tolerance, and again
// (at most twice) when they could not be or another process held the CPU. Throws InputError for
// a protocol that does not fit the architecture.
Measurement measureGeneration(const ArchConfig& arch, const MeasureProtocol& protocol, const std::atomic<bool>& cancel);

// Whether a measuring process keeps its heap between candidates (the default), so that a new
// model reuses pages already faulted in. Takes effect when the first TorchMeasurer is made; the
// measurement-cost benchmark turns it off to compare.
void keepHeapBetweenMeasurements(bool keep);
// Bytes free inside the process's heap, in MB: memory a kept heap holds for the next candidate.
double heapFreeMb();

// Model inspection for tests and tools; each builds the LibTorch model of `arch` on the CPU.
struct BuiltModelInfo {
    std::int64_t decoderParams = 0; // parameters of the decoder modules (layers + final norm)
    std::int64_t totalParams = 0; // every distinct parameter (tied ones once)
    std::vector<std::int64_t> outputShape; // of a forward pass on `batch` x `tokens` ids
};
BuiltModelInfo inspectModel(const ArchConfig& arch, int batch, int tokens, bool runForward);

} // namespace lts
