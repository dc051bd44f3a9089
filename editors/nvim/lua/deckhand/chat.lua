--- deckhand.chat owns the conversation as the user sees it: a transcript
--- (kept as a list of items, so the buffer can be drawn again from it at any
--- time), the `deckhand://chat` buffer that shows it (markdown, treesitter
--- highlighted, status and footers as extmarks, tool output folded), the input
--- area under it, the keys of both, and the session: sending, cancelling,
--- resending, new sessions.
---
--- The parts live in deckhand/chat/: core (state, namespaces, constants),
--- window (buffers, windows, folds), bar (the winbar, warnings before a
--- turn), draw (the transcript in the buffer, the status line), tools (tool
--- cards), input (the input area and the keys), stream (a running turn's
--- notifications), session (sending, cancelling) and turns (changed files,
--- undo, a reopened session). Each adds its public functions to the table
--- returned here.
local core = require("deckhand.chat.core")
for _, part in ipairs({ "window", "bar", "draw", "tools", "input", "stream", "session", "turns" }) do
  require("deckhand.chat." .. part)
end
return core.M
