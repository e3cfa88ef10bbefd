// A per-device store of full measurements shared by every search on this machine, so that a
// repeated search, a resumed one or a re-run from the GUI never measures an architecture twice.
// Measurements are valid only where they were taken: one file per measurer fingerprint (device,
// threads, batch, tokens, libraries) and timing protocol, appended a line per measurement.
#pragma once

#include "profiler.h"

#include <QFile>
#include <QString>

#include <map>
#include <memory>
#include <string>
#include <unordered_map>

namespace lts {

// The cache folder: $LTS_CACHE_DIR when set ("off" disables the cache: empty result), else
// the user's cache folder (~/.cache/lts-studio/measurements).
QString defaultMeasurementCacheDir();

// A Measurer that answers from the cache and otherwise measures with `inner` and records the
// result. Its estimate table is kept in the cache too. Failures to write the cache are reported
// once by warning() and never stop a search.
class CachingMeasurer final : public Measurer {
public:
    // Reads the cache file of `inner` under `dir` (created when missing). Damaged lines are
    // skipped and counted. Throws std::runtime_error naming the path when `dir` cannot be created.
    CachingMeasurer(Measurer& inner, const QString& dir);
    ~CachingMeasurer() override;

    Measurement measure(const ArchConfig& arch, const std::atomic<bool>& cancel) override;
    // A confirmed measurement from the cache, or the inner measurer's confirmation, recorded.
    Measurement confirm(const ArchConfig& arch, const std::atomic<bool>& cancel) override;
    // Those the cache holds from it, the rest confirmed together by the inner measurer.
    std::vector<Measurement> confirmTogether(
        const std::vector<ArchConfig>& archs, const std::atomic<bool>& cancel) override;
    // What the cache holds is not started: measure() answers it at once.
    void start(const ArchConfig& arch, bool confirm) override;
    void abandon(const ArchConfig& arch, bool confirm) override { m_inner.abandon(arch, confirm); }
    int parallelism() const override { return m_inner.parallelism(); }
    void setStatusListener(StatusListener listener) override { m_inner.setStatusListener(std::move(listener)); }
    MeasureProtocol protocol() const override { return m_inner.protocol(); }
    std::optional<Estimate> estimate(const ArchConfig& arch, const std::atomic<bool>& cancel) override
    {
        return m_inner.estimate(arch, cancel);
    }
    std::map<std::string, double> estimateTable() const override { return m_inner.estimateTable(); }
    void loadEstimateTable(const std::map<std::string, double>& table) override { m_inner.loadEstimateTable(table); }
    std::string fingerprint() const override { return m_inner.fingerprint(); }
    bool hasMeasurement(const ArchConfig& arch) const override { return m_known.count(arch.key()) > 0; }

    QString filePath() const { return m_file.fileName(); }
    int size() const { return int(m_known.size()); }
    int hits() const { return m_hits; }
    int skippedLines() const { return m_skipped; }
    // Empty, or why the cache could not be written (the search goes on without it).
    const std::string& warning() const { return m_warning; }

private:
    Measurement record(const ArchConfig& arch, const Measurement& m);
    std::optional<Measurement> recall(const ArchConfig& arch, bool confirmed);
    void keep(const std::string& key, const Measurement& m);
    void append(const QByteArray& line);
    void saveEstimateTable();

    Measurer& m_inner;
    QFile m_file;
    QString m_partsPath;
    std::unordered_map<std::string, Measurement> m_known; // first measurements
    std::unordered_map<std::string, Measurement> m_confirmed; // their confirmations
    std::size_t m_partsSaved = 0;
    int m_hits = 0;
    int m_skipped = 0;
    std::string m_warning;
};

} // namespace lts
