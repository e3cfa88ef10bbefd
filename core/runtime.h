// What this process runs on: library versions, the BLAS and its threads, the devices. Thread
// binding is process-wide (LibTorch's intra-op pool and OpenBLAS's own pool), which is why a
// process measures on one thread at a time.
#pragma once

#include "measurement.h"

#include <string>
#include <vector>

namespace lts {

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
// Empty unless OpenBLAS runs kernels without AVX (it did not recognise this CPU, as on some
// virtual machines) on a CPU that has AVX2: then a note saying so, since every latency is that of
// the slower code path, and how a deployment would choose the faster one.
std::string blasKernelNote();

// A compute device as configurations name it: "cpu", "cuda" or "cuda:N".
struct ComputeDevice {
    bool cuda = false;
    int index = 0;
};
// Throws InputError("device", ...) when `device` is none of those names.
ComputeDevice parseComputeDevice(const std::string& device);
// Throws InputError("device", ...) unless this process can compute on `d` (a CUDA device needs a
// LibTorch built with CUDA and the device present).
void requireComputeDevice(const ComputeDevice& d);

// Empty when `p` can run on a device of `d`'s kind at all: fp16 on CUDA only, int8 on CPUs only;
// otherwise why not.
std::string precisionDeviceRule(const ComputeDevice& d, Precision p);
// Empty when this process can run models in `p` on `d`; otherwise why not, for the user. bf16 on a
// CPU needs AVX-512 BF16 or AMX and a LibTorch with oneDNN (else its bf16 products run on slow
// generic loops); int8 needs a quantised engine (FBGEMM, oneDNN, or QNNPACK on ARM).
std::string precisionUnsupported(const ComputeDevice& d, Precision p);
// Throws InputError("precision", ...) with that reason.
void requirePrecision(const ComputeDevice& d, Precision p);
// Selects the quantised engine int8 runs on (the fastest this LibTorch has) and names it
// ("FBGEMM", "oneDNN", "QNNPACK"); empty when there is none.
std::string selectInt8Engine();

// How `threads` CPU threads are shared between LibTorch's intra-op pool and OpenBLAS's own pool
// (0 when the BLAS has none): one of them owns the cores, the other runs on one thread.
struct ThreadBinding {
    int intraOp = 1;
    int blas = 0;
};
ThreadBinding threadBinding(int threads);
// "threads 2 (OpenBLAS 2, LibTorch intra-op 1)": the binding as fingerprints and reports name it.
std::string threadBindingText(int threads);
// Binds every CPU compute thread of this process as threadBinding() says.
void setComputeThreads(int threads);

// MemAvailable of /proc/meminfo in MB; 0 when unknown.
double availableMemoryMb();

} // namespace lts
