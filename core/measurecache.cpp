#include "measurecache.h"

#include "errors.h"
#include "jsonio.h"
#include "runfolder.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QStandardPaths>

namespace lts {

namespace {

    constexpr qint64 kMaxCacheLineBytes = 1 << 20;
    constexpr qint64 kMaxCacheFileBytes = qint64(512) << 20; // about 700,000 measurements

    QString q(const char* s)
    {
        return QString::fromUtf8(s);
    }

} // namespace

QString defaultMeasurementCacheDir()
{
    const QByteArray env = qgetenv("LTS_CACHE_DIR");
    if (env == "off")
        return {};
    if (!env.isEmpty())
        return QString::fromLocal8Bit(env);
    return QDir(QStandardPaths::writableLocation(QStandardPaths::GenericCacheLocation))
        .filePath(QStringLiteral("lts-studio/measurements"));
}

CachingMeasurer::CachingMeasurer(Measurer& inner, const QString& dir)
    : m_inner(inner)
{
    if (!QDir().mkpath(dir))
        throw std::runtime_error(
            QDir::toNativeSeparators(dir).toStdString() + ": cannot create the measurement cache folder");
    // One file per place and protocol: the name hashes both, the first line spells them out.
    const QJsonObject header { { q("fingerprint"), QString::fromStdString(inner.fingerprint()) },
        { q("protocol"), protocolToJson(inner.protocol()) } };
    const QByteArray headerLine = QJsonDocument(header).toJson(QJsonDocument::Compact) + '\n';
    const QString base =
        QString::fromLatin1(QCryptographicHash::hash(headerLine, QCryptographicHash::Sha1).toHex().left(16));
    m_file.setFileName(QDir(dir).filePath(base + QStringLiteral(".jsonl")));
    m_partsPath = QDir(dir).filePath(base + QStringLiteral(".parts.json"));

    bool cutLine = false; // the last line lacks its newline: a kill cut it
    if (m_file.size() > kMaxCacheFileBytes) {
        m_warning = QDir::toNativeSeparators(m_file.fileName()).toStdString() + " is larger than "
            + std::to_string(kMaxCacheFileBytes >> 20) + " MiB and is not read; delete it to start afresh";
    } else if (m_file.open(QIODevice::ReadOnly)) {
        while (!m_file.atEnd()) {
            QByteArray line = m_file.readLine(kMaxCacheLineBytes + 1);
            cutLine = !line.endsWith('\n');
            line = line.trimmed();
            if (line.isEmpty() || line.startsWith("{\"fingerprint\""))
                continue;
            try {
                const Candidate c = candidateFromJson(parseJsonObject(line, "cache line"));
                if (c.status != Candidate::Status::Ok)
                    throw InputError("status", "only measured architectures are cached");
                keep(c.arch.key(), c.measurement);
            } catch (const InputError&) {
                ++m_skipped; // a line cut by a kill, or not ours: measured again when needed
            }
        }
        m_file.close();
    }
    const bool fresh = !m_file.exists();
    if (!m_file.open(QIODevice::WriteOnly | QIODevice::Append)) {
        m_warning = QDir::toNativeSeparators(m_file.fileName()).toStdString()
            + ": cannot write the measurement cache: " + m_file.errorString().toStdString();
    } else if (fresh) {
        append(headerLine);
    } else if (cutLine) {
        append("\n"); // the next record starts on its own line
    }
    if (QFileInfo::exists(m_partsPath)) {
        std::string note;
        try {
            inner.loadEstimateTable(estimateTableFromFile(m_partsPath, inner.fingerprint(), note));
            m_partsSaved = inner.estimateTable().size();
        } catch (const InputError&) {
            // A damaged table is timed again and rewritten.
        }
    }
}

CachingMeasurer::~CachingMeasurer()
{
    saveEstimateTable();
}

std::optional<Measurement> CachingMeasurer::recall(const ArchConfig& arch, bool confirmed)
{
    const auto& from = confirmed ? m_confirmed : m_known;
    const auto it = from.find(arch.key());
    if (it == from.end())
        return std::nullopt;
    ++m_hits;
    Measurement m = it->second;
    m.fromDeviceCache = true;
    return m;
}

Measurement CachingMeasurer::measure(const ArchConfig& arch, const std::atomic<bool>& cancel)
{
    if (auto m = recall(arch, false))
        return *m;
    saveEstimateTable(); // parts timed for the estimates since the last measurement
    return record(arch, m_inner.measure(arch, cancel));
}

Measurement CachingMeasurer::confirm(const ArchConfig& arch, const std::atomic<bool>& cancel)
{
    if (auto m = recall(arch, true))
        return *m;
    return record(arch, m_inner.confirm(arch, cancel));
}

std::vector<Measurement> CachingMeasurer::confirmTogether(
    const std::vector<ArchConfig>& archs, const std::atomic<bool>& cancel)
{
    std::vector<Measurement> out(archs.size());
    std::vector<ArchConfig> todo;
    std::vector<std::size_t> at;
    for (std::size_t i = 0; i < archs.size(); ++i) {
        if (auto m = recall(archs[i], true)) {
            out[i] = *m;
        } else {
            todo.push_back(archs[i]);
            at.push_back(i);
        }
    }
    if (!todo.empty()) {
        const std::vector<Measurement> taken = m_inner.confirmTogether(todo, cancel);
        for (std::size_t k = 0; k < taken.size(); ++k)
            out[at[k]] = record(todo[k], taken[k]);
    }
    return out;
}

void CachingMeasurer::start(const ArchConfig& arch, bool confirm)
{
    if (!(confirm ? m_confirmed : m_known).count(arch.key()))
        m_inner.start(arch, confirm);
}

// Keeps a good measurement (a later line for the same architecture replaces an earlier one).
Measurement CachingMeasurer::record(const ArchConfig& arch, const Measurement& m)
{
    if (m.status != Measurement::Status::Ok)
        return m; // failures may be passing (memory held by others): tried again next time
    keep(arch.key(), m);
    Candidate c = candidateOf(arch);
    c.measurement = m;
    QJsonObject o = candidateToJson(c);
    o.insert(q("measured_at"), QDateTime::currentDateTimeUtc().toString(Qt::ISODate));
    append(QJsonDocument(o).toJson(QJsonDocument::Compact) + '\n');
    return m;
}

// First measurements and confirmations are kept apart, so that a search that recalls them sees
// what the search that took them saw: the first measurement, then, later, its confirmation.
void CachingMeasurer::keep(const std::string& key, const Measurement& m)
{
    if (!m.confirmed) {
        m_known[key] = m;
        return;
    }
    m_confirmed[key] = m;
    if (!m_known.count(key) && m.hasFirst()) // the first line was lost: its timings are known
        m_known[key] = m.first();
}

void CachingMeasurer::append(const QByteArray& line)
{
    if (!m_file.isOpen())
        return;
    // One write per line: O_APPEND keeps lines whole when two searches share the file.
    if (m_file.write(line) != line.size() || !m_file.flush()) {
        m_warning = QDir::toNativeSeparators(m_file.fileName()).toStdString()
            + ": cannot write the measurement cache: " + m_file.errorString().toStdString();
        m_file.close();
    }
}

void CachingMeasurer::saveEstimateTable()
{
    const std::map<std::string, double> table = m_inner.estimateTable();
    if (table.size() <= m_partsSaved)
        return;
    try {
        writeFileAtomically(m_partsPath, estimateTableJson(m_inner.fingerprint(), table));
        m_partsSaved = table.size();
    } catch (const std::runtime_error& e) {
        m_warning = e.what();
    }
}

} // namespace lts
