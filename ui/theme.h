// Light and dark palettes for the whole application and its plots, and the icon from the resources.
#pragma once

#include <QIcon>
#include <QList>

class QCPAxis;
class QCustomPlot;

namespace studio {

// Switches the application to the Fusion style with a light or dark palette.
void applyPalette(bool dark);
// Colours a plot's background, the axes and grids of its main axis rect and `extraAxes` (a
// colour scale's, say), its legend and its selection box for the light or dark theme; the
// caller replots. One function, so every plot of the window looks the same.
void applyPlotTheme(QCustomPlot* plot, bool dark, const QList<QCPAxis*>& extraAxes = {});
QIcon appIcon();

// Start, pause and stop icons drawn in the theme's text colour, so they read on a dark tool bar
// (the style's own are black).
enum class MediaIcon { Start, Pause, Stop };
QIcon mediaIcon(MediaIcon kind, bool dark);

} // namespace studio
