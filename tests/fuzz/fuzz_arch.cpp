// Fuzz target: architecture JSON in all three dialects. Bad input must end in InputError; good
// input must survive a round trip through the project's own format unchanged.
#include "errors.h"
#include "jsonio.h"
#include "paramcount.h"

#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    using namespace lts;
    try {
        const ArchConfig a =
            archFromJson(parseJsonObject(QByteArray(reinterpret_cast<const char*>(data), qsizetype(size)), "input"));
        const ParamBreakdown p = countParams(a);
        if (p.decoder() <= 0 || p.total() < p.decoder())
            std::abort();
        if (archFromJson(archToJson(a)) != a)
            std::abort();
        try {
            archToHuggingFace(a);
        } catch (const InputError&) {
        }
    } catch (const InputError&) {
    }
    return 0;
}
