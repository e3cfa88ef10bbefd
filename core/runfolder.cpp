#include "runfolder.h"

#include "errors.h"
#include "profiler.h"

#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>

#include <algorithm>
#include <cmath>
#include <optional>
#include <thread>
#include <unordered_map>

namespace lts {

namespace {

    QString q(const char* s)
    {
        return QString::fromLatin1(s);
    }

    // A candidate line is about 1 KB; anything far beyond is not one of ours.
    constexpr qint64 kMaxCandidateLineBytes = 1 << 20;
    constexpr std::size_t kParallelBatchLines = 8192; // lines parsed together, about 5 MB

    QString pathIn(const QString& dir, const char* file)
    {
        return QDir(dir).filePath(q(file));
    }

    // Offset just past the last newline, searching backwards so a large file is not read whole.
    qint64 endOfLastCompleteLine(QFile& f)
    {
        constexpr qint64 kChunk = 64 * 1024;
        for (qint64 pos = f.size(); pos > 0;) {
            const qint64 start = std::max<qint64>(0, pos - kChunk);
            if (!f.seek(start))
                break;
            const qsizetype newline = f.read(pos - start).lastIndexOf('\n');
            if (newline >= 0)
                return start + newline + 1;
            pos = start;
        }
        return 0;
    }

    QJsonObject qualityJson(const EstimateQuality& e)
    {
        return { { q("samples"), e.samples }, { q("within_5pct"), e.within5 }, { q("within_10pct"), e.within10 },
            { q("median_error"), e.medianError }, { q("p90_error"), e.p90Error }, { q("calibration"), e.calibration },
            { q("trusted"), e.trusted }, { q("margin"), e.margin } };
    }

    EstimateQuality qualityFromJson(const QJsonObject& o, int screenedOut)
    {
        EstimateQuality e;
        e.samples = o.value(q("samples")).toInt();
        e.screenedOut = screenedOut;
        e.within5 = o.value(q("within_5pct")).toDouble();
        e.within10 = o.value(q("within_10pct")).toDouble();
        e.medianError = o.value(q("median_error")).toDouble();
        e.p90Error = o.value(q("p90_error")).toDouble();
        e.calibration = o.value(q("calibration")).toDouble(1.0);
        e.trusted = o.value(q("trusted")).toBool();
        e.margin = o.value(q("margin")).toDouble();
        return e;
    }

    QJsonObject sessionJson(const RunInfo& info)
    {
        const RuntimeInfo rt = runtimeInfo();
        QJsonObject runtime { { q("torch"), QString::fromStdString(rt.torchVersion) },
            { q("qt"), QString::fromStdString(rt.qtVersion) }, { q("blas"), QString::fromStdString(rt.blas) },
            { q("cpu"), QString::fromStdString(rt.devices.front().name) }, { q("cores"), rt.devices.front().cores },
            { q("lts_version"), q(LTS_VERSION) } };
        if (!info.deviceIdentity.isEmpty()) { // measured there: its runtime is the one that counts
            runtime = info.deviceIdentity;
            runtime.insert(q("lts_version"), q(LTS_VERSION));
        }
        QJsonArray ref;
        for (double r : info.hvReference)
            ref.append(r);
        return { { q("config"), searchConfigToJson(info.config) },
            { q("started_at"), QString::fromStdString(info.startedAt) }, { q("elapsed_s"), info.elapsedS },
            { q("iterations_done"), info.iterationsDone }, { q("hv_reference"), ref },
            { q("hypervolume"), info.hypervolume }, { q("finished"), info.finished },
            { q("cancelled"), info.cancelled }, { q("runtime"), runtime },
            { q("estimates"),
                QJsonObject { { q("screened_out"), info.latencyEstimate.screenedOut },
                    { q("audited"), info.latencyEstimate.audited },
                    { q("false_drops"), info.latencyEstimate.falseDrops },
                    { q("latency"), qualityJson(info.latencyEstimate) },
                    { q("peak_memory"), qualityJson(info.memoryEstimate) } } } };
    }

} // namespace

QByteArray frontierCsv(const std::vector<Candidate>& all, const std::vector<std::size_t>& rows)
{
    auto join = [](const std::vector<int>& v) {
        std::string s;
        for (int x : v)
            s += (s.empty() ? "" : ";") + std::to_string(x);
        return s;
    };
    auto number = [](double v, int decimals) { return QByteArray::number(v, 'f', decimals).toStdString(); };
    // A run measures one workload: a generation's rows hold its profile where a scoring run's
    // hold latency and peak (the names candidates.jsonl uses).
    const bool generation =
        std::any_of(rows.begin(), rows.end(), [&](std::size_t i) { return all[i].measurement.generation; });
    // An estimated (screened-out) candidate was never measured (only scoring runs screen): its
    // measured columns stay empty and its calibrated estimates fill the last two.
    std::string out = std::string("id,backbone,decoder_params,total_params,")
        + (generation ? "prefill_ms,prefill_iqr_ms,decode_ms_per_token,decode_iqr_ms,tokens_per_s,"
                        "generation_peak_memory_mb,cache_mb,"
                      : "latency_ms,latency_iqr_ms,peak_memory_mb,")
        + "n_layer,d_model,n_head,d_inner,status,iteration,elapsed_s,confirmed,latency_estimate_ms,"
          "peak_memory_estimate_mb\n";
    for (std::size_t i : rows) {
        const Candidate& c = all[i];
        const Measurement& m = c.measurement;
        const bool estimated = c.status == Candidate::Status::Estimated;
        const std::string measured = generation ? number(m.prefillMs, 4) + ',' + number(m.prefillIqrMs, 4) + ','
                + number(m.decodeMsPerToken, 4) + ',' + number(m.decodeIqrMs, 4) + ',' + number(m.tokensPerS, 2) + ','
                + number(m.peakMemoryMb, 3) + ',' + number(m.cacheMb, 3)
            : estimated ? std::string(",,")
                        : number(m.latencyMs, 4) + ',' + number(m.latencyIqrMs, 4) + ',' + number(m.peakMemoryMb, 3);
        const std::string estimates = !estimated
            ? std::string(",")
            : number(m.latencyMs, 4) + ',' + (m.peakMemoryMb > 0 ? number(m.peakMemoryMb, 3) : std::string());
        out += std::to_string(c.id) + ',' + backboneName(c.arch.backbone) + ',' + std::to_string(c.decoderParams) + ','
            + std::to_string(c.totalParams) + ',' + measured + ',' + std::to_string(c.arch.nLayer) + ','
            + std::to_string(c.arch.dModel) + ',' + join(c.arch.nHead) + ',' + join(c.arch.dInner) + ','
            + candidateStatusName(c.status) + ',' + std::to_string(c.iteration) + ',' + number(c.elapsedS, 3) + ','
            + (m.confirmed ? "yes" : "no") + ',' + estimates + '\n';
    }
    return QByteArray::fromStdString(out);
}

LoadedRun loadRun(const QString& dir)
{
    if (!QFileInfo(dir).isDir())
        throw InputError(QDir::toNativeSeparators(dir).toStdString(), "is not a folder");
    LoadedRun run;
    const QJsonObject session = readJsonFile(pathIn(dir, kSessionFile));
    if (!session.value(q("config")).isObject())
        throw InputError("session.json: config", "is required");
    try {
        run.info.config = searchConfigFromJson(session.value(q("config")).toObject());
    } catch (const InputError& e) {
        throw InputError("session.json: config." + e.field(), std::string(e.what()).substr(e.field().size() + 2));
    }
    run.info.startedAt = session.value(q("started_at")).toString().toStdString();
    run.info.elapsedS = std::max(0.0, session.value(q("elapsed_s")).toDouble());
    run.info.iterationsDone = session.value(q("iterations_done")).toInt();
    for (const auto& v : session.value(q("hv_reference")).toArray())
        run.info.hvReference.push_back(v.toDouble());
    run.info.hypervolume = session.value(q("hypervolume")).toDouble();
    run.info.finished = session.value(q("finished")).toBool();
    run.info.cancelled = session.value(q("cancelled")).toBool();
    const QJsonObject estimates = session.value(q("estimates")).toObject();
    const int screenedOut = estimates.value(q("screened_out")).toInt();
    run.info.latencyEstimate = qualityFromJson(estimates.value(q("latency")).toObject(), screenedOut);
    run.info.memoryEstimate = qualityFromJson(estimates.value(q("peak_memory")).toObject(), screenedOut);
    for (EstimateQuality* e : { &run.info.latencyEstimate, &run.info.memoryEstimate }) {
        e->audited = estimates.value(q("audited")).toInt();
        e->falseDrops = estimates.value(q("false_drops")).toInt();
    }

    QFile f(pathIn(dir, kCandidatesFile));
    if (!f.exists())
        return run;
    if (!f.open(QIODevice::ReadOnly))
        throw InputError(kCandidatesFile, "cannot be read: " + f.errorString().toStdString());
    std::unordered_map<std::string, std::size_t> keys; // architecture -> index in run.candidates
    auto warn = [&](int lineNo, const std::string& what) {
        run.warnings.push_back("candidates.jsonl line " + std::to_string(lineNo) + " skipped: " + what);
    };
    // Batches of bounded lines, so a huge or hostile file never has to fit in memory; each batch
    // is parsed on every core (opening a 100,000-candidate run is mostly JSON parsing).
    struct Line {
        int number = 0;
        QByteArray text;
        bool complete = true;
        std::optional<Candidate> candidate;
        std::string error;
    };
    const unsigned workers = std::max(1u, std::thread::hardware_concurrency());
    std::vector<Line> batch;
    auto flush = [&] {
        auto parse = [&batch, workers](unsigned part) {
            for (std::size_t i = part; i < batch.size(); i += workers) {
                try {
                    batch[i].candidate = candidateFromJson(parseJsonObject(batch[i].text, "candidate"));
                } catch (const InputError& e) {
                    batch[i].error = e.what();
                }
            }
        };
        std::vector<std::thread> threads;
        for (unsigned part = 1; part < workers && batch.size() > kParallelBatchLines / 8; ++part)
            threads.emplace_back(parse, part);
        parse(0);
        if (threads.empty())
            for (unsigned part = 1; part < workers; ++part)
                parse(part);
        for (auto& t : threads)
            t.join();
        for (Line& l : batch) {
            if (!l.candidate) {
                warn(l.number, std::string(l.complete ? "" : "truncated last line: ") + l.error);
            } else if (const auto [at, added] = keys.try_emplace(l.candidate->arch.key(), run.candidates.size());
                       added) {
                run.candidates.push_back(std::move(*l.candidate));
            } else if (Candidate& earlier = run.candidates[at->second];
                       l.candidate->id == earlier.id && l.candidate->measurement.confirmed) {
                earlier = std::move(*l.candidate); // the confirmation of a frontier point replaces its first record
            } else {
                warn(l.number, "architecture already listed");
            }
        }
        batch.clear();
    };
    for (int lineNo = 1; !f.atEnd(); ++lineNo) {
        QByteArray line = f.readLine(kMaxCandidateLineBytes + 1);
        const bool complete = line.endsWith('\n');
        if (!complete && !f.atEnd()) {
            while (!f.atEnd() && !f.readLine(kMaxCandidateLineBytes).endsWith('\n')) { }
            flush(); // keep the warnings in line order
            warn(lineNo, "longer than " + std::to_string(kMaxCandidateLineBytes) + " bytes");
            continue;
        }
        line = line.trimmed();
        if (line.isEmpty())
            continue;
        batch.push_back({ lineNo, std::move(line), complete, std::nullopt, {} });
        if (batch.size() >= kParallelBatchLines)
            flush();
    }
    flush();
    // A killed session never wrote its elapsed time to session.json, but its lines hold it: a
    // resumed run's clock goes on from the latest.
    for (const Candidate& c : run.candidates)
        run.info.elapsedS = std::max(run.info.elapsedS, c.elapsedS);
    return run;
}

RunWriter::RunWriter(const QString& dir, RunInfo info, bool resume)
    : m_dir(dir)
    , m_info(std::move(info))
    , m_candidates(pathIn(dir, kCandidatesFile))
{
    const std::string where = QDir::toNativeSeparators(dir).toStdString();
    if (!QDir().mkpath(dir))
        throw std::runtime_error(where + ": cannot create the output folder");
    if (!resume && m_candidates.exists() && m_candidates.size() > 0)
        throw std::runtime_error(where + " already holds a run; resume it with --resume or choose another folder");
    if (resume && m_candidates.exists()) {
        // Drop a last line cut short by a kill, so the next record starts on its own line.
        if (!m_candidates.open(QIODevice::ReadWrite))
            throw std::runtime_error(
                where + ": cannot open candidates.jsonl: " + m_candidates.errorString().toStdString());
        const qint64 end = endOfLastCompleteLine(m_candidates);
        if (end != m_candidates.size() && !m_candidates.resize(end))
            throw std::runtime_error(where + ": cannot repair candidates.jsonl");
        m_candidates.close();
    }
    if (!m_candidates.open(QIODevice::WriteOnly | QIODevice::Append))
        throw std::runtime_error(
            where + ": cannot write candidates.jsonl: " + m_candidates.errorString().toStdString());
    if (m_info.startedAt.empty())
        m_info.startedAt = QDateTime::currentDateTimeUtc().toString(Qt::ISODate).toStdString();
    writeFileAtomically(pathIn(dir, kSessionFile), QJsonDocument(sessionJson(m_info)).toJson());
}

void RunWriter::onEvent(const SearchEvent& event)
{
    if (event.kind == SearchEvent::Kind::Candidate || event.kind == SearchEvent::Kind::Confirmed) {
        const Candidate& c = event.candidate;
        if (event.kind == SearchEvent::Kind::Candidate) {
            m_index[c.id] = m_all.size();
            m_all.push_back(c);
        } else if (const auto it = m_index.find(c.id); it != m_index.end()) {
            m_all[it->second] = c;
        }
        if (event.fromEarlierRun)
            return;
        // A confirmation is a new line for the same candidate; loadRun keeps the last.
        const QByteArray line = QJsonDocument(candidateToJson(c)).toJson(QJsonDocument::Compact) + '\n';
        if (m_candidates.write(line) != line.size() || !m_candidates.flush())
            throw std::runtime_error(QDir::toNativeSeparators(m_candidates.fileName()).toStdString()
                + ": cannot write: " + m_candidates.errorString().toStdString());
    } else if (event.kind == SearchEvent::Kind::IterationDone) {
        m_info.iterationsDone = event.iteration + 1;
        m_info.hypervolume = event.hypervolume;
        m_info.elapsedS = event.elapsedS;
        m_info.latencyEstimate = event.estimate;
        m_info.memoryEstimate = event.memoryEstimate;
        writeSummary(m_all, frontierOf(m_all, m_info.config.search.objectives));
    }
    writeEstimateTable();
}

void RunWriter::writeEstimateTable()
{
    if (!m_measurer)
        return;
    const std::map<std::string, double> table = m_measurer->estimateTable();
    if (table.size() == m_partsWritten)
        return; // the table only grows
    writeFileAtomically(pathIn(m_dir, kPartsFile), estimateTableJson(m_measurer->fingerprint(), table));
    m_partsWritten = table.size();
}

QByteArray estimateTableJson(const std::string& fingerprint, const std::map<std::string, double>& table)
{
    QJsonObject parts;
    for (const auto& [key, ms] : table)
        parts.insert(QString::fromStdString(key), ms);
    const QJsonObject doc { { q("fingerprint"), QString::fromStdString(fingerprint) }, { q("parts"), parts } };
    return QJsonDocument(doc).toJson(QJsonDocument::Compact);
}

std::map<std::string, double> loadEstimateTable(const QString& dir, const std::string& fingerprint, std::string& note)
{
    return estimateTableFromFile(pathIn(dir, kPartsFile), fingerprint, note);
}

std::map<std::string, double> estimateTableFromFile(
    const QString& path, const std::string& fingerprint, std::string& note)
{
    std::map<std::string, double> table;
    if (!QFileInfo::exists(path)) {
        note = "no part timings kept with the run";
        return table;
    }
    const QJsonObject doc = readJsonFile(path);
    const std::string kept = doc.value(q("fingerprint")).toString().toStdString();
    if (kept != fingerprint) {
        note = "the part timings kept with the run were taken on " + kept + ", not here; they are timed again";
        return table;
    }
    const QJsonObject parts = doc.value(q("parts")).toObject();
    for (auto it = parts.begin(); it != parts.end(); ++it) {
        const double ms = it.value().toDouble(-1);
        if (!(ms > 0) || !std::isfinite(ms))
            throw InputError(QFileInfo(path).fileName().toStdString() + ": parts." + it.key().toStdString(),
                "must be a positive number (milliseconds, or MB for a \"|mb\" entry)");
        table.emplace(it.key().toStdString(), ms);
    }
    note = std::to_string(table.size()) + " part timings taken from the earlier run";
    return table;
}

void RunWriter::finish(const SearchResult& result)
{
    m_info.iterationsDone = result.iterationsDone;
    m_info.hvReference = result.hvReference;
    m_info.hypervolume = result.hypervolume;
    m_info.elapsedS = result.elapsedS;
    m_info.cancelled = result.cancelled;
    m_info.latencyEstimate = result.estimate;
    m_info.memoryEstimate = result.memoryEstimate;
    m_info.finished = true;
    writeSummary(result.candidates, result.frontier);
    writeEstimateTable();
}

void RunWriter::writeSummary(const std::vector<Candidate>& all, const std::vector<std::size_t>& frontier)
{
    std::vector<std::size_t> rows = frontier;
    std::sort(rows.begin(), rows.end(),
        [&](std::size_t a, std::size_t b) { return all[a].decoderParams < all[b].decoderParams; });
    QJsonArray list;
    for (std::size_t i : rows)
        list.append(candidateToJson(all[i]));
    const QJsonObject doc { { q("objectives"),
                                QString::fromStdString(objectivesString(m_info.config.search.objectives)) },
        { q("hypervolume"), m_info.hypervolume }, { q("evaluated"), int(all.size()) }, { q("frontier"), list } };
    writeFileAtomically(pathIn(m_dir, kFrontierJsonFile), QJsonDocument(doc).toJson());
    writeFileAtomically(pathIn(m_dir, kFrontierCsvFile), frontierCsv(all, rows));
    writeFileAtomically(pathIn(m_dir, kSessionFile), QJsonDocument(sessionJson(m_info)).toJson());
}

} // namespace lts
