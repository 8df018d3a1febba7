// The live dashboard's page (HTML, CSS, script; nothing loaded from elsewhere).
#pragma once

namespace tally::devnet {

const char* dashboard_page();

}  // namespace tally::devnet
