#pragma once
/// The try-it page served at GET / (src/serve/page.html, compiled into the program so the
/// service needs no files beside the binary).

#include <string_view>

namespace fashionseg::serve {

/// The page's HTML, self-contained (no external scripts, styles or fonts).
std::string_view try_it_page();

}  // namespace fashionseg::serve
