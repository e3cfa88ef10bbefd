#include "theme.h"

#include <qcustomplot.h>

#include <QApplication>
#include <QPainter>
#include <QPainterPath>
#include <QPalette>
#include <QStyle>
#include <QStyleFactory>

// Resources compiled into a static library must be registered by name, outside any namespace.
static void initStudioResources()
{
    Q_INIT_RESOURCE(lts_studio);
}

namespace studio {

void applyPalette(bool dark)
{
    QApplication::setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
    if (!dark) {
        QApplication::setPalette(QApplication::style()->standardPalette());
        return;
    }
    QPalette p;
    const QColor window(0x2b, 0x2e, 0x36), base(0x1f, 0x22, 0x28), text(0xe6, 0xe6, 0xe6);
    const QColor highlight(0x3d, 0x84, 0xc6), disabled(0x80, 0x80, 0x80);
    p.setColor(QPalette::Window, window);
    p.setColor(QPalette::WindowText, text);
    p.setColor(QPalette::Base, base);
    p.setColor(QPalette::AlternateBase, window);
    p.setColor(QPalette::ToolTipBase, base);
    p.setColor(QPalette::ToolTipText, text);
    p.setColor(QPalette::Text, text);
    p.setColor(QPalette::Button, window);
    p.setColor(QPalette::ButtonText, text);
    p.setColor(QPalette::BrightText, Qt::red);
    p.setColor(QPalette::Link, highlight.lighter(130));
    p.setColor(QPalette::Highlight, highlight);
    p.setColor(QPalette::HighlightedText, Qt::white);
    p.setColor(QPalette::PlaceholderText, disabled);
    for (auto role : { QPalette::WindowText, QPalette::Text, QPalette::ButtonText })
        p.setColor(QPalette::Disabled, role, disabled);
    QApplication::setPalette(p);
}

void applyPlotTheme(QCustomPlot* plot, bool dark, const QList<QCPAxis*>& extraAxes)
{
    const QColor background = dark ? QColor(0x23, 0x26, 0x2e) : QColor(Qt::white);
    const QColor foreground = dark ? QColor(0xdd, 0xdd, 0xdd) : QColor(0x20, 0x20, 0x20);
    const QColor grid = dark ? QColor(0x44, 0x48, 0x52) : QColor(0xdd, 0xdd, 0xdd);
    plot->setBackground(background);
    for (QCPAxis* axis : plot->axisRect()->axes() + extraAxes) {
        axis->setBasePen(QPen(foreground));
        axis->setTickPen(QPen(foreground));
        axis->setSubTickPen(QPen(foreground));
        axis->setTickLabelColor(foreground);
        axis->setLabelColor(foreground);
        axis->grid()->setPen(QPen(grid, 1, Qt::DotLine));
    }
    plot->legend->setBrush(dark ? QColor(0x2d, 0x31, 0x3a, 220) : QColor(255, 255, 255, 220));
    plot->legend->setBorderPen(QPen(grid));
    plot->legend->setTextColor(foreground);
    plot->selectionRect()->setPen(QPen(foreground, 1, Qt::DashLine));
    plot->selectionRect()->setBrush(QColor(0x1f, 0x77, 0xb4, 50));
}

QIcon appIcon()
{
    static const bool registered = (initStudioResources(), true);
    Q_UNUSED(registered);
    return QIcon(QStringLiteral(":/icons/lts-studio.svg"));
}

QIcon mediaIcon(MediaIcon kind, bool dark)
{
    QIcon icon;
    const QColor colors[] = { dark ? QColor(0xe6, 0xe6, 0xe6) : QColor(0x30, 0x30, 0x30), QColor(0x80, 0x80, 0x80) };
    for (int size : { 16, 24, 32 }) {
        for (int state = 0; state < 2; ++state) {
            QPixmap pm(size, size);
            pm.fill(Qt::transparent);
            QPainter p(&pm);
            p.setRenderHint(QPainter::Antialiasing);
            p.setPen(Qt::NoPen);
            p.setBrush(kind == MediaIcon::Start && state == 0
                    ? (dark ? QColor(0x7a, 0xd1, 0x51) : QColor(0x2e, 0x7d, 0x32))
                    : colors[state]);
            const double m = size * 0.2, w = size - 2 * m;
            switch (kind) {
            case MediaIcon::Start: {
                QPainterPath path;
                path.moveTo(m + w * 0.1, m);
                path.lineTo(m + w, m + w / 2);
                path.lineTo(m + w * 0.1, m + w);
                path.closeSubpath();
                p.drawPath(path);
                break;
            }
            case MediaIcon::Pause:
                p.drawRect(QRectF(m + w * 0.05, m, w * 0.3, w));
                p.drawRect(QRectF(m + w * 0.65, m, w * 0.3, w));
                break;
            case MediaIcon::Stop:
                p.drawRect(QRectF(m, m, w, w));
                break;
            }
            p.end();
            icon.addPixmap(pm, state == 0 ? QIcon::Normal : QIcon::Disabled);
        }
    }
    return icon;
}

} // namespace studio
