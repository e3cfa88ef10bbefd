// The estimates behind screening and culling: a table of on-device part costs (embedding and
// head per d_model; attention per d_model and n_head; feed-forward per d_model and d_inner),
// each timed the first time an architecture needs it, with the memory its pass allocates. An
// architecture's latency is the sum over its layers; its peak memory the weights (known from the
// architecture) plus the largest part's activations. Parts are timed at grid values of d_model
// and d_inner (each value up to 64, then 128, 256, 512, 1024 and every multiple of 1024) and
// interpolated between them, which keeps the table small whatever the search space. It holds
// no LibTorch: the measurer times the parts.
#pragma once

#include "archconfig.h"
#include "measurer.h"

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

namespace lts {

enum class LatencyPart { Head, Attention, FeedForward };

// One part to time on the device: `arch` is the context (embedding, head, sequence) with
// d_model set and no layers; `width` is n_head for attention, d_inner for feed-forward.
struct PartToTime {
    LatencyPart part = LatencyPart::Head;
    ArchConfig arch;
    int width = 0;
    int tokens = 0;
};

// What one part costs: its median pass, and the high-water mark of what the pass allocates
// above what was held before it (its activations).
struct PartCost {
    double ms = 0;
    double peakMb = 0;
};

// The grid a width is measured on; returns the grid points around `v` (equal when `v` is one).
std::pair<int, int> latencyGridBracket(int v);

// Not thread-safe: owned by one measurer.
class PartCostTable final {
public:
    // Times a part missing from the table; nullopt when it cannot (cancelled).
    using Timer = std::function<std::optional<PartCost>(const PartToTime&)>;

    // Estimated latency (ms) and peak memory (MB) of `arch` running `batch` x `tokens` tokens:
    // nullopt when `arch` is invalid or a missing part could not be timed.
    std::optional<Estimate> estimate(const ArchConfig& arch, int batch, int tokens, const Timer& timeMissing);

    // Opaque key -> ms or MB, what a run folder keeps in parts.json.
    const std::map<std::string, double>& entries() const { return m_entries; }
    // Adds the finite, positive entries of `table`.
    void load(const std::map<std::string, double>& table);
    // How many parts are timed (each has two entries, its time and its memory).
    int parts() const;

private:
    std::optional<PartCost> part(LatencyPart part, const ArchConfig& context, int contextId, int dModel, int width,
        int tokens, const Timer& timeMissing);

    std::map<std::string, double> m_entries;
    std::unordered_map<std::string, int> m_contexts;
    // Packed (context, part, d_model, width) -> cost: an estimate looks parts up by the hundred.
    std::unordered_map<std::uint64_t, PartCost> m_fast;
};

} // namespace lts
