// What a measurement on the target device yields, and how it was taken: plain value types.
#pragma once

#include <string>
#include <vector>

namespace lts {

// How candidates are run on the device. Recorded with every result.
struct MeasureProtocol {
    std::string device = "cpu"; // "cpu", "cuda" or "cuda:N"
    int threads = 1; // CPU compute threads, BLAS included (the paper used 1)
    int batch = 1;
    int seqLen = 0; // tokens per forward pass; 0 = the architecture's seq_len
    int warmup = 1; // the first call pays for allocation; it also measures the peak
    int repeats = 10; // at most this many timed passes
    int minRepeats = 3; // at least this many (when repeats allows)
    double tolerance = 0.02; // stop once the median is known within 2%; 0: always `repeats`

    // Throws InputError naming the field and the rule.
    void validate() const;
};

struct Measurement {
    // Lost: no device is left to measure on (every remote device of a pool is unreachable); the
    // search stops, resumable, without recording the architecture.
    enum class Status { Ok, Failed, Cancelled, Lost };
    Status status = Status::Ok;
    std::string error; // set when Failed or Lost
    double latencyMs = 0; // median of the timed repeats
    double coldMs = 0; // the first pass, which faults its memory in and fills caches (not timed again)
    double latencyIqrMs = 0; // interquartile range of the timed repeats
    double latencyQ1Ms = 0; // its quartiles (0 in files written before they were kept)
    double latencyQ3Ms = 0;
    double latencyMinMs = 0;
    double latencyMaxMs = 0;
    int repeats = 0;
    double peakMemoryMb = 0; // high-water mark of bytes held during one forward pass, weights included
    double weightsMb = 0; // parameters and buffers of the model
    double activationsMb = 0; // peak minus what was held before the forward pass
    double cpuUtilisation = 0; // process CPU time / wall time while timing (CPU only)
    double buildMs = 0; // time to construct the model
    double measureMs = 0; // wall time of the whole measurement, build included
    bool fromDeviceCache = false; // taken from the device's measurement cache, measured by an earlier search
    // Timed again because the spread was too large for the tolerance or the CPU time showed
    // interference (the process did not run for much of the wall time): how many times.
    int retimed = 0;
    // Confirmed: measured again, with more passes, apart in time from the first measurement,
    // whose latency firstLatencyMs keeps. A frontier point's reported latency is a confirmed one.
    bool confirmed = false;
    double firstLatencyMs = 0;
};

std::string statusName(Measurement::Status s);

// The state of one measuring device of a pool, for the user.
enum class DeviceState { Idle, Measuring, Reconnecting, Lost };
std::string deviceStateName(DeviceState s);
struct DeviceStatus {
    std::string url;
    DeviceState state = DeviceState::Idle;
    std::string detail; // why it is reconnecting or lost
};

} // namespace lts
