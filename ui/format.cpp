#include "format.h"

#include <QStringList>

namespace studio {

QString millions(std::int64_t n)
{
    return QString::number(double(n) / 1e6, 'f', 2) + QStringLiteral("M");
}

QString clockText(double seconds)
{
    const qint64 s = qint64(seconds < 0 ? 0 : seconds);
    return QString::asprintf("%02lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
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

QString candidateTooltip(const lts::Candidate& c, const QString& runName)
{
    QString layers;
    for (int i = 0; i < c.arch.nLayer && i < int(c.arch.nHead.size()) && i < int(c.arch.dInner.size()); ++i)
        layers += QStringLiteral("<tr><td>%1</td><td align=right>%2</td><td align=right>%3</td></tr>")
                      .arg(i)
                      .arg(c.arch.nHead[std::size_t(i)])
                      .arg(c.arch.dInner[std::size_t(i)]);
    QString text = QStringLiteral("<b>#%1</b> %2 · %3, iteration %4<br>")
                       .arg(c.id)
                       .arg(runName.toHtmlEscaped(), QString::fromStdString(lts::backboneName(c.arch.backbone)),
                           QString::number(c.iteration));
    text += QStringLiteral("n_layer %1, d_model %2<br>").arg(c.arch.nLayer).arg(c.arch.dModel);
    text += QStringLiteral("decoder %1 · total %2<br>").arg(millions(c.decoderParams), millions(c.totalParams));
    if (c.status == lts::Candidate::Status::Failed) {
        text += QStringLiteral("<span style='color:#d62728'>%1</span><br>").arg(statusText(c).toHtmlEscaped());
    } else if (c.status == lts::Candidate::Status::Estimated) {
        text += QStringLiteral("<i>estimated, never measured in full:</i> latency ≈ %1 ms · peak ≈ %2 MB<br>")
                    .arg(c.measurement.latencyMs, 0, 'f', 3)
                    .arg(c.measurement.peakMemoryMb, 0, 'f', 1);
    } else {
        text += QStringLiteral("latency %1 ms (IQR %2) · peak %3 MB<br>")
                    .arg(c.measurement.latencyMs, 0, 'f', 3)
                    .arg(c.measurement.latencyIqrMs, 0, 'f', 3)
                    .arg(c.measurement.peakMemoryMb, 0, 'f', 1);
        if (c.measurement.confirmed)
            text += QStringLiteral("confirmed (first measured %1 ms)<br>").arg(c.measurement.firstLatencyMs, 0, 'f', 3);
        if (c.status == lts::Candidate::Status::OverCeiling)
            text += QStringLiteral("<i>over the latency or memory ceiling</i><br>");
    }
    text += QStringLiteral("<table cellspacing=0 cellpadding=1><tr><th>layer</th><th>n_head</th><th>d_inner</th></tr>")
        + layers + QStringLiteral("</table>");
    return text;
}

} // namespace studio
