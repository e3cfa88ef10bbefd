#include "exporter.h"

#include "errors.h"
#include "jsonio.h"
#include "runfolder.h"

#include <QDir>
#include <QJsonDocument>

#include <numeric>

namespace studio {

namespace {

    bool write(const QString& path, const QByteArray& bytes, ExportReport& report)
    {
        try {
            lts::writeFileAtomically(path, bytes);
            report.written << path;
            return true;
        } catch (const std::exception& e) {
            report.problems << QString::fromStdString(e.what());
            return false;
        }
    }

} // namespace

QString exportProblem(const lts::Candidate& c, ExportFormat format)
{
    if (format != ExportFormat::HuggingFace)
        return {};
    try {
        lts::archToHuggingFace(c.arch);
    } catch (const lts::InputError& e) {
        return QStringLiteral("#%1 has no Hugging Face config: %2").arg(c.id).arg(QString::fromStdString(e.what()));
    }
    return {};
}

QByteArray archJsonText(const lts::Candidate& c)
{
    return QJsonDocument(lts::archToJson(c.arch)).toJson();
}

ExportReport exportCandidates(const std::vector<lts::Candidate>& candidates, ExportFormat format, const QString& target)
{
    ExportReport report;
    if (candidates.empty()) {
        report.problems << QStringLiteral("nothing to export: select architectures or run a search first");
        return report;
    }
    if (format == ExportFormat::Csv) {
        std::vector<std::size_t> rows(candidates.size());
        std::iota(rows.begin(), rows.end(), std::size_t(0));
        write(target, lts::frontierCsv(candidates, rows), report);
        return report;
    }
    const bool single = candidates.size() == 1;
    if (!single && !QDir().mkpath(target)) {
        report.problems << QStringLiteral("%1: cannot create the folder").arg(QDir::toNativeSeparators(target));
        return report;
    }
    for (const lts::Candidate& c : candidates) {
        if (format == ExportFormat::ArchJson) {
            const QString path = single ? target : QDir(target).filePath(QStringLiteral("arch-%1.json").arg(c.id));
            write(path, archJsonText(c), report);
            continue;
        }
        if (const QString problem = exportProblem(c, format); !problem.isEmpty()) {
            report.problems << problem;
            continue;
        }
        const QJsonObject hf = lts::archToHuggingFace(c.arch);
        QString path = target;
        if (!single) {
            const QString dir = QDir(target).filePath(QStringLiteral("gpt2-%1").arg(c.id));
            if (!QDir().mkpath(dir)) {
                report.problems << QStringLiteral("%1: cannot create the folder").arg(QDir::toNativeSeparators(dir));
                continue;
            }
            path = QDir(dir).filePath(QStringLiteral("config.json"));
        }
        write(path, QJsonDocument(hf).toJson(), report);
    }
    return report;
}

} // namespace studio
