// The mouse wheel scrolls a form, never changes a field the user did not pick: over a spin box or
// a combo box without keyboard focus, the wheel goes to the scroll area around it (if any).
#pragma once

namespace studio {

// Installs the guard on the application once; later calls do nothing.
void guardWheelOnFields();

} // namespace studio
