// Errors the core reports for bad input: every one names the offending field and the rule.
#pragma once

#include <stdexcept>
#include <string>

namespace lts {

// Invalid user input (an architecture, a search space, a file). `field` is the JSON name of the
// offending value; what() reads "field: rule" so it can be shown on one line.
class InputError final : public std::runtime_error {
public:
    InputError(std::string field, std::string rule)
        : std::runtime_error(field.empty() ? rule : field + ": " + rule)
        , m_field(std::move(field))
        , m_rule(std::move(rule))
    {
    }
    const std::string& field() const { return m_field; }
    // The message without the field, so a caller can name the field its own way.
    const std::string& rule() const { return m_rule; }

private:
    std::string m_field;
    std::string m_rule;
};

} // namespace lts
