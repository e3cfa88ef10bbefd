#include "choices.h"

#include "errors.h"

#include <QRegularExpression>

namespace studio {

namespace {

    constexpr int kMaxChoices = 100000; // a longer list is a typo, and would make sampling crawl

    int toInt(const QString& part, const char* field)
    {
        bool ok = false;
        const int v = part.trimmed().toInt(&ok);
        if (!ok)
            throw lts::InputError(field, "\"" + part.trimmed().toStdString() + "\" is not a whole number");
        return v;
    }

} // namespace

std::vector<int> parseChoices(const QString& text, const char* field)
{
    const QString t = text.trimmed();
    if (t.isEmpty())
        throw lts::InputError(field, "needs at least one choice");
    std::vector<int> out;
    if (t.contains(QLatin1Char(':'))) {
        const QStringList parts = t.split(QLatin1Char(':'));
        if (parts.size() != 3)
            throw lts::InputError(field, "a range is written min:max:step, e.g. 128:960:64");
        const int lo = toInt(parts[0], field), hi = toInt(parts[1], field), step = toInt(parts[2], field);
        if (step < 1)
            throw lts::InputError(field, "the step of a range must be at least 1");
        if (hi < lo)
            throw lts::InputError(field, "the range's max is below its min");
        if (static_cast<long long>(hi - lo) / step >= kMaxChoices)
            throw lts::InputError(field, "has too many choices");
        for (long long v = lo; v <= hi; v += step)
            out.push_back(int(v));
        return out;
    }
    static const QRegularExpression separators(QStringLiteral("[,;\\s]+"));
    for (const QString& part : t.split(separators, Qt::SkipEmptyParts)) {
        out.push_back(toInt(part, field));
        if (int(out.size()) > kMaxChoices)
            throw lts::InputError(field, "has too many choices");
    }
    return out;
}

QString formatChoices(const std::vector<int>& values)
{
    if (values.size() >= 3) {
        const int step = values[1] - values[0];
        bool arithmetic = step > 0;
        for (std::size_t i = 1; arithmetic && i < values.size(); ++i)
            arithmetic = values[i] - values[i - 1] == step;
        if (arithmetic)
            return QStringLiteral("%1:%2:%3").arg(values.front()).arg(values.back()).arg(step);
    }
    QStringList parts;
    for (int v : values)
        parts << QString::number(v);
    return parts.join(QStringLiteral(", "));
}

} // namespace studio
