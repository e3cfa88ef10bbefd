// On-device measurement of a candidate's latency and peak memory with LibTorch. The interface
// speaks plain value types; LibTorch stays inside profiler.cpp and model.cpp.
#pragma once

#include "archconfig.h"
#include "measurement.h"

#include <atomic>
#include <memory>
#include <string>
#include <vector>

namespace lts {

// Anything that can measure an architecture on a device. The search calls measure() from its
// worker thread; `cancel` may be set from any thread and is polled between forward passes.
class Measurer {
public:
    virtual ~Measurer() = default;
    virtual Measurement measure(const ArchConfig& arch, const std::atomic<bool>& cancel) = 0;
    virtual MeasureProtocol protocol() const = 0;
};

struct DeviceInfo {
    std::string id;   // "cpu", "cuda:0"
    std::string name; // CPU model or GPU name
    int cores = 0;    // logical CPU cores (CPU only)
    double memoryMb = 0;
};

struct RuntimeInfo {
    std::string torchVersion;
    std::string qtVersion;
    std::string blas;      // e.g. "OpenBLAS 0.3.21 (pthread)" or "reference BLAS"
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
// Not thread-safe: use one TorchMeasurer per worker thread.
class TorchMeasurer final : public Measurer {
public:
    // Throws InputError when the protocol is invalid or its device does not exist here.
    explicit TorchMeasurer(MeasureProtocol protocol);
    Measurement measure(const ArchConfig& arch, const std::atomic<bool>& cancel) override;
    MeasureProtocol protocol() const override { return m_protocol; }

private:
    MeasureProtocol m_protocol;
};

// Model inspection for tests and tools; each builds the LibTorch model of `arch` on the CPU.
struct BuiltModelInfo {
    std::int64_t decoderParams = 0; // parameters of the decoder modules (layers + final norm)
    std::int64_t totalParams = 0;   // every distinct parameter (tied ones once)
    std::vector<std::int64_t> outputShape; // of a forward pass on `batch` x `tokens` ids
};
BuiltModelInfo inspectModel(const ArchConfig& arch, int batch, int tokens, bool runForward);

} // namespace lts
