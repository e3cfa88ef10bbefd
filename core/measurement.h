// What a measurement on the target device yields, and how it was taken: plain value types.
#pragma once

#include <string>
#include <vector>

namespace lts {

// What is timed. Score: one forward pass over seq_len tokens with log-probabilities at every
// position (what scoring a text costs). Generate: what a shipped model runs: the prompt once
// (prefill, to the first token's distribution), then one token at a time from a cache allocated
// for the whole context up front, as a deployment does (GPT-2: keys and values for prompt +
// generate positions; Transformer-XL: its segment memory). Greedy: each step feeds back the most
// likely token.
enum class Workload { Score, Generate };
std::string workloadName(Workload w);

// The number format the model runs in, as a deployment would run it. Fp32: everything in float.
// Bf16 and Fp16: weights, activations and cache in that format (bf16 on CPUs with AVX-512 BF16 or
// AMX, and on CUDA; fp16 on CUDA only). Int8: dynamic quantisation of every linear layer, as
// PyTorch's quantize_dynamic does it: int8 weights (symmetric, per output channel), activations
// quantised at each call, everything else in float; CPU only.
enum class Precision { Fp32, Bf16, Fp16, Int8 };
std::string precisionName(Precision p); // "fp32", "bf16", "fp16", "int8"
// Throws InputError(field, ...) for any other name.
Precision parsePrecision(const std::string& name, const std::string& field = "precision");

struct ArchConfig;

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
    Workload workload = Workload::Score;
    int prompt = 128; // Generate: tokens processed at once
    int generate = 64; // Generate: tokens produced, the first by the prefill, the rest one decode step each
    Precision precision = Precision::Fp32;

    // Throws InputError naming the field and the rule (among them: fp16 needs a CUDA device and
    // int8 a CPU; whether this machine's CPU or LibTorch can run it is the measurer's check).
    void validate() const;
    // Also that `arch` can run it (a GPT-2 has seq_len positions for prompt and generated tokens).
    void validateFor(const ArchConfig& arch) const;
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
    // High-water mark of bytes held while the workload runs, weights included: one forward pass
    // (Score; peak_memory_mb in files) or prompt and generation (Generate: the cache too;
    // generation_peak_memory_mb in files).
    double peakMemoryMb = 0;
    double weightsMb = 0; // parameters and buffers of the model
    double activationsMb = 0; // peak minus what was held before the forward pass
    double cpuUtilisation = 0; // process CPU time / wall time while timing (CPU only)
    double buildMs = 0; // time to construct the model
    double measureMs = 0; // wall time of the whole measurement, build included
    double timedMs = 0; // the timed passes (or runs) alone: the floor of what the statistics need
    bool fromDeviceCache = false; // taken from the device's measurement cache, measured by an earlier search
    // Timed again because the spread was too large for the tolerance or the CPU time showed
    // interference (the process did not run for much of the wall time): how many times.
    int retimed = 0;
    // Confirmed: measured again, with more passes, apart in time from the first measurement,
    // whose latency firstLatencyMs keeps. A frontier point's reported latency is a confirmed one.
    bool confirmed = false;
    double firstLatencyMs = 0;

    // The Generate workload's profile; latencyMs and its quartiles stay 0 then (no scoring pass).
    bool generation = false;
    double prefillMs = 0; // median over the timed runs: time to the first token's distribution
    double prefillIqrMs = 0;
    double decodeMsPerToken = 0; // median over every decode step of every timed run
    double decodeIqrMs = 0;
    double tokensPerS = 0; // batch * 1000 / decodeMsPerToken
    double cacheMb = 0; // the key/value cache (GPT-2) or the memory (Transformer-XL) at its fullest
    int decodeSteps = 0; // timed decode steps, all runs together (repeats counts the runs)
    double firstPrefillMs = 0; // confirmed: the first measurement's, like firstLatencyMs
    double firstDecodeMsPerToken = 0;

    // Whether a confirmed measurement kept its first one's timings, and that first measurement
    // as the search first saw it (this one with the first timings, not confirmed).
    bool hasFirst() const { return confirmed && (firstLatencyMs > 0 || firstDecodeMsPerToken > 0); }
    Measurement first() const;
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
