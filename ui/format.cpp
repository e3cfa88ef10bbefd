#include "format.h"

#include <QLocale>

#include <QStringList>

#include <algorithm>
#include <cmath>

namespace studio {

QString millions(std::int64_t n)
{
    return QString::number(double(n) / 1e6, 'f', 2) + QStringLiteral("M");
}

QString countText(double n, const QString& singular, const QString& plural)
{
    const QString noun = n == 1 ? singular : plural.isEmpty() ? singular + QLatin1Char('s') : plural;
    if (n >= 1e12) // beyond words: the power of ten
        return QStringLiteral("%1 %2").arg(QString::number(n, 'g', 3), noun);
    if (n >= 1e9)
        return QStringLiteral("%1 billion %2").arg(QString::number(n / 1e9, 'g', 3), noun);
    if (n >= 1e6)
        return QStringLiteral("%1 million %2").arg(QString::number(n / 1e6, 'g', 3), noun);
    return QStringLiteral("%1 %2").arg(QLocale(QLocale::English).toString(n, 'f', 0), noun);
}

QString clockText(double seconds)
{
    const qint64 s = qint64(seconds < 0 ? 0 : seconds);
    return QString::asprintf("%02lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
}

QString durationText(double seconds)
{
    const qint64 s = qint64(std::llround(std::max(0.0, seconds)));
    if (s < 90)
        return QStringLiteral("about %1 s").arg(s);
    const qint64 minutes = (s + 30) / 60;
    if (minutes < 60)
        return QStringLiteral("about %1 min").arg(minutes);
    if (minutes < 48 * 60)
        return QStringLiteral("about %1 h %2 min").arg(minutes / 60).arg(minutes % 60);
    return QStringLiteral("about %1 days").arg(double(s) / 86400, 0, 'f', 1);
}

QString layersSummary(const std::vector<int>& values)
{
    if (values.empty())
        return {};
    bool same = true;
    for (int v : values)
        same = same && v == values.front();
    if (same)
        return QString::number(values.front());
    QStringList parts;
    for (int v : values)
        parts << QString::number(v);
    return parts.join(QLatin1Char(','));
}

QString statusText(const lts::Candidate& c)
{
    switch (c.status) {
    case lts::Candidate::Status::Ok:
        return QStringLiteral("ok");
    case lts::Candidate::Status::OverCeiling:
        return QStringLiteral("over ceiling");
    case lts::Candidate::Status::Failed:
        return QStringLiteral("failed: ") + QString::fromStdString(c.measurement.error);
    default: // statuses newer than this view, such as a screened "estimated" one
        return QString::fromStdString(lts::candidateStatusName(c.status)).replace(QLatin1Char('_'), QLatin1Char(' '));
    }
}

QString expectedError(const lts::EstimateQuality& q)
{
    if (q.samples == 0)
        return QStringLiteral("not checked against full measurements yet");
    return QStringLiteral("90% of %1 checks within ±%2%").arg(q.samples).arg(100 * q.p90Error, 0, 'f', 1);
}

QStringList estimateLines(const lts::Candidate& c, const RunLayer& layer)
{
    QStringList lines;
    const lts::Measurement& m = c.measurement;
    if (m.latencyMs > 0)
        lines << QStringLiteral("Latency ≈ %1 ms, estimated").arg(m.latencyMs, 0, 'f', 1)
              << QStringLiteral("    (%1)").arg(expectedError(layer.latencyEstimate));
    else
        lines << QStringLiteral("Latency not estimated");
    if (m.peakMemoryMb > 0)
        lines << QStringLiteral("Peak memory ≈ %1 MB, estimated").arg(m.peakMemoryMb, 0, 'f', 1)
              << QStringLiteral("    (%1)").arg(expectedError(layer.memoryEstimate));
    else
        lines << QStringLiteral("Peak memory not estimated");
    return lines;
}

QString candidateTooltip(const lts::Candidate& c, const RunLayer& layer)
{
    QString layers;
    for (int i = 0; i < c.arch.nLayer && i < int(c.arch.nHead.size()) && i < int(c.arch.dInner.size()); ++i)
        layers += QStringLiteral("<tr><td>%1</td><td align=right>%2</td><td align=right>%3</td></tr>")
                      .arg(i)
                      .arg(c.arch.nHead[std::size_t(i)])
                      .arg(c.arch.dInner[std::size_t(i)]);
    QString text = QStringLiteral("<b>#%1</b> %2 · %3, iteration %4<br>")
                       .arg(c.id)
                       .arg(layer.name.toHtmlEscaped(), QString::fromStdString(lts::backboneName(c.arch.backbone)),
                           QString::number(c.iteration));
    text += QStringLiteral("n_layer %1, d_model %2<br>").arg(c.arch.nLayer).arg(c.arch.dModel);
    text += QStringLiteral("decoder %1 · total %2<br>").arg(millions(c.decoderParams), millions(c.totalParams));
    if (c.status == lts::Candidate::Status::Failed) {
        text += QStringLiteral("<span style='color:#d62728'>%1</span><br>").arg(statusText(c).toHtmlEscaped());
    } else if (c.status == lts::Candidate::Status::Estimated) {
        text += QStringLiteral("<i>estimated, never measured (screened out)</i><br>");
        for (const QString& line : estimateLines(c, layer))
            text += line.trimmed().toHtmlEscaped() + QStringLiteral("<br>");
    } else {
        const lts::Measurement& m = c.measurement;
        if (m.generation) {
            text += QStringLiteral("prefill %1 ms · decode %2 ms/token (%3 tokens/s)<br>peak %4 MB, cache %5 MB<br>")
                        .arg(m.prefillMs, 0, 'f', 3)
                        .arg(m.decodeMsPerToken, 0, 'f', 3)
                        .arg(m.tokensPerS, 0, 'f', 0)
                        .arg(m.peakMemoryMb, 0, 'f', 1)
                        .arg(m.cacheMb, 0, 'f', 2);
            if (m.confirmed)
                text += QStringLiteral("confirmed (first measured %1 ms/token)<br>")
                            .arg(m.firstDecodeMsPerToken, 0, 'f', 3);
        } else {
            text += QStringLiteral("latency %1 ms (IQR %2) · peak %3 MB<br>")
                        .arg(m.latencyMs, 0, 'f', 3)
                        .arg(m.latencyIqrMs, 0, 'f', 3)
                        .arg(m.peakMemoryMb, 0, 'f', 1);
            if (m.confirmed)
                text += QStringLiteral("confirmed (first measured %1 ms)<br>").arg(m.firstLatencyMs, 0, 'f', 3);
        }
        if (c.status == lts::Candidate::Status::OverCeiling)
            text += QStringLiteral("<i>over the latency or memory ceiling</i><br>");
    }
    text += QStringLiteral("<table cellspacing=0 cellpadding=1><tr><th>layer</th><th>n_head</th><th>d_inner</th></tr>")
        + layers + QStringLiteral("</table>");
    return text;
}

} // namespace studio
