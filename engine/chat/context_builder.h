// Fills a model's context window for one answer: the system prompt (with what the hooks added),
// a rolling summary of older turns when they do not all fit, and as many recent turns verbatim
// as the budget allows, leaving `reservedTokens` free for the answer. The result records what
// went in and what was cut (ContextReport) and whether the cut turns need a new summary.
#pragma once

#include <QString>

#include <optional>
#include <vector>

#include "chat/chat_service.h"
#include "chat/pipeline_hooks.h"
#include "common/result.h"
#include "inference/runtime/loaded_model.h"

namespace parley::chat {

struct ContextTurn {
    QString messageId;
    QString role;  // user or assistant
    QString content;
};

struct ContextSummary {
    QString text;
    QString lastMessageId;  // the newest turn it covers
    int messageCount = 0;
};

struct ContextInput {
    QString systemPrompt;
    std::vector<ContextContribution> contributions;  // from the hooks, into the system prompt
    std::optional<ContextSummary> summary;           // the newest one on this branch, if any
    // Root first; the last turn is always kept (the new user message, or the answer being
    // continued, which then stays open for the model to go on with).
    std::vector<ContextTurn> turns;
    bool continueLastTurn = false;
    int contextTokens = 0;
    int reservedTokens = 0;
};

struct BuiltContext {
    std::vector<model::TokenId> tokens;
    ContextReport report;  // messageId and model are for the caller to fill
    // The newest turn that was cut and is not yet in a summary (a summary job should cover
    // the branch up to it); empty when nothing needs summarising.
    QString summarizeThroughMessageId;
};

// Tokens of `text` as plain user text (no special tokens parsed or added).
int countTokens(const runtime::LoadedModel& model, const QString& text);

Result<BuiltContext> buildContext(const runtime::LoadedModel& model, const ContextInput& input);

}  // namespace parley::chat
