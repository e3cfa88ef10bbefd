#include "corpus.h"

#include "errors.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

namespace lts {

namespace {

    // Offset of the first byte that breaks UTF-8 (or is NUL, which no text holds), or -1.
    std::int64_t firstNonText(const std::vector<std::uint8_t>& b)
    {
        const std::size_t n = b.size();
        std::size_t i = 0;
        while (i < n) {
            const std::uint8_t c = b[i];
            if (c == 0)
                return std::int64_t(i);
            int more = 0;
            std::uint32_t cp = 0;
            if (c < 0x80) {
                ++i;
                continue;
            }
            if (c >= 0xC2 && c <= 0xDF) {
                more = 1;
                cp = c & 0x1F;
            } else if (c >= 0xE0 && c <= 0xEF) {
                more = 2;
                cp = c & 0x0F;
            } else if (c >= 0xF0 && c <= 0xF4) {
                more = 3;
                cp = c & 0x07;
            } else {
                return std::int64_t(i);
            }
            if (i + std::size_t(more) >= n) // cut off by the end of the file
                return std::int64_t(i);
            for (int k = 1; k <= more; ++k) {
                const std::uint8_t t = b[i + std::size_t(k)];
                if ((t & 0xC0) != 0x80)
                    return std::int64_t(i);
                cp = (cp << 6) | (t & 0x3F);
            }
            // Overlong forms, surrogates and code points past U+10FFFF are not UTF-8.
            if ((more == 2 && cp < 0x800) || (more == 3 && cp < 0x10000) || (cp >= 0xD800 && cp <= 0xDFFF)
                || cp > 0x10FFFF)
                return std::int64_t(i);
            i += std::size_t(more) + 1;
        }
        return -1;
    }

} // namespace

Corpus loadCorpus(const std::string& path, double validFraction, const std::string& field)
{
    if (!(validFraction >= 0.01 && validFraction <= 0.5))
        throw InputError("valid_fraction", "must be between 0.01 and 0.5");
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw InputError(field, "cannot read \"" + path + "\": " + std::strerror(errno));
    std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad())
        throw InputError(field, "cannot read \"" + path + "\": " + std::strerror(errno));
    if (bytes.empty())
        throw InputError(field, "\"" + path + "\" is empty");
    if (const std::int64_t at = firstNonText(bytes); at >= 0)
        throw InputError(field,
            "\"" + path + "\" is not UTF-8 text (byte " + std::to_string(at) + " is "
                + (bytes[std::size_t(at)] == 0 ? "NUL" : "not valid UTF-8") + "); give a plain text file");
    Corpus c;
    c.path = path;
    const auto validBytes = std::size_t(double(bytes.size()) * validFraction);
    const auto split = bytes.size() - validBytes;
    c.train.assign(bytes.begin(), bytes.begin() + std::ptrdiff_t(split));
    c.valid.assign(bytes.begin() + std::ptrdiff_t(split), bytes.end());
    return c;
}

void requireCorpusFits(const Corpus& corpus, int context, int batch, const std::string& field)
{
    const auto window = std::int64_t(context) + 1;
    const std::int64_t needTrain = 8 * std::int64_t(batch) * window;
    if (std::int64_t(corpus.train.size()) < needTrain || std::int64_t(corpus.valid.size()) < window)
        throw InputError(field,
            "\"" + corpus.path + "\" is too short: " + std::to_string(corpus.bytes()) + " bytes; a context of "
                + std::to_string(context) + " tokens and batches of " + std::to_string(batch) + " need at least "
                + std::to_string(needTrain) + " bytes to train on and " + std::to_string(window)
                + " in the validation part");
}

} // namespace lts
