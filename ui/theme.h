// Light and dark palettes for the whole application, and the icon from the resources.
#pragma once

#include <QIcon>

namespace studio {

// Switches the application to the Fusion style with a light or dark palette.
void applyPalette(bool dark);
QIcon appIcon();

} // namespace studio
