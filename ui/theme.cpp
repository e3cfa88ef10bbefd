#include "theme.h"

#include <QApplication>
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

QIcon appIcon()
{
    static const bool registered = (initStudioResources(), true);
    Q_UNUSED(registered);
    return QIcon(QStringLiteral(":/icons/lts-studio.svg"));
}

} // namespace studio
