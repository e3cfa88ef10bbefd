// Text entry of a search-space choice list: "128:960:64" (min:max:step) or "2, 4, 8".
#pragma once

#include <QString>

#include <vector>

namespace studio {

// Throws lts::InputError naming `field` when the text is no list of positive integers or range.
std::vector<int> parseChoices(const QString& text, const char* field);
// The shortest text parseChoices reads back as `values`.
QString formatChoices(const std::vector<int>& values);

} // namespace studio
