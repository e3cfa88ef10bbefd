// Fuzz target: search configuration JSON (space, "search" and "device" sections). Bad input must
// end in InputError; a valid configuration must survive a round trip.
#include "errors.h"
#include "jsonio.h"

#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    using namespace lts;
    try {
        const SearchConfig c = searchConfigFromJson(
            parseJsonObject(QByteArray(reinterpret_cast<const char*>(data), qsizetype(size)), "input"));
        const SearchConfig back = searchConfigFromJson(searchConfigToJson(c));
        if (back.space.dModel != c.space.dModel || back.space.dInner != c.space.dInner
            || back.space.nLayerMax != c.space.nLayerMax || back.search.seed != c.search.seed
            || back.protocol.threads != c.protocol.threads)
            std::abort();
        if (!(c.space.size() >= 1) || c.space.minDecoderParams() > c.space.maxDecoderParams())
            std::abort();
    } catch (const InputError&) {
    }
    return 0;
}
