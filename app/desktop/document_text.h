// The text of a file the user attaches to a message: plain text, Markdown and source code as
// they are (UTF-8), PDF through Poppler (the text of every page). Blocking: call it off the UI
// thread. Files too large to be useful in a prompt are refused with a readable reason.
#pragma once

#include <QString>

#include "chat/chat_service.h"
#include "common/result.h"

namespace parley::app {

inline constexpr qint64 kMaxAttachmentBytes = 16ll << 20;  // 16 MiB on disk
inline constexpr qsizetype kMaxAttachmentChars = 200'000;  // text that goes into the prompt

Result<chat::Attachment> readDocumentText(const QString& path);

}  // namespace parley::app
