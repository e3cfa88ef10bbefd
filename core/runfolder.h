// The run folder shared by lts-search and lts-studio: candidates.jsonl (appended and flushed as
// each candidate is measured), frontier.json, frontier.csv and session.json.
#pragma once

#include "jsonio.h"
#include "search.h"

#include <QFile>
#include <QString>

#include <memory>
#include <string>
#include <vector>

namespace lts {

inline constexpr const char* kCandidatesFile = "candidates.jsonl";
inline constexpr const char* kFrontierJsonFile = "frontier.json";
inline constexpr const char* kFrontierCsvFile = "frontier.csv";
inline constexpr const char* kSessionFile = "session.json";

struct RunInfo {
    SearchConfig config;
    std::string startedAt; // ISO 8601
    double elapsedS = 0;
    int iterationsDone = 0;
    std::vector<double> hvReference;
    double hypervolume = 0;
    bool finished = false;
    bool cancelled = false;
};

struct LoadedRun {
    RunInfo info;
    std::vector<Candidate> candidates;
    std::vector<std::string> warnings; // e.g. a truncated last line skipped
};

// Reads a run folder. Throws InputError when session.json is missing or invalid; a damaged
// candidates line is skipped with a warning.
LoadedRun loadRun(const QString& dir);

// Writes a run folder as the search goes. Not thread-safe: call it from the search's thread.
class RunWriter final : public SearchObserver {
public:
    // Creates the folder if needed; throws std::runtime_error naming the path if it cannot be
    // written. With `resume`, keeps the existing candidates file and appends to it.
    RunWriter(const QString& dir, RunInfo info, bool resume);
    void onEvent(const SearchEvent& event) override;
    // Rewrites session.json and the frontier files from the final result.
    void finish(const SearchResult& result);

private:
    void writeSummary(const std::vector<Candidate>& all, const std::vector<std::size_t>& frontier);

    QString m_dir;
    RunInfo m_info;
    QFile m_candidates;
    std::vector<Candidate> m_all;
};

QByteArray frontierCsv(const std::vector<Candidate>& all, const std::vector<std::size_t>& rows);

} // namespace lts
