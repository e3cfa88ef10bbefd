// On-device measurement of a candidate's latency and peak memory with LibTorch. The interface
// speaks plain value types; LibTorch stays inside profiler.cpp and model.cpp.
#pragma once

#include "archconfig.h"
#include "measurement.h"

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace lts {

// Anything that can measure an architecture on a device. The search calls measure() from its
// worker thread; `cancel` may be set from any thread and is polled between forward passes.
class Measurer {
public:
    virtual ~Measurer() = default;
    virtual Measurement measure(const ArchConfig& arch, const std::atomic<bool>& cancel) = 0;
    virtual MeasureProtocol protocol() const = 0;
    // A cheap latency estimate (ms) in the protocol's conditions, when this measurer has one;
    // the search uses it to decide which candidates deserve a full measurement.
    virtual std::optional<double> estimateLatencyMs(const ArchConfig& /*arch*/, const std::atomic<bool>& /*cancel*/)
    {
        return std::nullopt;
    }
    // The timings the estimates are built from (opaque key -> ms), kept with a run so that a
    // resumed run estimates exactly as the original did, and where they are valid: the device,
    // its protocol and the libraries. Empty when this measurer has no estimate.
    virtual std::map<std::string, double> estimateTable() const { return {}; }
    virtual void loadEstimateTable(const std::map<std::string, double>& /*table*/) { }
    virtual std::string fingerprint() const { return {}; }
    // True when measure() would answer at once (from a cache), so estimating is pointless.
    virtual bool hasMeasurement(const ArchConfig& /*arch*/) const { return false; }
};

struct DeviceInfo {
    std::string id; // "cpu", "cuda:0"
    std::string name; // CPU model or GPU name
    int cores = 0; // logical CPU cores (CPU only)
    double memoryMb = 0;
};

struct RuntimeInfo {
    std::string torchVersion;
    std::string qtVersion;
    std::string blas; // e.g. "OpenBLAS 0.3.21 (pthread)" or "reference BLAS"
    bool blasIsReference = false;
    bool cudaAvailable = false;
    std::vector<DeviceInfo> devices;
};

// Library versions, BLAS flavour and devices of this process. Cheap after the first call.
RuntimeInfo runtimeInfo();
// Empty when the BLAS is fine; otherwise a one-line warning for the user.
std::string blasWarning();

// Binds every CPU compute thread of this process: LibTorch's intra-op pool and OpenBLAS's own.
void setComputeThreads(int threads);

// Measures with LibTorch: builds the model (random weights), runs warm-up and timed forward
// passes in inference mode on the protocol's device, and tracks the allocator's high-water mark.
// Its latency estimate sums an on-device table of part latencies (attention per d_model and
// n_head, feed-forward per d_model and d_inner, embedding and head per d_model), each part
// timed the first time a candidate needs it, at grid values of d_model and d_inner (each value up
// to 64, then 128, 256, 512, 1024 and every multiple of 1024) and interpolated between them,
// which keeps the table small whatever the search space.
// Not thread-safe: use one TorchMeasurer per worker thread.
class TorchMeasurer final : public Measurer {
public:
    // Throws InputError when the protocol is invalid or its device does not exist here.
    explicit TorchMeasurer(MeasureProtocol protocol);
    Measurement measure(const ArchConfig& arch, const std::atomic<bool>& cancel) override;
    MeasureProtocol protocol() const override { return m_protocol; }
    std::optional<double> estimateLatencyMs(const ArchConfig& arch, const std::atomic<bool>& cancel) override;
    int tableEntries() const { return int(m_partMs.size()); }
    std::map<std::string, double> estimateTable() const override { return m_partMs; }
    void loadEstimateTable(const std::map<std::string, double>& table) override;
    std::string fingerprint() const override;

private:
    enum class Part { Head, Attention, FeedForward };
    // One part of the architectures sharing `context` (their embedding, head and sequence),
    // timed at d_model `dModel` and `width` (n_head for attention, d_inner for feed-forward).
    std::optional<double> partMs(
        Part part, const ArchConfig& context, int contextId, int dModel, int width, const std::atomic<bool>& cancel);

    MeasureProtocol m_protocol;
    std::map<std::string, double> m_partMs; // what estimateTable() reports
    std::unordered_map<std::string, int> m_contexts;
    std::unordered_map<std::uint64_t, double> m_fastPartMs;
};

// Model inspection for tests and tools; each builds the LibTorch model of `arch` on the CPU.
struct BuiltModelInfo {
    std::int64_t decoderParams = 0; // parameters of the decoder modules (layers + final norm)
    std::int64_t totalParams = 0; // every distinct parameter (tied ones once)
    std::vector<std::int64_t> outputShape; // of a forward pass on `batch` x `tokens` ids
};
BuiltModelInfo inspectModel(const ArchConfig& arch, int batch, int tokens, bool runForward);

} // namespace lts
