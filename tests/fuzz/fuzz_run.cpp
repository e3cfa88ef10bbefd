// Fuzz target: run folders. The first byte picks which file receives the input (session.json
// or candidates.jsonl, the other one valid); loading must end in a result or an InputError.
#include "errors.h"
#include "runfolder.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QTemporaryDir>

#include <cstdint>
#include <cstdlib>

namespace {

void write(const QString& path, const QByteArray& bytes)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) || f.write(bytes) != bytes.size())
        std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    using namespace lts;
    static QTemporaryDir dir;
    if (size == 0 || !dir.isValid())
        return 0;
    const QByteArray input(reinterpret_cast<const char*>(data + 1), qsizetype(size - 1));
    SearchConfig config;
    config.space = preset("gpt2-lts");
    const QByteArray session =
        QJsonDocument(QJsonObject { { QStringLiteral("config"), searchConfigToJson(config) } }).toJson();
    const bool fuzzSession = data[0] & 1;
    write(QDir(dir.path()).filePath(QStringLiteral("session.json")), fuzzSession ? input : session);
    write(QDir(dir.path()).filePath(QStringLiteral("candidates.jsonl")), fuzzSession ? QByteArray() : input);
    try {
        const LoadedRun run = loadRun(dir.path());
        for (const auto& c : run.candidates)
            if (c.decoderParams <= 0)
                std::abort();
    } catch (const InputError&) {
    }
    return 0;
}
