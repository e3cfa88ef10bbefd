// One evaluated candidate of a search: architecture, proxy, measurements and where it came from.
#pragma once

#include "archconfig.h"
#include "measurement.h"

#include <cstdint>
#include <string>
#include <vector>

namespace lts {

// Latency is the Score workload's forward pass; Prefill and Decode (per token) are the Generate
// workload's, which a search on them measures (MeasureProtocol::workload). Memory is the peak of
// whichever workload is measured.
enum class Objective { DecoderParams, Latency, Memory, Prefill, Decode };
// The value of a cost objective (not DecoderParams) in a measurement.
double objectiveValue(const Measurement& m, Objective o);
// The workload a search on `objectives` measures: Generate when they name prefill or decode.
Workload workloadOf(const std::vector<Objective>& objectives);

struct Candidate {
    // Estimated: screened out by the estimates (it could not have entered the frontier), so
    // never measured in full; its latency_ms and peak_memory_mb are the calibrated estimates.
    enum class Status { Ok, Failed, OverCeiling, Estimated };
    int id = 0;
    ArchConfig arch;
    std::int64_t decoderParams = 0;
    std::int64_t totalParams = 0;
    Measurement measurement;
    Status status = Status::Ok;
    int iteration = 0;
    double elapsedS = 0; // seconds since the search started when the measurement ended
    // The measurer's raw (uncalibrated) estimates when the search estimated it; 0: none.
    double latencyEstimateMs = 0;
    double memoryEstimateMb = 0;
    bool onFrontier = false;
    // Screening dropped it, and it was measured anyway to audit the screening (ScreeningPolicy).
    bool audit = false;

    // The candidate's objectives in minimisation form (decoder params negated).
    std::vector<double> point(const std::vector<Objective>& objectives) const;
};

// A candidate of `arch` with its parameter counts, not measured yet.
Candidate candidateOf(const ArchConfig& arch);

std::string candidateStatusName(Candidate::Status s);
std::string objectiveName(Objective o);
// Parses "params,latency[,memory]", "params,decode[,prefill][,memory]"…; throws InputError naming
// `field`. Latency (scoring) does not go with prefill or decode (generation): they are two workloads.
std::vector<Objective> parseObjectives(const std::string& list, const std::string& field = "objectives");
std::string objectivesString(const std::vector<Objective>& objectives);

// Indices of the candidates on the frontier: status Ok and non-dominated on `objectives`.
std::vector<std::size_t> frontierOf(const std::vector<Candidate>& all, const std::vector<Objective>& objectives);

} // namespace lts
