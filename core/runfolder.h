// The run folder shared by lts-search and lts-studio: candidates.jsonl (appended and flushed as
// each candidate is measured), frontier.json, frontier.csv, session.json and parts.json (the
// part timings the latency estimates were built from).
#pragma once

#include "jsonio.h"
#include "search.h"

#include <QFile>
#include <QString>

#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace lts {

inline constexpr const char* kCandidatesFile = "candidates.jsonl";
inline constexpr const char* kFrontierJsonFile = "frontier.json";
inline constexpr const char* kFrontierCsvFile = "frontier.csv";
inline constexpr const char* kSessionFile = "session.json";
inline constexpr const char* kPartsFile = "parts.json";

struct RunInfo {
    SearchConfig config;
    std::string startedAt; // ISO 8601
    double elapsedS = 0;
    int iterationsDone = 0;
    std::vector<double> hvReference;
    double hypervolume = 0;
    bool finished = false;
    bool cancelled = false;
    EstimateQuality latencyEstimate; // as of the last finished iteration
    EstimateQuality memoryEstimate;
    // What a remote device's agent said of itself; empty when this machine measured.
    QJsonObject deviceIdentity;
};

struct LoadedRun {
    RunInfo info;
    std::vector<Candidate> candidates;
    std::vector<std::string> warnings; // e.g. a truncated last line skipped
};

// Reads a run folder. Throws InputError when session.json is missing or invalid; a damaged
// candidates line is skipped with a warning. A later line for the same candidate holding its
// confirmation replaces the first.
LoadedRun loadRun(const QString& dir);

// The part timings kept in a run folder, when they were taken where `fingerprint` says (the
// measurer's); otherwise, or when there are none, an empty table and the reason in `note`.
// Throws InputError when parts.json exists but is invalid.
std::map<std::string, double> loadEstimateTable(const QString& dir, const std::string& fingerprint, std::string& note);
// The same for one file, and the file's contents for a table taken where `fingerprint` says.
std::map<std::string, double> estimateTableFromFile(
    const QString& path, const std::string& fingerprint, std::string& note);
QByteArray estimateTableJson(const std::string& fingerprint, const std::map<std::string, double>& table);

// Writes a run folder as the search goes. Not thread-safe: call it from the search's thread.
class RunWriter final : public SearchObserver {
public:
    // Creates the folder if needed; throws std::runtime_error naming the path if it cannot be
    // written. With `resume`, keeps the existing candidates file and appends to it.
    RunWriter(const QString& dir, RunInfo info, bool resume);
    void onEvent(const SearchEvent& event) override;
    // Rewrites session.json and the frontier files from the final result.
    void finish(const SearchResult& result);
    // Keeps parts.json current with this measurer's estimate table (read on the search's thread).
    void setMeasurer(const Measurer* measurer) { m_measurer = measurer; }

private:
    void writeSummary(const std::vector<Candidate>& all, const std::vector<std::size_t>& frontier);
    void writeEstimateTable();

    QString m_dir;
    RunInfo m_info;
    QFile m_candidates;
    std::vector<Candidate> m_all;
    std::unordered_map<int, std::size_t> m_index; // candidate id -> index in m_all
    const Measurer* m_measurer = nullptr;
    std::size_t m_partsWritten = 0;
};

QByteArray frontierCsv(const std::vector<Candidate>& all, const std::vector<std::size_t>& rows);

} // namespace lts
