#include "searchjob.h"

#include "errors.h"
#include "measurecache.h"
#include "profiler.h"
#include "remote.h"

#include <QDir>
#include <QJsonArray>

#include <stdexcept>

namespace lts {

namespace {

    std::string native(const QString& path)
    {
        return QDir::toNativeSeparators(path).toStdString();
    }

    void note(SearchObserver* observer, const std::string& text, bool warning = false)
    {
        if (!observer)
            return;
        SearchEvent e;
        e.kind = SearchEvent::Kind::Message;
        e.message = text;
        e.warning = warning;
        observer->onEvent(e);
    }

    // Sends each event to the caller's observer, then to the run folder. A write failure (a full
    // disk) stops the search: what was written so far stays valid, and what the caller was shown
    // can still be exported.
    class FolderObserver final : public SearchObserver {
    public:
        FolderObserver(RunWriter& writer, SearchObserver* next)
            : m_writer(writer)
            , m_next(next)
        {
        }
        void onEvent(const SearchEvent& e) override
        {
            if (m_next)
                m_next->onEvent(e);
            try {
                m_writer.onEvent(e);
            } catch (const std::exception& ex) {
                throw std::runtime_error(
                    "the run folder can no longer be written (" + std::string(ex.what()) + "); the search stopped");
            }
        }

    private:
        RunWriter& m_writer;
        SearchObserver* m_next;
    };

} // namespace

MeasurerFactory torchMeasurerFactory()
{
    return [](const MeasureProtocol& p) { return std::make_unique<TorchMeasurer>(p); };
}

MeasurerFactory deviceMeasurerFactory(const SearchConfig& config)
{
    if (config.remoteDevices.empty())
        return torchMeasurerFactory();
    std::vector<DeviceSpec> specs;
    for (const auto& url : config.remoteDevices)
        specs.push_back(DeviceSpec::parse(url, "device"));
    RemoteOptions options;
    options.remoteProgram = config.remoteProgram;
    return [specs, options](const MeasureProtocol& p) { return std::make_unique<RemoteMeasurer>(specs, p, options); };
}

void alignWorkload(SearchConfig& config)
{
    MeasureProtocol& p = config.protocol;
    p.workload = workloadOf(config.search.objectives);
    if (p.workload != Workload::Generate)
        return;
    if (config.space.latencyCeilingMs > 0)
        throw InputError("latency_ceiling_ms",
            "bounds a scoring pass, which a search on " + objectivesString(config.search.objectives)
                + " does not measure; set it to 0 (a memory ceiling bounds the generation's peak)");
    if (config.space.backbone == Backbone::Gpt2 && p.prompt + p.generate > config.space.seqLen)
        throw InputError("device.prompt",
            "prompt (" + std::to_string(p.prompt) + ") + new tokens (" + std::to_string(p.generate)
                + ") exceed the space's seq_len of " + std::to_string(config.space.seqLen) + " positions");
}

SearchJob::SearchJob(SearchJobParams params)
    : m_params(std::move(params))
{
}

SearchJobResult SearchJob::run(SearchObserver* observer)
{
    SearchJobResult out;
    RunInfo& info = out.info;
    std::vector<Candidate> known;
    if (m_params.resume) {
        LoadedRun loaded = loadRun(m_params.folder);
        for (const auto& w : loaded.warnings)
            note(observer, w, true);
        info = loaded.info;
        info.finished = info.cancelled = false;
        known = std::move(loaded.candidates);
    } else {
        info.config = m_params.config;
    }
    SearchParams& p = info.config.search;
    if (m_params.iterations)
        p.iterations = *m_params.iterations;
    if (m_params.timeBudgetS)
        p.timeBudgetS = *m_params.timeBudgetS;
    p.validate();
    info.config.space.validate();
    if (m_params.remoteDevices) { // a resumed run's devices may have moved, not changed kind
        for (const auto& url : *m_params.remoteDevices)
            if (DeviceSpec::parse(url, "--device").device != info.config.protocol.device)
                throw InputError("--device",
                    url + " measures on another kind of device than the run did (" + info.config.protocol.device + ")");
        info.config.remoteDevices = *m_params.remoteDevices;
    }
    if (m_params.remoteProgram)
        info.config.remoteProgram = *m_params.remoteProgram;
    alignWorkload(info.config);

    const MeasurerFactory factory = m_params.makeMeasurer ? m_params.makeMeasurer : deviceMeasurerFactory(info.config);
    if (!info.config.remoteDevices.empty())
        note(observer, "connecting to " + std::to_string(info.config.remoteDevices.size()) + " remote device(s)");
    const std::unique_ptr<Measurer> device = factory(info.config.protocol);
    if (const auto* remote = dynamic_cast<const RemoteMeasurer*>(device.get())) {
        info.deviceIdentity = remote->identity();
        QJsonArray urls;
        for (const auto& url : info.config.remoteDevices)
            urls.append(QString::fromStdString(url));
        info.deviceIdentity.insert(QStringLiteral("measured_on"), urls);
        note(observer,
            "measuring on " + remote->identity().value(QStringLiteral("cpu")).toString().toStdString() + " ("
                + remote->identity().value(QStringLiteral("host")).toString().toStdString() + "), "
                + std::to_string(remote->parallelism()) + " device(s) in parallel");
    }
    device->setStatusListener([observer](const std::vector<DeviceStatus>& devices) {
        if (!observer)
            return;
        SearchEvent e;
        e.kind = SearchEvent::Kind::Devices;
        e.devices = devices;
        observer->onEvent(e);
    });
    std::unique_ptr<CachingMeasurer> cache;
    if (!m_params.cacheDir.isEmpty()) {
        try {
            cache = std::make_unique<CachingMeasurer>(*device, m_params.cacheDir);
            note(observer,
                "measurement cache " + native(cache->filePath()) + ": " + std::to_string(cache->size())
                    + " earlier measurements with this protocol");
            if (!cache->warning().empty())
                note(observer, cache->warning(), true);
        } catch (const std::runtime_error& e) {
            note(observer, std::string(e.what()) + "; searching without the measurement cache", true);
        }
    }
    Measurer& measurer = cache ? static_cast<Measurer&>(*cache) : *device;
    if (m_params.resume) {
        std::string why;
        measurer.loadEstimateTable(loadEstimateTable(m_params.folder, measurer.fingerprint(), why));
        note(observer, why);
    }
    SearchEngine engine(info.config.space, p, measurer, &m_control);
    engine.setKnownCandidates(std::move(known), info.elapsedS);
    std::unique_ptr<RunWriter> writer;
    try {
        writer = std::make_unique<RunWriter>(m_params.folder, info, m_params.resume);
    } catch (const std::runtime_error& e) {
        throw InputError(m_params.folderField, e.what());
    }
    writer->setMeasurer(&measurer);
    note(observer,
        algorithmName(p.algorithm) + " search on " + info.config.space.name + " (" + info.config.protocol.device
            + (info.config.remoteDevices.empty() ? std::string()
                                                 : " of " + info.config.remoteDevices.front()
                        + (info.config.remoteDevices.size() > 1
                                ? " and " + std::to_string(info.config.remoteDevices.size() - 1) + " more"
                                : ""))
            + "), " + std::to_string(info.config.protocol.threads) + " thread(s), seed " + std::to_string(p.seed)
            + ", objectives " + objectivesString(p.objectives) + " -> " + native(m_params.folder));

    FolderObserver folder(*writer, observer);
    out.search = engine.run(&folder);
    try {
        writer->finish(out.search);
    } catch (const std::exception& e) {
        throw std::runtime_error("the run's summary files could not be written: " + std::string(e.what()));
    }
    if (cache) {
        out.cacheHits = cache->hits();
        note(observer, std::to_string(cache->hits()) + " measurements taken from the device's cache");
        if (!cache->warning().empty())
            note(observer, cache->warning(), true);
    }
    return out;
}

} // namespace lts
