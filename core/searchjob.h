// One search job behind both programs: lts-search and lts-studio's worker wrap it, and neither
// assembles its parts. A job takes a parameters struct (configuration, run folder, fresh or
// resumed, measurement cache, measurer factory), runs the search on the calling thread writing
// the run folder as it goes, and reports through an observer.
#pragma once

#include "measurer.h"
#include "runfolder.h"
#include "search.h"
#include "searchconfig.h"

#include <QString>

#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace lts {

// Makes the measurer a job measures with, on the job's thread. A remote device or a test's fake
// plugs in here; throws InputError when the protocol cannot be measured.
using MeasurerFactory = std::function<std::unique_ptr<Measurer>(const MeasureProtocol&)>;
// LibTorch on this machine.
MeasurerFactory torchMeasurerFactory();
// The remote devices of `config` (a RemoteMeasurer), or this machine when it names none.
MeasurerFactory deviceMeasurerFactory(const SearchConfig& config);

// Sets the protocol's workload from the objectives (prefill or decode: Generate) and refuses what
// cannot be measured under it: a latency ceiling bounds a scoring pass a generation never runs; a
// GPT-2 space needs seq_len positions for prompt + new tokens. Throws InputError naming the field
// as a configuration file does (latency_ceiling_ms, device.prompt).
void alignWorkload(SearchConfig& config);

struct SearchJobParams {
    QString folder; // the run folder to write, or to continue with `resume`
    bool resume = false;
    SearchConfig config; // a fresh run's configuration; a resumed run reads its own from the folder
    // When set, replace the configuration's (of a fresh or a resumed run).
    std::optional<int> iterations;
    std::optional<double> timeBudgetS;
    QString cacheDir; // the device's measurement cache; empty: none
    // When set, measure on these remote devices instead of the configuration's (a resumed run's
    // devices may have moved); an empty list: on this computer.
    std::optional<std::vector<std::string>> remoteDevices;
    std::optional<std::string> remoteProgram;
    // Empty: LibTorch on this machine, or the configuration's remote devices.
    MeasurerFactory makeMeasurer;
    std::string folderField = "folder"; // how errors name the folder ("--out" in the CLI)
};

struct SearchJobResult {
    SearchResult search;
    RunInfo info; // the configuration searched, as session.json records it
    int cacheHits = 0; // measurements the device's cache answered
};

class SearchJob final {
public:
    explicit SearchJob(SearchJobParams params);

    // Runs the whole job on the calling thread: reads the folder to resume, makes the measurer,
    // puts the device's cache in front of it, loads the part table, writes the run folder.
    // Reports notes and warnings as Message events, then the search's events, to `observer` (may
    // be null). Throws InputError for bad input (the configuration, an unreadable or foreign
    // folder), std::runtime_error when the run folder can no longer be written; the files
    // written until then stay valid and resumable.
    SearchJobResult run(SearchObserver* observer);

    // From any thread, before or during run(): they take effect within the current measurement.
    void cancel() { m_control.cancel(); }
    void setPaused(bool paused) { m_control.setPaused(paused); }

private:
    SearchJobParams m_params;
    RunControl m_control;
};

} // namespace lts
