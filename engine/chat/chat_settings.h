// The app's settings for conversations: what a request gets when it does not say.
#pragma once

#include <QString>

#include "chat/chat_service.h"

namespace parley::chat {

struct ChatSettings {
    QString defaultSystemPrompt =
        QStringLiteral("You are Parley, a helpful assistant. Answer clearly and concisely.");
    GenerationOptions defaultOptions;  // unset fields: the values below / the sampler's own
    int defaultMaxTokens = 512;
    // The context window used for prompts; 0: the model's (capped by its KV cache).
    int contextTokens = 0;
    int summaryMaxTokens = 160;
    int titleMaxTokens = 16;
    bool generateTitles = true;
    bool summarize = true;
    // The database may not grow beyond this (a storage quota); 0: no limit.
    qint64 maxDatabaseBytes = 0;
};

}  // namespace parley::chat
